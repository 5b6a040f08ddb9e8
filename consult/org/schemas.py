"""Input and output schemas of the organisation resources (separate classes)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from consult.core.schemas import Id, InputSchema, Text
from consult.org.models import Role, UnitKind

# -- input ----------------------------------------------------------------------------------


class TokenRequestSchema(InputSchema):
    username = Text(required=True, validate=validate.Length(max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    name = Text(validate=validate.Length(max=100), load_default=None)


class LegislatureInSchema(InputSchema):
    name = Text(required=True, validate=validate.Length(min=2, max=200))
    description = Text(validate=validate.Length(max=5000), load_default=None)


class LegislaturePatchSchema(LegislatureInSchema):
    is_active = fields.Boolean()


class PointInSchema(InputSchema):
    name = Text(required=True, validate=validate.Length(min=2, max=200))
    address = Text(validate=validate.Length(max=300), load_default=None)
    description = Text(validate=validate.Length(max=5000), load_default=None)
    collects_personal_data = fields.Boolean(load_default=False)
    legislature_ids = fields.List(Id(), load_default=list)


class PointPatchSchema(PointInSchema):
    is_active = fields.Boolean()


class UnitInSchema(InputSchema):
    point_id = Id(required=True)
    name = Text(required=True, validate=validate.Length(min=2, max=200))
    kind = fields.Enum(UnitKind, by_value=True, load_default=UnitKind.CONTACT_UNIT)
    address = Text(validate=validate.Length(max=300), load_default=None)


class UnitPatchSchema(UnitInSchema):
    is_active = fields.Boolean()


class UserInSchema(InputSchema):
    username = Text(required=True, validate=validate.Length(min=3, max=64))
    display_name = Text(required=True, validate=validate.Length(min=1, max=100))
    email = Text(validate=[validate.Length(max=254), validate.Email()], load_default=None)
    role = fields.Enum(Role, by_value=True, required=True)
    position = Text(validate=validate.Length(max=50), load_default=None)
    legislature_id = Id(allow_none=True, load_default=None)
    point_id = Id(allow_none=True, load_default=None)
    unit_id = Id(allow_none=True, load_default=None)
    password = fields.String(validate=validate.Length(max=1024), load_default=None)


class UserPatchSchema(InputSchema):
    display_name = Text(validate=validate.Length(min=1, max=100))
    email = Text(validate=[validate.Length(max=254), validate.Email()], allow_none=True)
    role = fields.Enum(Role, by_value=True)
    position = Text(validate=validate.Length(max=50), allow_none=True)
    legislature_id = Id(allow_none=True)
    point_id = Id(allow_none=True)
    unit_id = Id(allow_none=True)
    is_active = fields.Boolean()


# -- output ---------------------------------------------------------------------------------


class TokenCreatedSchema(Schema):
    id = fields.Integer()
    token = fields.String(metadata={"description": "Shown once; only its hash is stored."})
    name = fields.String()
    prefix = fields.String()
    created_at = fields.DateTime()


class TokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class LegislatureSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    is_active = fields.Boolean()
    created_at = fields.DateTime()
    point_ids = fields.Method("_point_ids")

    def _point_ids(self, obj) -> list[int]:
        return [p.id for p in obj.points]


class PointSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    address = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    collects_personal_data = fields.Boolean()
    is_active = fields.Boolean()
    created_at = fields.DateTime()
    legislature_ids = fields.Method("_legislature_ids")

    def _legislature_ids(self, obj) -> list[int]:
        return [leg.id for leg in obj.legislatures]


class UnitSchema(Schema):
    id = fields.Integer()
    point_id = fields.Integer()
    name = fields.String()
    kind = fields.Enum(UnitKind, by_value=True)
    address = fields.String(allow_none=True)
    is_active = fields.Boolean()
    created_at = fields.DateTime()


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    email = fields.String(allow_none=True)
    role = fields.Enum(Role, by_value=True)
    position = fields.String(allow_none=True)
    legislature_id = fields.Integer(allow_none=True)
    point_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    is_active = fields.Boolean()
    must_change_password = fields.Boolean()
    created_at = fields.DateTime()
    last_login_at = fields.DateTime(allow_none=True)


class NamedRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class MeSchema(UserSchema):
    legislature = fields.Nested(NamedRefSchema, allow_none=True)
    point = fields.Nested(NamedRefSchema, allow_none=True)
    unit = fields.Nested(NamedRefSchema, allow_none=True)


class UserCreatedSchema(UserSchema):
    initial_password = fields.String(
        allow_none=True,
        metadata={"description": "Generated when no password was given; shown once."},
    )
