"""Operations on the organisation. They flush, record audit rows, and never commit."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from consult.core import audit
from consult.core.errors import Conflict, ConsultError, NotFound, PermissionDenied, ValidationFailed
from consult.core.security import (
    generate_password,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)
from consult.core.types import utcnow
from consult.extensions import db
from consult.org.models import ApiToken, ContactPoint, Legislature, Role, Unit, UnitKind, User

logger = logging.getLogger(__name__)

TOKEN_USE_RESOLUTION = timedelta(minutes=5)
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


class AuthenticationFailed(ConsultError):
    status = 401
    code = "invalid_credentials"


def _unique(model, field: str, value: str, exclude_id: int | None = None, **scope: Any) -> None:
    column = getattr(model, field)
    query = select(model.id).where(func.lower(column) == value.lower())
    for key, val in scope.items():
        query = query.where(getattr(model, key) == val)
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise ValidationFailed(
            _("Please correct the marked fields."),
            fields={field: [_("“%(value)s” is already taken.", value=value)]},
        )


def _get_active(model, ident: int | None, field: str):
    obj = db.session.get(model, ident) if ident is not None else None
    if obj is None:
        raise ValidationFailed(
            _("Please correct the marked fields."), fields={field: [_("This field is required.")]}
        )
    if not obj.is_active:
        raise ValidationFailed(
            _("Please correct the marked fields."),
            fields={field: [_("“%(name)s” is deactivated.", name=obj.name)]},
        )
    return obj


# -- legislatures ---------------------------------------------------------------------------


def create_legislature(data: dict[str, Any], actor: User) -> Legislature:
    """Create a legislature (its working body) from validated ``name`` and ``description``."""
    _unique(Legislature, "name", data["name"])
    legislature = Legislature(name=data["name"], description=data.get("description"))
    db.session.add(legislature)
    db.session.flush()
    audit.record(actor, "legislature.create", legislature, after={"name": legislature.name})
    return legislature


def update_legislature(legislature: Legislature, data: dict[str, Any], actor: User) -> Legislature:
    if "name" in data:
        _unique(Legislature, "name", data["name"], exclude_id=legislature.id)
    before, after = audit.changes(legislature, data)
    if after:
        db.session.flush()
        audit.record(actor, "legislature.update", legislature, before=before, after=after)
    return legislature


# -- contact points -------------------------------------------------------------------------


def _legislatures(ids: list[int]) -> list[Legislature]:
    found = list(db.session.scalars(select(Legislature).where(Legislature.id.in_(ids))))
    missing = set(ids) - {leg.id for leg in found}
    if missing:
        raise ValidationFailed(
            _("Please correct the marked fields."),
            fields={"legislature_ids": [_("Unknown legislature: %(ids)s", ids=sorted(missing))]},
        )
    return sorted(found, key=lambda leg: leg.name)


def create_point(data: dict[str, Any], actor: User) -> ContactPoint:
    """Create a contact point serving one or more legislatures (``legislature_ids``)."""
    _unique(ContactPoint, "name", data["name"])
    point = ContactPoint(
        name=data["name"],
        address=data.get("address"),
        description=data.get("description"),
        collects_personal_data=bool(data.get("collects_personal_data")),
        legislatures=_legislatures(data.get("legislature_ids") or []),
    )
    db.session.add(point)
    db.session.flush()
    audit.record(
        actor,
        "point.create",
        point,
        after={"name": point.name, "legislature_ids": [leg.id for leg in point.legislatures]},
    )
    return point


def update_point(point: ContactPoint, data: dict[str, Any], actor: User) -> ContactPoint:
    data = dict(data)
    if "name" in data:
        _unique(ContactPoint, "name", data["name"], exclude_id=point.id)
    if "legislature_ids" in data:
        data["legislatures"] = _legislatures(data.pop("legislature_ids") or [])
    before, after = audit.changes(point, data)
    if after:
        db.session.flush()
        audit.record(actor, "point.update", point, before=before, after=after)
    return point


# -- units ----------------------------------------------------------------------------------


def create_unit(data: dict[str, Any], actor: User) -> Unit:
    """Create a contact unit or collection point under an active contact point."""
    point = _get_active(ContactPoint, data.get("point_id"), "point_id")
    _unique(Unit, "name", data["name"], point_id=point.id)
    unit = Unit(
        point=point,
        name=data["name"],
        kind=UnitKind(data.get("kind") or UnitKind.CONTACT_UNIT),
        address=data.get("address"),
    )
    db.session.add(unit)
    db.session.flush()
    audit.record(actor, "unit.create", unit, after={"name": unit.name, "point_id": point.id})
    return unit


def update_unit(unit: Unit, data: dict[str, Any], actor: User) -> Unit:
    data = dict(data)
    if "point_id" in data and data["point_id"] != unit.point_id:
        # Collectors are scoped by point through their unit: moving a unit would move them
        # and their past work into another point's view.
        raise ValidationFailed(
            _("Please correct the marked fields."),
            fields={"point_id": [_("A unit cannot move to another contact point.")]},
        )
    data.pop("point_id", None)
    if data.get("kind"):
        data["kind"] = UnitKind(data["kind"])
    if "name" in data:
        _unique(Unit, "name", data["name"], exclude_id=unit.id, point_id=unit.point_id)
    before, after = audit.changes(unit, data)
    if after:
        db.session.flush()
        audit.record(actor, "unit.update", unit, before=before, after=after)
    return unit


# -- activation -----------------------------------------------------------------------------


def set_active(obj, active: bool, actor: User) -> None:
    """Deactivate or reactivate a legislature, point, unit or user; nothing is deleted."""
    if isinstance(obj, User) and obj.id == actor.id and not active:
        raise Conflict(_("You cannot deactivate your own account."))
    if obj.is_active == active:
        return
    obj.is_active = active
    db.session.flush()
    action = "activate" if active else "deactivate"
    kind = {"legislatures": "legislature", "contact_points": "point"}.get(
        obj.__tablename__, obj.__tablename__.rstrip("s")
    )
    audit.record(
        actor,
        f"{kind}.{action}",
        obj,
        before={"is_active": not active},
        after={"is_active": active},
    )


# -- users ----------------------------------------------------------------------------------


def _scope(data: dict[str, Any]) -> dict[str, Any]:
    """Check that the role has the scope it needs, and derive the point of a collector."""
    role = Role(data["role"])
    scope: dict[str, Any] = {"legislature_id": None, "point_id": None, "unit_id": None}
    if role == Role.LEGISLATURE:
        scope["legislature_id"] = _get_active(
            Legislature, data.get("legislature_id"), "legislature_id"
        ).id
    elif role in (Role.MANAGER, Role.EXPERT):
        scope["point_id"] = _get_active(ContactPoint, data.get("point_id"), "point_id").id
    elif role == Role.COLLECTOR:
        unit = _get_active(Unit, data.get("unit_id"), "unit_id")
        if not unit.point.is_active:
            raise ValidationFailed(
                _("Please correct the marked fields."),
                fields={"unit_id": [_("“%(name)s” is deactivated.", name=unit.point.name)]},
            )
        scope["unit_id"] = unit.id
        scope["point_id"] = unit.point_id
    return scope


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_password_policy(password: str, username: str, field: str = "password") -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    problems = []
    if len(password) < minimum:
        problems.append(_("Use at least %(n)d characters.", n=minimum))
    if password.strip().lower() == username.lower():
        problems.append(_("The password must not be the user name."))
    if len(set(password)) < 4:
        problems.append(_("The password is too simple."))
    if problems:
        raise ValidationFailed(_("Please correct the marked fields."), fields={field: problems})


def create_user(data: dict[str, Any], actor: User | None) -> tuple[User, str | None]:
    """Create an account. Without a given password one is generated and returned (shown once).

    Accounts made by someone else must change their password at first login.
    """
    username = normalise_username(data["username"])
    if not USERNAME_RE.match(username):
        raise ValidationFailed(
            _("Please correct the marked fields."),
            fields={
                "username": [_("3–64 characters: lower-case letters, digits, “.”, “_” or “-”.")]
            },
        )
    _unique(User, "username", username)
    generated = None
    password = data.get("password")
    if password:
        check_password_policy(password, username)
    else:
        password = generated = generate_password()
    user = User(
        username=username,
        display_name=data["display_name"],
        email=data.get("email"),
        role=Role(data["role"]),
        position=data.get("position"),
        password_hash=hash_password(password),
        must_change_password=data.get("must_change_password", actor is not None),
        **_scope(data),
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor,
        "user.create",
        user,
        after={"username": user.username, "role": user.role.value, **_scope_dict(user)},
    )
    return user, generated


def _scope_dict(user: User) -> dict[str, int | None]:
    return {
        "legislature_id": user.legislature_id,
        "point_id": user.point_id,
        "unit_id": user.unit_id,
    }


def update_user(user: User, data: dict[str, Any], actor: User) -> User:
    data = dict(data)
    data.pop("username", None)  # user names are permanent: they appear in exports and logs
    if user.id == actor.id and "role" in data and Role(data["role"]) != user.role:
        raise ValidationFailed(
            _("Please correct the marked fields."),
            fields={"role": [_("You cannot change your own role.")]},
        )
    if {"role", "legislature_id", "point_id", "unit_id"} & data.keys():
        merged = {"role": user.role, **_scope_dict(user), **data}
        data.update(_scope(merged))
        data["role"] = Role(merged["role"])
    before, after = audit.changes(user, data)
    if after:
        db.session.flush()
        audit.record(actor, "user.update", user, before=before, after=after)
    return user


def reset_password(user: User, actor: User) -> str:
    """Give the user a new generated password, to be changed at next login; ends sessions."""
    password = generate_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.auth_version += 1
    _revoke_all_tokens(user)
    db.session.flush()
    audit.record(actor, "user.reset_password", user)
    return password


def change_password(user: User, current: str, new: str) -> None:
    """The user's own change: checks the current password and the policy; ends other sessions."""
    if not verify_password(user.password_hash, current):
        raise ValidationFailed(
            _("Please correct the marked fields."),
            fields={"current_password": [_("The current password is not correct.")]},
        )
    check_password_policy(new, user.username, field="new_password")
    if verify_password(user.password_hash, new):
        raise ValidationFailed(
            _("Please correct the marked fields."),
            fields={"new_password": [_("Choose a password different from the current one.")]},
        )
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.auth_version += 1
    db.session.flush()
    audit.record(user, "user.change_password", user)


def authenticate(username: str, password: str) -> User:
    """Return the active user with these credentials, or raise one message for every failure."""
    user = db.session.scalar(select(User).where(User.username == normalise_username(username)))
    if not verify_password(user.password_hash if user else None, password):
        logger.info("failed login for a submitted user name")
        raise AuthenticationFailed(_("Wrong user name or password."))
    if not user.is_active:
        raise AuthenticationFailed(_("This account has been deactivated."))
    user.last_login_at = utcnow()
    return user


# -- API tokens -----------------------------------------------------------------------------


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create an API token for ``user``; the clear token is returned once and never stored."""
    raw = new_token()
    token = ApiToken(user=user, name=name, token_hash=token_digest(raw), prefix=raw[:10])
    db.session.add(token)
    db.session.flush()
    audit.record(user, "api_token.create", token, after={"name": name, "prefix": token.prefix})
    return token, raw


def revoke_token(token: ApiToken, actor: User) -> None:
    if token.user_id != actor.id:
        raise PermissionDenied(_("You can only revoke your own tokens."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        audit.record(actor, "api_token.revoke", token)


def _revoke_all_tokens(user: User) -> None:
    now = utcnow()
    for token in user.tokens:
        if token.revoked_at is None:
            token.revoked_at = now


def user_for_token(raw: str) -> User | None:
    """The active user owning this unrevoked token, or None."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(raw)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_RESOLUTION:
        token.last_used_at = now
    return token.user


def get_or_404(model, ident: Any):
    obj = db.session.get(model, ident)
    if obj is None:
        raise NotFound(_("Not found."))
    return obj
