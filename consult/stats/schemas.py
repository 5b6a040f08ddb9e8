"""The statistics query, validated once for the page and the API; and the API's answer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from consult.core.schemas import Id, InputSchema
from consult.stats.services import GROUPINGS

FORMATS = ("json", "csv", "xlsx")


class StatsQuerySchema(InputSchema):
    by = fields.String(load_default="point", validate=validate.OneOf([*GROUPINGS, "all"]))
    from_ = fields.Date(data_key="from", attribute="from", load_default=None)
    to = fields.Date(load_default=None)
    point_id = Id(strict=False, load_default=None)
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))
    one_format = True  # the page's exports pick the format by their address

    @validates_schema
    def _check(self, data, **kwargs):
        if data.get("from") and data.get("to") and data["from"] > data["to"]:
            raise ValidationError(str(_l("The start date is after the end date.")), "from")
        if self.one_format and data.get("by") == "all" and data.get("format") != "xlsx":
            raise ValidationError(
                str(_l("“all” groupings come as one workbook: use format=xlsx.")), "by"
            )


class StatsPageQuerySchema(StatsQuerySchema):
    """The page ignores what it does not know (a language switch, a tracking tag)."""

    one_format = False

    class Meta:
        unknown = EXCLUDE


class StatsRowSchema(Schema):
    key = fields.Raw(allow_none=True, metadata={"description": "id, or YYYY-MM / YYYY"})
    label = fields.String(required=True)
    tasks = fields.Integer(required=True)
    comments = fields.Integer(required=True, metadata={"description": "active comments (raw)"})
    distinct = fields.Integer(required=True, metadata={"description": "near duplicates once"})
    people = fields.Integer(required=True)
    suggestions = fields.Integer(required=True, metadata={"description": "submitted"})
    adopted = fields.Integer(required=True)
    partially_adopted = fields.Integer(required=True)
    not_adopted = fields.Integer(required=True)
    pending = fields.Integer(required=True, metadata={"description": "待研究 or no outcome"})
    decided = fields.Integer(required=True)
    rate = fields.Float(
        allow_none=True, metadata={"description": "(adopted + partially adopted) / decided"}
    )


class StatsSchema(Schema):
    by = fields.String(required=True)
    from_ = fields.Date(data_key="from", attribute="from", allow_none=True)
    to = fields.Date(allow_none=True)
    point_id = fields.Integer(allow_none=True)
    legislature_id = fields.Integer(allow_none=True)
    rows = fields.List(fields.Nested(StatsRowSchema), required=True)
    total = fields.Nested(StatsRowSchema, required=True)
