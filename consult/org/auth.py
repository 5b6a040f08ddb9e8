"""Sessions: loading the user, login rate limits, and the forced first password change."""

from __future__ import annotations

from flask import Flask, current_app, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user

from consult.extensions import db, limiter, login_manager
from consult.org.models import User

# Endpoints a user who must change the password may still reach.
_ALLOWED_BEFORE_PASSWORD_CHANGE = {
    "auth.change_password",
    "auth.logout",
    "static",
    "main.set_language",
}


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _failed_login(_response) -> bool:
    """Only failed attempts count against the limits: a user who signs in is not slowed."""
    return bool(g.get("login_failed"))


def _submitted_username() -> str:
    name = request.form.get("username")
    if name is None:
        body = request.get_json(silent=True)
        name = body.get("username") if isinstance(body, dict) else None
    return "account:" + (str(name).strip().lower() if name else "")


# Shared by the login page and POST /api/v1/tokens: both spend the same allowance,
# once per client address and once per submitted user name.
login_limits = [
    limiter.shared_limit(
        _login_limit,
        scope=f"login-{name}",
        key_func=key,
        methods=["POST"],
        deduct_when=_failed_login,
    )
    for name, key in (("address", get_remote_address), ("account", _submitted_username))
]


def rate_limited_login(view):
    for limit in login_limits:
        view = limit(view)
    return view


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    ident, _sep, version = session_id.partition(":")
    if not ident.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.is_active or user.auth_version != int(version):
        return None
    return user


def configure_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"

    @app.before_request
    def force_password_change():
        if (
            current_user.is_authenticated
            and current_user.must_change_password
            and request.endpoint not in _ALLOWED_BEFORE_PASSWORD_CHANGE
            and request.blueprint != "api"
        ):
            return redirect(url_for("auth.change_password"))
        return None
