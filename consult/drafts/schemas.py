"""Input and output schemas of drafts, versions and clauses."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from consult.core.schemas import InputSchema, Text

MAX_TEXT = 20 * 1024 * 1024


class VersionInSchema(InputSchema):
    version_label = Text(validate=validate.Length(max=50), load_default=None)
    text = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT))
    explanatory_note = fields.String(validate=validate.Length(max=MAX_TEXT), load_default=None)


class DraftInSchema(VersionInSchema):
    title = Text(validate=validate.Length(max=300), load_default=None)
    issuing_body = Text(validate=validate.Length(max=200), load_default=None)


class WarningSchema(Schema):
    line = fields.Integer()
    code = fields.String()
    message = fields.String()
    expected = fields.String(allow_none=True)
    found = fields.String(allow_none=True)


class ClauseSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    number = fields.Integer(allow_none=True)
    insert = fields.Integer(allow_none=True)
    label = fields.String()
    citation = fields.String()
    heading = fields.String(allow_none=True)
    text = fields.String()
    line = fields.Integer()


class ClauseNodeSchema(ClauseSchema):
    children = fields.List(fields.Dict(), metadata={"description": "Clause nodes, nested"})


class VersionSummarySchema(Schema):
    id = fields.Integer(metadata={"description": "the draft_version_id that tasks refer to"})
    number = fields.Integer()
    label = fields.String()
    status = fields.String()
    created_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    warning_count = fields.Method("_warning_count")

    def _warning_count(self, obj) -> int:
        return len(obj.warnings or [])


class VersionSchema(VersionSummarySchema):
    draft_id = fields.Integer()
    parsed_title = fields.String(allow_none=True)
    explanatory_note = fields.String(allow_none=True)
    front_matter = fields.Dict()
    warnings = fields.List(fields.Nested(WarningSchema))
    tree = fields.List(fields.Nested(ClauseNodeSchema))


class DraftSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    issuing_body = fields.String(allow_none=True)
    legislature_id = fields.Integer()
    legislature = fields.Function(lambda d: d.legislature.name)
    created_at = fields.DateTime()
    versions = fields.List(fields.Nested(VersionSummarySchema))


class DraftCreatedSchema(DraftSchema):
    version = fields.Nested(VersionSchema)


class DiffOpSchema(Schema):
    op = fields.String()
    text = fields.String()


class ChangeSchema(Schema):
    status = fields.String(metadata={"description": "unchanged, changed, moved, added, removed"})
    old = fields.String(allow_none=True)
    new = fields.String(allow_none=True)
    old_container = fields.String(allow_none=True)
    new_container = fields.String(allow_none=True)
    similarity = fields.Float()
    renumbered = fields.Boolean()
    moved_to_other_container = fields.Boolean()
    diff = fields.List(fields.Nested(DiffOpSchema))


class ComparisonSchema(Schema):
    old_version = fields.Integer()
    new_version = fields.Integer()
    summary = fields.Dict(keys=fields.String(), values=fields.Integer())
    changes = fields.List(fields.Nested(ChangeSchema))
