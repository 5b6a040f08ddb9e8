"""Outcome API: PUT /suggestions/<id>/outcome, GET /tasks/<id>/outcomes, and the import."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from consult.api import bp
from consult.api.openapi import documented
from consult.comments.imports import refuse
from consult.consultations import services as tasks
from consult.consultations.schemas import ClauseField
from consult.core.auth import api_roles, api_user
from consult.core.errors import ValidationFailed
from consult.core.schemas import InputSchema, Text, load_json
from consult.extensions import db
from consult.org.models import Role
from consult.outcomes import imports, services
from consult.outcomes.models import Outcome


class OutcomeInSchema(InputSchema):
    outcome = fields.Enum(Outcome, by_value=True, required=True)
    explanation = Text(validate=validate.Length(max=5000), load_default=None, allow_none=True)
    landed_in = ClauseField(load_default=None, allow_none=True)


class OutcomeSchema(Schema):
    suggestion_id = fields.Integer(required=True)
    point_id = fields.Integer(required=True)
    citation = fields.String(required=True)
    proposed_text = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    explanation = fields.String(allow_none=True)
    landed_in = fields.String(allow_none=True)
    revision = fields.Integer(allow_none=True)


def _dump(suggestion, entry) -> dict:
    """The suggestion with its current outcome ``entry`` (None: none recorded yet)."""
    return OutcomeSchema().dump({
        "suggestion_id": suggestion.id, "point_id": suggestion.point_id,
        "citation": suggestion.citation, "proposed_text": suggestion.proposed_text,
        "outcome": entry.outcome.value if entry else None,
        "explanation": entry.explanation if entry else None,
        "landed_in": entry.landed_in.citation if entry and entry.landed_in else None,
        "revision": entry.revision if entry else None,
    })  # fmt: skip


@bp.put("/suggestions/<int:suggestion_id>/outcome")
@documented(summary="Record (or correct) a submitted suggestion's outcome", tag="outcomes",
            body=OutcomeInSchema, response=OutcomeSchema)  # fmt: skip
@api_roles(Role.LEGISLATURE)
def record_outcome(suggestion_id: int):
    user = api_user()
    suggestion = services.submitted_suggestion_or_404(suggestion_id, user)
    services.record(suggestion, load_json(OutcomeInSchema()), user)
    db.session.commit()
    return jsonify(_dump(suggestion, services.current(suggestion)))


@bp.get("/tasks/<int:task_id>/outcomes")
@documented(summary="Outcomes of a task's submitted suggestions", tag="outcomes",
            response=OutcomeSchema, shape="items")  # fmt: skip
@api_roles(Role.LEGISLATURE, Role.MANAGER, Role.EXPERT, Role.COLLECTOR)
def list_outcomes(task_id: int):
    user = api_user()
    task = tasks.task_or_404(task_id, user)
    suggestions = services.task_suggestions(task, user)
    found = services.histories(suggestions)  # every outcome in one query, newest first
    # a suggestion without outcomes is dumped as such, not read again one by one
    return jsonify({"items": [_dump(s, next(iter(found[s.id]), None)) for s in suggestions]})


class OutcomeImportResultSchema(Schema):
    dry_run = fields.Boolean()
    valid_rows = fields.Integer(metadata={"description": "rows that change an outcome"})
    unchanged = fields.Integer(metadata={"description": "rows already recorded so, skipped"})
    recorded = fields.Integer()


@bp.post("/tasks/<int:task_id>/outcomes/import")
@documented(
    summary="Record outcomes from the outcome sheet (.xlsx or .csv, multipart `file`); "
    "?dry_run=1 only checks. Any bad row: 422 listing every row and reason, nothing recorded.",
    tag="outcomes",
    response=OutcomeImportResultSchema,
    status=201,
    query={"dry_run": {"type": "boolean"}},
)
@api_roles(Role.LEGISLATURE)
def import_outcomes(task_id: int):
    user = api_user()
    task = tasks.task_or_404(task_id, user)
    services.require_staff(task, user)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(_("Please correct the marked fields."),
                               fields={"file": [_("Choose a file.")]})  # fmt: skip
    checked = imports.check(task, upload.read(), upload.filename, user)
    if not checked.ok:
        raise refuse(checked, _("Nothing was recorded: %(n)d problems must be fixed first.",
                                n=len(checked.errors)))  # fmt: skip
    dry_run = request.args.get("dry_run") in ("1", "true", "yes")
    recorded = 0 if dry_run else imports.record_rows(task, checked.rows, user)
    db.session.commit()
    body = {"dry_run": dry_run, "valid_rows": len(checked.rows), "unchanged": checked.duplicates,
            "recorded": recorded}  # fmt: skip
    return jsonify(OutcomeImportResultSchema().dump(body)), 200 if dry_run else 201
