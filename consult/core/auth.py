"""Permission decorators for pages and for the API. Roles are compared by their string value."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from consult.core.errors import AuthenticationRequired, PermissionDenied
from consult.extensions import login_manager


def _role_gate(roles: tuple[str, ...], get_user: Callable, on_anonymous: Callable, denied):
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            user = get_user()
            if user is None:
                return on_anonymous()
            if roles and user.role not in roles:
                raise PermissionDenied(str(denied))
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator


def _session_user():
    return current_user if current_user.is_authenticated else None


def roles_required(*roles: str) -> Callable:
    """A page for signed-in users holding one of ``roles`` (any role when none are given).

    Anonymous visitors are sent to the login page; other roles get 403.
    """
    return _role_gate(
        roles,
        _session_user,
        login_manager.unauthorized,
        _l("Your role does not give access to this page."),
    )


def api_user():
    """The user authenticated by the request's bearer token, or None."""
    return g.get("api_user")


def _no_token():
    raise AuthenticationRequired(_("Send a valid API token as “Authorization: Bearer <token>”."))


def api_roles(*roles: str) -> Callable:
    """An API endpoint for bearer-token users holding one of ``roles`` (any role if none)."""
    return _role_gate(
        roles, api_user, _no_token, _l("Your role does not give access to this resource.")
    )
