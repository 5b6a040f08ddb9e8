"""Review API bodies and answers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from consult.comments.models import SetAsideReason
from consult.consultations.schemas import ClauseField
from consult.core.schemas import Id, InputSchema, Text


class SuggestionInSchema(InputSchema):
    comment_ids = fields.List(Id(), required=True,
                              validate=validate.Length(min=1, max=10000))  # fmt: skip
    clause = ClauseField(allow_none=True)
    proposed_text = Text(validate=validate.Length(max=10000), load_default=None, allow_none=True)
    rationale = Text(validate=validate.Length(max=20000), load_default=None, allow_none=True)


class SuggestionPatchSchema(InputSchema):
    comment_ids = fields.List(Id(), validate=validate.Length(min=1))
    clause = ClauseField(allow_none=True)
    proposed_text = Text(validate=validate.Length(max=10000), allow_none=True)
    rationale = Text(validate=validate.Length(max=20000), allow_none=True)


class SetAsideInSchema(InputSchema):
    reason = fields.Enum(SetAsideReason, by_value=True, required=True)
    note = Text(validate=validate.Length(max=2000), load_default=None, allow_none=True)


class SubmissionInSchema(InputSchema):
    override_reason = Text(validate=validate.Length(max=2000), load_default=None, allow_none=True)


class SuggestionSchema(Schema):
    id = fields.Integer(required=True)
    task_id = fields.Integer(required=True)
    citation = fields.String(required=True)
    clause_id = fields.Integer(allow_none=True)
    proposed_text = fields.String(allow_none=True)
    rationale_html = fields.String(required=True)
    status = fields.Function(lambda s: s.status.value, required=True)
    comment_ids = fields.Function(lambda s: [c.id for c in s.comments], required=True)
    people = fields.Integer(required=True)
    authors = fields.Function(lambda s: [u.display_name for u in s.authors])
    submitted = fields.Function(lambda s: s.is_submitted)


class GroupSchema(Schema):
    ids = fields.List(fields.Integer(), required=True)
    size = fields.Integer(required=True)
    exact = fields.Boolean(required=True)


class DuplicatesSchema(Schema):
    raw = fields.Integer(required=True)
    distinct = fields.Integer(required=True)
    groups = fields.List(fields.Nested(GroupSchema), required=True)


class SubmissionSchema(Schema):
    id = fields.Integer(required=True)
    task_id = fields.Integer(required=True)
    point_id = fields.Integer(required=True)
    tracking_number = fields.String(required=True)
    submitted_at = fields.DateTime(required=True)
    late = fields.Boolean(required=True)
    override_reason = fields.String(allow_none=True)
    suggestion_ids = fields.Function(lambda s: [x.id for x in s.suggestions])
