"""Schemas of tasks and comments (input and output are separate classes)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from consult.comments.models import Channel, CommentStatus
from consult.consultations.models import TaskState
from consult.core.schemas import Id, InputSchema, Text


class TaskInSchema(InputSchema):
    draft_version_id = Id(required=True)
    title = Text(required=True, validate=validate.Length(min=2, max=300))
    instructions = fields.String(validate=validate.Length(max=20000), load_default=None)
    deadline = fields.AwareDateTime(required=True)
    point_ids = fields.List(Id(), required=True, validate=validate.Length(min=1))
    public_channel = fields.Boolean(load_default=False)


class ClauseField(fields.Field):
    """A citation (第十二条第二款), a clause id, or null for a general comment."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        if isinstance(value, str) and len(value) <= 120:
            return value.strip() or None
        raise ValidationError("A citation such as 第十二条第二款, a clause id, or null.")


class CommentInSchema(InputSchema):
    clause = ClauseField(load_default=None, allow_none=True)
    body = Text(required=True, validate=validate.Length(min=1, max=5000))
    proposed_text = Text(validate=validate.Length(max=5000), load_default=None, allow_none=True)
    reason = Text(validate=validate.Length(max=5000), load_default=None, allow_none=True)
    channel = fields.Enum(Channel, by_value=True, load_default=Channel.FORUM)
    place = Text(validate=validate.Length(max=200), load_default=None, allow_none=True)
    collected_on = fields.Date(load_default=None, allow_none=True)
    participants = fields.Integer(
        strict=True, validate=validate.Range(min=1, max=100000), load_default=1
    )
    respondent_occupation = Text(
        validate=validate.Length(max=100), load_default=None, allow_none=True
    )
    respondent_area = Text(validate=validate.Length(max=100), load_default=None, allow_none=True)
    respondent_name = Text(validate=validate.Length(max=50), load_default=None, allow_none=True)
    respondent_phone = Text(validate=validate.Length(max=30), load_default=None, allow_none=True)
    unit_id = Id(load_default=None, allow_none=True)
    collector_id = Id(load_default=None, allow_none=True)


class CommentPatchSchema(CommentInSchema):
    """The same fields, all optional (PATCH)."""


class TaskSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    legislature_id = fields.Integer()
    draft_id = fields.Function(lambda t: t.version.draft_id)
    draft_version_id = fields.Integer()
    version_number = fields.Function(lambda t: t.version.number)
    instructions_html = fields.String(allow_none=True)
    deadline = fields.DateTime()
    public_channel = fields.Boolean()
    state = fields.Enum(TaskState, by_value=True)
    accepts_comments = fields.Boolean()
    point_ids = fields.Function(lambda t: [p.id for p in t.points])
    created_at = fields.DateTime()


class CommentSchema(Schema):
    """A comment as its own point sees it (personal details never leave the point)."""

    id = fields.Integer()
    task_id = fields.Integer()
    point_id = fields.Integer()
    clause_id = fields.Integer(allow_none=True)
    clause = fields.Function(lambda c: c.clause.citation if c.clause else None)
    body = fields.String()
    proposed_text = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    channel = fields.Enum(Channel, by_value=True)
    place = fields.String(allow_none=True)
    collected_on = fields.Date(allow_none=True)
    participants = fields.Integer()
    respondent_occupation = fields.String(allow_none=True)
    respondent_area = fields.String(allow_none=True)
    respondent_name = fields.String(allow_none=True)
    respondent_phone = fields.String(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    collector_id = fields.Integer(allow_none=True)
    status = fields.Enum(CommentStatus, by_value=True)
    source = fields.Function(lambda c: c.source.value)
    revision = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
