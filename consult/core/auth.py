"""Permission decorators for pages and for the API. Roles are compared by their string value."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g
from flask_babel import gettext as _
from flask_login import current_user

from consult.core.errors import AuthenticationRequired, PermissionDenied
from consult.extensions import login_manager


def roles_required(*roles: str) -> Callable:
    """A page for signed-in users holding one of ``roles`` (any role when none are given).

    Anonymous visitors are sent to the login page; other roles get 403.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                raise PermissionDenied(_("Your role does not give access to this page."))
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator


def api_user():
    """The user authenticated by the request's bearer token, or None."""
    return g.get("api_user")


def api_roles(*roles: str) -> Callable:
    """An API endpoint for bearer-token users holding one of ``roles`` (any role if none)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            user = api_user()
            if user is None:
                raise AuthenticationRequired(
                    _("Send a valid API token as “Authorization: Bearer <token>”.")
                )
            if roles and user.role not in roles:
                raise PermissionDenied(_("Your role does not give access to this resource."))
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator
