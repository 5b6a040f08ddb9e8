"""JSON API of tasks and the comments recorded on them."""

from __future__ import annotations

from datetime import datetime

from flask import jsonify, request
from flask_babel import gettext as _
from marshmallow import Schema, fields

from consult.api import bp
from consult.api.openapi import documented
from consult.comments import imports
from consult.comments import services as comments
from consult.comments.models import Channel, Comment, CommentStatus
from consult.consultations import services
from consult.consultations.models import ConsultationTask
from consult.consultations.schemas import (
    CommentInSchema,
    CommentPatchSchema,
    CommentSchema,
    TaskInSchema,
    TaskSchema,
)
from consult.core.auth import api_roles, api_user
from consult.core.errors import ValidationFailed
from consult.core.pagination import envelope, paginate
from consult.core.schemas import Id, InputSchema, load_json
from consult.extensions import db
from consult.org.models import Role

COMMENT_FILTERS = {
    "clause": {"type": "string", "description": "a citation, a clause id, or 'general'"},
    "unit_id": {"type": "integer"},
    "collector_id": {"type": "integer"},
    "channel": {"type": "string", "enum": [c.value for c in Channel]},
    "status": {"type": "string", "enum": [s.value for s in CommentStatus]},
    "from": {"type": "string", "format": "date"},
    "to": {"type": "string", "format": "date"},
    "mine": {"type": "boolean"},
}


@bp.post("/tasks")
@documented(summary="Open a consultation task", tag="tasks", body=TaskInSchema,
            response=TaskSchema, status=201)  # fmt: skip
@api_roles(Role.LEGISLATURE)
def create_task():
    data = load_json(TaskInSchema())
    task = services.create_task(data, api_user())
    db.session.commit()
    return jsonify(TaskSchema().dump(task)), 201


@bp.get("/tasks")
@documented(summary="Tasks you can see", tag="tasks", response=TaskSchema, shape="page")
@api_roles()
def list_tasks():
    query = services.visible_tasks_query(api_user())
    page = paginate(query.order_by(ConsultationTask.deadline.desc(), ConsultationTask.id))
    for task in page.items:
        services.refresh_state(task)
    db.session.commit()
    return jsonify(envelope(page, TaskSchema(many=True).dump(page.items)))


@bp.get("/tasks/<int:task_id>")
@documented(summary="One task", tag="tasks", response=TaskSchema)
@api_roles()
def get_task(task_id: int):
    task = services.task_or_404(task_id, api_user())
    db.session.commit()
    return jsonify(TaskSchema().dump(task))


class AssignInSchema(InputSchema):
    unit_ids = fields.List(Id(), load_default=list)
    user_ids = fields.List(Id(), load_default=list)


class AssignmentSchema(Schema):
    id = fields.Integer()
    unit_id = fields.Integer(allow_none=True)
    user_id = fields.Integer(allow_none=True)
    assigned_at = fields.DateTime()


@bp.post("/tasks/<int:task_id>/assignments")
@documented(summary="Hand the task to units or collectors of your point (managers)",
            tag="tasks", body=AssignInSchema, response=AssignmentSchema, shape="array",
            status=201)  # fmt: skip
@api_roles(Role.MANAGER)
def assign_task(task_id: int):
    data = load_json(AssignInSchema())
    task = services.task_or_404(task_id, api_user())
    created = services.assign(task, data, api_user())
    db.session.commit()
    return jsonify(AssignmentSchema(many=True).dump(created)), 201


@bp.post("/tasks/<int:task_id>/comments")
@documented(summary="Record a comment of your point (409 after the deadline)", tag="comments",
            body=CommentInSchema, response=CommentSchema, status=201)  # fmt: skip
@api_roles(Role.MANAGER, Role.EXPERT, Role.COLLECTOR)
def create_comment(task_id: int):
    data = load_json(CommentInSchema())
    task = services.task_or_404(task_id, api_user())
    comment = comments.record_comment(task, data, api_user())
    db.session.commit()
    return jsonify(CommentSchema().dump(comment)), 201


def filtered(query, user, args):
    """Apply the list filters shared by the comments page and the API."""
    errors: dict[str, list[str]] = {}

    def integer(name):
        value = args.get(name)
        if value in (None, ""):
            return None
        if not str(value).isdigit():
            errors[name] = [_("Not a valid integer.")]
            return None
        return int(value)

    def day(name):
        value = args.get(name)
        if not value:
            return None
        try:
            return datetime.strptime(value, "%Y-%m-%d").date()
        except ValueError:
            errors[name] = [_("Use the form YYYY-MM-DD.")]
            return None

    if (unit_id := integer("unit_id")) is not None:
        query = query.where(Comment.unit_id == unit_id)
    if (collector_id := integer("collector_id")) is not None:
        query = query.where(Comment.collector_id == collector_id)
    if args.get("mine") in ("1", "true", "yes"):
        query = query.where(Comment.collector_id == user.id)
    if channel := args.get("channel"):
        if channel not in {c.value for c in Channel}:
            errors["channel"] = [_("Unknown channel.")]
        else:
            query = query.where(Comment.channel == Channel(channel))
    status = args.get("status")
    if status:
        if status not in {s.value for s in CommentStatus}:
            errors["status"] = [_("Unknown status.")]
        else:
            query = query.where(Comment.status == CommentStatus(status))
    else:
        query = query.where(Comment.status == CommentStatus.ACTIVE)
    if (start := day("from")) is not None:
        query = query.where(Comment.collected_on >= start)
    if (end := day("to")) is not None:
        query = query.where(Comment.collected_on <= end)
    clause = args.get("clause")
    if clause == "general":
        query = query.where(Comment.clause_id.is_(None))
    elif clause:
        query = query.where(Comment.clause_id == clause)
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
    return query


@bp.get("/tasks/<int:task_id>/comments")
@documented(summary="Your point's comments on a task, with filters", tag="comments",
            response=CommentSchema, shape="page", query=COMMENT_FILTERS)  # fmt: skip
@api_roles(Role.MANAGER, Role.EXPERT, Role.COLLECTOR)
def list_comments(task_id: int):
    task = services.task_or_404(task_id, api_user())
    query = comments.point_comments(task, api_user())
    args = request.args.to_dict()
    if args.get("clause") and args["clause"] != "general":
        clause = comments.clause_for(task, args["clause"])
        args["clause"] = clause.id if clause else "general"
    query = filtered(query, api_user(), args)
    page = paginate(query.order_by(Comment.created_at.desc(), Comment.id.desc()))
    return jsonify(envelope(page, CommentSchema(many=True).dump(page.items)))


@bp.patch("/comments/<int:comment_id>")
@documented(summary="Change a comment (its history is kept)", tag="comments",
            body=CommentPatchSchema, response=CommentSchema)  # fmt: skip
@api_roles(Role.MANAGER, Role.EXPERT, Role.COLLECTOR)
def update_comment(comment_id: int):
    data = load_json(CommentPatchSchema(), partial=True)
    comment = comments.comment_or_404(comment_id, api_user())
    comments.update_comment(comment, data, api_user())
    db.session.commit()
    return jsonify(CommentSchema().dump(comment))


@bp.delete("/comments/<int:comment_id>")
@documented(summary="Withdraw a comment (it is kept, marked withdrawn)", tag="comments",
            response=CommentSchema)  # fmt: skip
@api_roles(Role.MANAGER, Role.EXPERT, Role.COLLECTOR)
def withdraw_comment(comment_id: int):
    comment = comments.comment_or_404(comment_id, api_user())
    comments.withdraw_comment(comment, api_user(), request.args.get("reason"))
    db.session.commit()
    return jsonify(CommentSchema().dump(comment))


class ImportResultSchema(Schema):
    dry_run = fields.Boolean()
    valid_rows = fields.Integer()
    duplicates = fields.Integer(metadata={"description": "rows imported before, skipped"})
    imported = fields.Integer()


@bp.post("/tasks/<int:task_id>/comments/import")
@documented(
    summary="Import comments from an .xlsx or .csv (multipart `file`); ?dry_run=1 only checks. "
    "Any bad row: 422 listing every row and reason, nothing imported.",
    tag="comments",
    response=ImportResultSchema,
    status=201,
    query={"dry_run": {"type": "boolean"}},
)
@api_roles(Role.MANAGER, Role.EXPERT, Role.COLLECTOR)
def import_comments(task_id: int):
    task = services.task_or_404(task_id, api_user())
    services.require_record(task, api_user())
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(_("Please correct the marked fields."),
                               fields={"file": [_("Choose a file.")]})  # fmt: skip
    checked = imports.check(task, upload.read(), upload.filename, api_user())
    if not checked.ok:
        raise imports.refuse(checked, _("Nothing was imported: %(n)d problems must be fixed "
                                        "first.", n=len(checked.errors)))  # fmt: skip
    dry_run = request.args.get("dry_run") in ("1", "true", "yes")
    imported = 0 if dry_run else imports.import_rows(task, checked, api_user())
    db.session.commit()
    body = {"dry_run": dry_run, "valid_rows": len(checked.rows),
            "duplicates": checked.duplicates, "imported": imported}  # fmt: skip
    return jsonify(body), 200 if dry_run else 201
