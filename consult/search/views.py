"""The search page: anyone may search; each sees only what they may see."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from consult.comments.models import Channel, CommentStatus
from consult.core.errors import ValidationFailed
from consult.core.pagination import KnownPage
from consult.core.schemas import load_args
from consult.extensions import db
from consult.org.models import Unit
from consult.outcomes.models import Outcome
from consult.search import services
from consult.search.schemas import PageQuerySchema

bp = Blueprint("search", __name__, url_prefix="/search")

KIND_LABELS = {"clause": _l("Clauses"), "comment": _l("Comments"), "suggestion": _l("Suggestions")}


def facet_labels(facets: dict[str, dict[str, int]]) -> dict[str, dict[str, str]]:
    """Readable names for the facet values the results hold."""
    units = {
        str(u.id): u.name
        for u in db.session.scalars(
            select(Unit).where(Unit.id.in_([int(i) for i in facets.get("unit_id", {})]))
        )
    }
    return {
        "kind": {k: str(v) for k, v in KIND_LABELS.items()},
        "channel": {c.value: c.label for c in Channel},
        "status": {s.value: s.label for s in CommentStatus},
        "unit_id": units,
        "outcome": {o.value: o.label for o in Outcome},
    }


@bp.get("/")
def index():
    errors: dict[str, list[str]] = {}
    found = None
    params: dict = {}
    try:
        params = load_args(PageQuerySchema())
    except ValidationFailed as exc:
        errors = exc.fields or {}
    searching = not errors and any(
        params.get(name) is not None for name in ("q", *services.FILTERS, "from", "to")
    )
    if searching:
        params["per_page"] = params.get("per_page") or current_app.config["PAGE_SIZE"]
        found = services.search(current_user, params)
    page = KnownPage(found.page, found.per_page, found.total, found.items) if found else None
    return render_template(
        "search/index.html",
        found=found,
        page=page,
        args=request.args,
        errors=errors,
        labels=facet_labels(found.facets) if found else {},
        kinds=KIND_LABELS,
    ), (422 if errors else 200)
