"""The search query, validated once for the page and the API; and the API's answer."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from consult.comments.models import Channel, CommentStatus
from consult.core.schemas import Id, InputSchema, Text
from consult.outcomes.models import Outcome

KINDS = ("clause", "comment", "suggestion")
OUTCOMES = tuple(o.value for o in Outcome)


class SearchQuerySchema(InputSchema):
    q = Text(load_default=None, validate=validate.Length(max=200))
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    task_id = Id(strict=False, load_default=None)
    draft_id = Id(strict=False, load_default=None)
    unit_id = Id(strict=False, load_default=None)
    collector_id = Id(strict=False, load_default=None)
    clause_id = Id(strict=False, load_default=None)
    channel = fields.String(load_default=None, validate=validate.OneOf([c.value for c in Channel]))
    status = fields.String(
        load_default=None, validate=validate.OneOf([s.value for s in CommentStatus])
    )
    outcome = fields.String(load_default=None, validate=validate.OneOf(OUTCOMES))
    from_ = fields.Date(data_key="from", attribute="from", load_default=None)
    to = fields.Date(load_default=None)
    sort = fields.String(load_default="relevance", validate=validate.OneOf(["relevance", "newest"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=500))
    per_page = fields.Integer(load_default=None, validate=validate.Range(min=1))
    facets = fields.Boolean(load_default=True)

    @validates_schema
    def _check(self, data, **kwargs):
        if data.get("from") and data.get("to") and data["from"] > data["to"]:
            raise ValidationError(str(_l("The start date is after the end date.")), "from")
        limit = current_app.config["MAX_PAGE_SIZE"]
        if data.get("per_page") and data["per_page"] > limit:
            raise ValidationError(str(_l("At most %(n)d per page.", n=limit)), "per_page")


class PageQuerySchema(SearchQuerySchema):
    """The page ignores what it does not know (a language switch, a tracking tag)."""

    class Meta:
        unknown = EXCLUDE


class SearchItemSchema(Schema):
    kind = fields.String(required=True)
    id = fields.Integer(required=True)
    score = fields.Float(required=True)
    title = fields.String(required=True)
    url = fields.String(required=True)
    snippet = fields.String(required=True, metadata={"description": "HTML; matches in <mark>"})
    day = fields.Date(allow_none=True)


class JumpSchema(Schema):
    title = fields.String(required=True)
    url = fields.String(required=True)
    citation = fields.String(required=True)
    draft_id = fields.Integer(required=True)


class SearchResultSchema(Schema):
    items = fields.List(fields.Nested(SearchItemSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    facets = fields.Dict(
        keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer())
    )
    jumps = fields.List(fields.Nested(JumpSchema), required=True)
