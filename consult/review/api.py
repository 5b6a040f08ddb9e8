"""Review API: duplicates, suggestions, setting aside, submitting the report."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from consult.api import bp
from consult.api.openapi import documented
from consult.comments import services as comments
from consult.consultations import services as tasks
from consult.core.auth import api_roles, api_user
from consult.core.errors import NotFound
from consult.core.http import XLSX
from consult.core.schemas import load_json
from consult.extensions import db
from consult.org.models import Role
from consult.review import services
from consult.review.report import DOCX, download
from consult.review.schemas import (
    DuplicatesSchema,
    SetAsideInSchema,
    SubmissionInSchema,
    SubmissionSchema,
    SuggestionInSchema,
    SuggestionPatchSchema,
    SuggestionSchema,
)
from consult.review.services import REVIEWERS


def _reviewed_task(task_id: int):
    """The task, if the token's user reviews for one of its points."""
    user = api_user()
    task = tasks.task_or_404(task_id, user)
    services.require_reviewer(task, user)
    return task, user


@bp.get("/tasks/<int:task_id>/duplicates")
@documented(summary="Exact and near-duplicate groups of your point's comments", tag="review",
            response=DuplicatesSchema)  # fmt: skip
@api_roles(*REVIEWERS)
def duplicates(task_id: int):
    task, user = _reviewed_task(task_id)
    grouping = services.duplicates(task, user.point_id)
    db.session.commit()  # the duplicate marks brought up to date
    return jsonify(DuplicatesSchema().dump({
        "raw": grouping.raw, "distinct": grouping.distinct,
        "groups": [{"ids": g.ids, "size": g.size, "exact": g.exact} for g in grouping.groups],
    }))  # fmt: skip


@bp.get("/tasks/<int:task_id>/suggestions")
@documented(summary="Your point's suggestions on a task, in clause order", tag="review",
            response=SuggestionSchema, shape="items")  # fmt: skip
@api_roles(*REVIEWERS)
def list_suggestions(task_id: int):
    task, user = _reviewed_task(task_id)
    found = services.in_clause_order(services.point_suggestions(task, user.point_id))
    return jsonify({"items": SuggestionSchema(many=True).dump(found)})


@bp.post("/tasks/<int:task_id>/suggestions")
@documented(summary="Merge comments into a suggestion", tag="review", body=SuggestionInSchema,
            response=SuggestionSchema, status=201)  # fmt: skip
@api_roles(*REVIEWERS)
def create_suggestion(task_id: int):
    task, user = _reviewed_task(task_id)
    suggestion = services.create_suggestion(task, load_json(SuggestionInSchema()), user)
    db.session.commit()
    return jsonify(SuggestionSchema().dump(suggestion)), 201


@bp.patch("/suggestions/<int:suggestion_id>")
@documented(summary="Change a suggestion or the comments it merges", tag="review",
            body=SuggestionPatchSchema, response=SuggestionSchema)  # fmt: skip
@api_roles(*REVIEWERS)
def update_suggestion(suggestion_id: int):
    user = api_user()
    suggestion = services.suggestion_or_404(suggestion_id, user)
    data = load_json(SuggestionPatchSchema(), partial=True)
    services.update_suggestion(suggestion, data, user)
    db.session.commit()
    return jsonify(SuggestionSchema().dump(suggestion))


@bp.delete("/suggestions/<int:suggestion_id>")
@documented(summary="Unmerge: delete a suggestion, its comments return to review",
            tag="review", status=204)  # fmt: skip
@api_roles(*REVIEWERS)
def delete_suggestion(suggestion_id: int):
    user = api_user()
    services.delete_suggestion(services.suggestion_or_404(suggestion_id, user), user)
    db.session.commit()
    return "", 204


@bp.post("/suggestions/<int:suggestion_id>/approve")
@documented(summary="Approve a suggestion (the point's manager)", tag="review",
            response=SuggestionSchema)  # fmt: skip
@api_roles(Role.MANAGER)
def approve_suggestion(suggestion_id: int):
    user = api_user()
    suggestion = services.approve(services.suggestion_or_404(suggestion_id, user), user)
    db.session.commit()
    return jsonify(SuggestionSchema().dump(suggestion))


@bp.post("/comments/<int:comment_id>/set-aside")
@documented(summary="Set a comment aside with a reason", tag="review", body=SetAsideInSchema,
            response=None)  # fmt: skip
@api_roles(*REVIEWERS)
def set_aside(comment_id: int):
    user = api_user()
    comment = comments.comment_or_404(comment_id, user)
    data = load_json(SetAsideInSchema())
    services.set_aside(comment, data["reason"], data.get("note"), user)
    db.session.commit()
    return jsonify({"id": comment.id, "review_state": comment.review_state.value,
                    "reason": comment.set_aside_reason.value})  # fmt: skip


@bp.post("/tasks/<int:task_id>/submission")
@documented(summary="Submit the point's report (all comments accounted for)", tag="review",
            body=SubmissionInSchema, response=SubmissionSchema, status=201)  # fmt: skip
@api_roles(Role.MANAGER)
def submit(task_id: int):
    user = api_user()
    task = tasks.task_or_404(task_id, user)
    data = load_json(SubmissionInSchema())
    submission = services.submit(task, user, override_reason=data.get("override_reason"))
    db.session.commit()
    return jsonify(SubmissionSchema().dump(submission)), 201


REPORT_QUERY = {"point_id": {"type": "integer", "description": "legislature staff: whose report"}}


def _report(task_id: int, kind: str):
    """The report the token's user may read: their point's, or (legislature staff) any
    submitted report on their legislature's task, named by ``?point_id=``."""
    user = api_user()
    task = tasks.task_or_404(task_id, user)
    if user.role == Role.LEGISLATURE:
        point_id = request.args.get("point_id", type=int)
        if point_id is None or services.submission_of(task, point_id) is None:
            raise NotFound(_("No submitted report of that point on this task."))
    else:
        services.require_reviewer(task, user)
        point_id = user.point_id
    return download(services.report_of(task, point_id), task.id, kind)


@bp.get("/tasks/<int:task_id>/report.docx")
@documented(summary="The point's report (意见建议汇总表) as DOCX", tag="review",
            query=REPORT_QUERY, files=(DOCX,))  # fmt: skip
@api_roles(Role.MANAGER, Role.EXPERT, Role.LEGISLATURE)
def report_docx(task_id: int):
    return _report(task_id, "docx")


@bp.get("/tasks/<int:task_id>/report.xlsx")
@documented(summary="The point's report (意见建议汇总表) as XLSX", tag="review",
            query=REPORT_QUERY, files=(XLSX,))  # fmt: skip
@api_roles(Role.MANAGER, Role.EXPERT, Role.LEGISLATURE)
def report_xlsx(task_id: int):
    return _report(task_id, "xlsx")
