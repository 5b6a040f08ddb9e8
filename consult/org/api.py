"""JSON resources: tokens, the current user, and (for admins) the organisation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g, jsonify, request
from flask_babel import gettext as _
from marshmallow import Schema
from sqlalchemy import select

from consult.api import bp
from consult.api.openapi import documented
from consult.core.auth import api_roles, api_user
from consult.core.errors import NotFound, PermissionDenied, ValidationFailed
from consult.core.pagination import envelope, paginate
from consult.core.schemas import load_json
from consult.extensions import db
from consult.org import services
from consult.org.auth import rate_limited_login
from consult.org.models import ApiToken, ContactPoint, Legislature, Role, Unit, User
from consult.org.schemas import (
    LegislatureInSchema,
    LegislaturePatchSchema,
    LegislatureSchema,
    MeSchema,
    PointInSchema,
    PointPatchSchema,
    PointSchema,
    TokenCreatedSchema,
    TokenRequestSchema,
    TokenSchema,
    UnitInSchema,
    UnitPatchSchema,
    UnitSchema,
    UserCreatedSchema,
    UserInSchema,
    UserPatchSchema,
    UserSchema,
)

# -- tokens and the current user ------------------------------------------------------------


@bp.post("/tokens")
@documented(
    summary="Exchange a user name and password for a new API token",
    tag="auth",
    body=TokenRequestSchema,
    response=TokenCreatedSchema,
    status=201,
    public=True,
)
@rate_limited_login
def create_token():
    data = load_json(TokenRequestSchema())
    try:
        user = services.authenticate(data["username"], data["password"])
    except services.AuthenticationFailed:
        g.login_failed = True
        raise
    if user.must_change_password:
        raise PermissionDenied(_("Change your initial password on the sign-in page first."))
    token, raw = services.create_token(user, data["name"] or _("API token"))
    db.session.commit()
    body = TokenCreatedSchema().dump(token) | {"token": raw}
    return jsonify(body), 201


@bp.get("/tokens")
@documented(summary="List your API tokens", tag="auth", response=TokenSchema, shape="page")
@api_roles()
def list_tokens():
    query = select(ApiToken).where(ApiToken.user_id == api_user().id)
    page = paginate(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    return jsonify(envelope(page, TokenSchema(many=True).dump(page.items)))


@bp.delete("/tokens/<int:token_id>")
@documented(summary="Revoke one of your API tokens", tag="auth", status=204)
@api_roles()
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != api_user().id:
        raise NotFound(_("Not found."))
    services.revoke_token(token, api_user())
    db.session.commit()
    return "", 204


@bp.get("/me")
@documented(summary="The user of this token", tag="auth", response=MeSchema)
@api_roles()
def me():
    return jsonify(MeSchema().dump(api_user()))


def _int_arg(name: str, value: str) -> int:
    if not value.isdigit():
        raise ValidationFailed(
            _("Please correct the marked fields."), fields={name: [_("Not a valid integer.")]}
        )
    return int(value)


def _role_arg(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationFailed(
            _("Please correct the marked fields."),
            fields={"role": [_("Must be one of: %(roles)s.", roles=", ".join(Role))]},
        ) from None


# -- organisation resources (admins) -------------------------------------------------------


def _register_resource(
    *,
    name: str,
    plural: str,
    model: type,
    in_schema: type[Schema],
    patch_schema: type[Schema],
    out_schema: type[Schema],
    create: Callable[[dict[str, Any], User], Any],
    update: Callable[[Any, dict[str, Any], User], Any],
    order_by: Any,
    filters: dict[str, Callable[[str], Any]] | None = None,
    created_schema: type[Schema] | None = None,
) -> None:
    """List, create, read and update one organisation resource; admins only.

    ``is_active`` in a PATCH body deactivates or reactivates: nothing is ever deleted.
    """
    filters = filters or {}
    query_doc = {key: {"type": "string"} for key in filters}

    @documented(
        summary=f"List {plural}",
        tag="organisation",
        response=out_schema,
        shape="page",
        query=query_doc,
    )
    @api_roles(Role.ADMIN)
    def list_view():
        query = select(model)
        for key, build in filters.items():
            if request.args.get(key):
                query = query.where(build(request.args[key]))
        page = paginate(query.order_by(order_by, model.id))
        return jsonify(envelope(page, out_schema(many=True).dump(page.items)))

    @documented(
        summary=f"Create a {name}",
        tag="organisation",
        body=in_schema,
        response=created_schema or out_schema,
        status=201,
    )
    @api_roles(Role.ADMIN)
    def create_view():
        data = load_json(in_schema())
        result = create(data, api_user())
        db.session.commit()
        if isinstance(result, tuple):  # users: (user, generated password)
            obj, password = result
            return jsonify(created_schema().dump(obj) | {"initial_password": password}), 201
        return jsonify(out_schema().dump(result)), 201

    @documented(summary=f"One {name}", tag="organisation", response=out_schema)
    @api_roles(Role.ADMIN)
    def get_view(ident: int):
        return jsonify(out_schema().dump(services.get_or_404(model, ident)))

    @documented(
        summary=f"Change a {name}; is_active=false deactivates it",
        tag="organisation",
        body=patch_schema,
        response=out_schema,
    )
    @api_roles(Role.ADMIN)
    def patch_view(ident: int):
        data = load_json(patch_schema(), partial=True)
        obj = services.get_or_404(model, ident)
        active = data.pop("is_active", None)
        update(obj, data, api_user())
        if active is not None:
            services.set_active(obj, active, api_user())
        db.session.commit()
        return jsonify(out_schema().dump(obj))

    base = f"/{plural}"
    bp.add_url_rule(base, f"list_{plural}", list_view, methods=["GET"])
    bp.add_url_rule(base, f"create_{name}", create_view, methods=["POST"])
    bp.add_url_rule(f"{base}/<int:ident>", f"get_{name}", get_view, methods=["GET"])
    bp.add_url_rule(f"{base}/<int:ident>", f"update_{name}", patch_view, methods=["PATCH"])


_register_resource(
    name="legislature",
    plural="legislatures",
    model=Legislature,
    in_schema=LegislatureInSchema,
    patch_schema=LegislaturePatchSchema,
    out_schema=LegislatureSchema,
    create=services.create_legislature,
    update=services.update_legislature,
    order_by=Legislature.name,
)
_register_resource(
    name="point",
    plural="points",
    model=ContactPoint,
    in_schema=PointInSchema,
    patch_schema=PointPatchSchema,
    out_schema=PointSchema,
    create=services.create_point,
    update=services.update_point,
    order_by=ContactPoint.name,
    filters={
        "legislature_id": lambda v: ContactPoint.legislatures.any(
            Legislature.id == _int_arg("legislature_id", v)
        )
    },
)
_register_resource(
    name="unit",
    plural="units",
    model=Unit,
    in_schema=UnitInSchema,
    patch_schema=UnitPatchSchema,
    out_schema=UnitSchema,
    create=services.create_unit,
    update=services.update_unit,
    order_by=Unit.name,
    filters={"point_id": lambda v: Unit.point_id == _int_arg("point_id", v)},
)
_register_resource(
    name="user",
    plural="users",
    model=User,
    in_schema=UserInSchema,
    patch_schema=UserPatchSchema,
    out_schema=UserSchema,
    created_schema=UserCreatedSchema,
    create=services.create_user,
    update=services.update_user,
    order_by=User.username,
    filters={
        "role": lambda v: User.role == _role_arg(v),
        "point_id": lambda v: User.point_id == _int_arg("point_id", v),
        "unit_id": lambda v: User.unit_id == _int_arg("unit_id", v),
        "legislature_id": lambda v: User.legislature_id == _int_arg("legislature_id", v),
    },
)
