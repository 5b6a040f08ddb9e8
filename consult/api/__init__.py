"""The JSON API at /api/v1: bearer tokens, one error envelope, an OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, g, request

from consult.core.errors import AuthenticationRequired
from consult.extensions import db

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def authenticate_bearer() -> None:
    """Resolve ``Authorization: Bearer <token>``; a token that is sent but invalid is a 401."""
    from consult.org.services import user_for_token

    g.api_user = None
    header = request.headers.get("Authorization", "")
    if not header:
        return
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationRequired("Authorization must be “Bearer <token>”.")
    user = user_for_token(token.strip())
    if user is None:
        raise AuthenticationRequired("The API token is invalid, revoked, or its user is inactive.")
    g.api_user = user
    if db.session.dirty:  # last_used_at moved on: record it apart from the request's own work
        db.session.commit()


def init_app(app) -> None:
    # Import the resource modules so that their routes are on the blueprint.
    from consult.api import openapi  # noqa: F401
    from consult.consultations import api as tasks_api  # noqa: F401
    from consult.drafts import api as drafts_api  # noqa: F401
    from consult.org import api as org_api  # noqa: F401
    from consult.outcomes import api as outcomes_api  # noqa: F401
    from consult.review import api as review_api  # noqa: F401
    from consult.search import api as search_api  # noqa: F401
    from consult.stats import api as stats_api  # noqa: F401

    app.register_blueprint(bp)
