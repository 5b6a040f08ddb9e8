"""The review workspace of a task, for the point's experts and managers.

Comments are grouped by clause in clause order, with raw and distinct counts and their
duplicate groups; from a selection the expert writes a suggestion; a comment can be set
aside with a reason; the manager approves and submits. Every action is a POST that
redirects back; a refusal is shown at the top of the workspace and changes nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consult.comments import services as comments
from consult.comments.models import Comment, ReviewState, SetAsideReason
from consult.consultations import services as tasks
from consult.core.auth import roles_required
from consult.core.errors import Conflict, PermissionDenied, ValidationFailed
from consult.core.forms import ConfirmForm
from consult.drafts.compare import char_ops
from consult.extensions import db
from consult.org.models import Role
from consult.review import services
from consult.review.models import Suggestion
from consult.review.report import download

bp = Blueprint("review", __name__)
REVIEWERS = (Role.MANAGER, Role.EXPERT)


def _attempt(action: Callable[[], Any], done: str) -> None:
    """Run a service call and commit, or show why it was refused (and change nothing)."""
    ConfirmForm().validate_on_submit()  # the CSRF check; the fields are read below
    try:
        action()
    except (ValidationFailed, Conflict, PermissionDenied) as exc:
        db.session.rollback()
        details = getattr(exc, "fields", None) or {}
        lines = [f"{name}: {'；'.join(map(str, messages))}" for name, messages in details.items()]
        flash(" ".join([str(exc.message), *lines]), "danger")
        return
    db.session.commit()
    flash(done, "success")


@bp.get("/tasks/<int:task_id>/review")
@roles_required(*REVIEWERS)
def workspace(task_id: int):
    task = tasks.task_or_404(task_id, current_user)
    services.require_reviewer(task, current_user)
    point_id = current_user.point_id
    rows = list(db.session.scalars(services.reviewable(task, point_id)))
    grouping = services.duplicates(task, point_id)
    db.session.commit()  # the duplicate marks brought up to date
    group_of = grouping.group_of()
    by_clause: OrderedDict[Any, dict[str, Any]] = OrderedDict()
    for comment in sorted(rows, key=services.clause_order):
        entry = by_clause.setdefault(
            comment.clause_id, {"citation": comment.citation, "comments": [], "groups": set()}
        )
        entry["comments"].append(comment)
        if comment.id in group_of:
            entry["groups"].add(id(group_of[comment.id]))
    for entry in by_clause.values():
        grouped = [c for c in entry["comments"] if c.id in group_of]
        entry["raw"] = len(entry["comments"])
        entry["distinct"] = entry["raw"] - len(grouped) + len(entry["groups"])
    numbers = {id(g): n for n, g in enumerate(grouping.groups, start=1)}
    suggestions = services.in_clause_order(services.point_suggestions(task, point_id))
    left = services.unaccounted(task, point_id)
    return render_template(
        "review/workspace.html",
        task=task,
        by_clause=by_clause,
        grouping=grouping,
        group_number={i: numbers[id(g)] for i, g in group_of.items()},
        suggestions=suggestions,
        submission=services.submission_of(task, point_id),
        left=left,
        reasons=list(SetAsideReason),
        states=ReviewState,
        confirm=ConfirmForm(),
        diff=char_ops,
    )


@bp.post("/tasks/<int:task_id>/review/suggestions")
@roles_required(*REVIEWERS)
def create_suggestion(task_id: int):
    task = tasks.task_or_404(task_id, current_user)
    ids = [int(i) for i in request.form.getlist("comment_ids") if i.isdigit()]
    data = {
        "comment_ids": ids,
        "proposed_text": request.form.get("proposed_text"),
        "rationale": request.form.get("rationale"),
    }
    if request.form.get("clause", "").strip():
        data["clause"] = request.form["clause"].strip()
    if request.form.get("action") == "review":
        _attempt(lambda: services.take_up(task, ids, current_user),
                 _("Marked as under review."))  # fmt: skip
        return redirect(url_for("review.workspace", task_id=task.id))
    _attempt(lambda: services.create_suggestion(task, data, current_user),
             _("Suggestion written."))  # fmt: skip
    return redirect(url_for("review.workspace", task_id=task.id))


def _suggestion(suggestion_id: int) -> Suggestion:
    return services.suggestion_or_404(suggestion_id, current_user)


@bp.post("/review/suggestions/<int:suggestion_id>/delete")
@roles_required(*REVIEWERS)
def delete_suggestion(suggestion_id: int):
    suggestion = _suggestion(suggestion_id)
    task_id = suggestion.task_id
    _attempt(lambda: services.delete_suggestion(suggestion, current_user),
             _("Suggestion deleted; its comments are back in review."))  # fmt: skip
    return redirect(url_for("review.workspace", task_id=task_id))


@bp.post("/review/suggestions/<int:suggestion_id>/approve")
@roles_required(Role.MANAGER)
def approve_suggestion(suggestion_id: int):
    suggestion = _suggestion(suggestion_id)
    _attempt(lambda: services.approve(suggestion, current_user), _("Suggestion approved."))
    return redirect(url_for("review.workspace", task_id=suggestion.task_id))


def _comment(comment_id: int) -> Comment:
    return comments.comment_or_404(comment_id, current_user)


@bp.post("/review/comments/<int:comment_id>/set-aside")
@roles_required(*REVIEWERS)
def set_aside(comment_id: int):
    comment = _comment(comment_id)
    reason, note = request.form.get("reason", ""), request.form.get("note")
    _attempt(lambda: services.set_aside(comment, reason, note, current_user),
             _("Comment set aside."))  # fmt: skip
    return redirect(url_for("review.workspace", task_id=comment.task_id))


@bp.post("/review/comments/<int:comment_id>/restore")
@roles_required(*REVIEWERS)
def restore(comment_id: int):
    comment = _comment(comment_id)
    _attempt(lambda: services.restore(comment, current_user), _("Comment back in review."))
    return redirect(url_for("review.workspace", task_id=comment.task_id))


@bp.post("/tasks/<int:task_id>/review/submit")
@roles_required(Role.MANAGER)
def submit(task_id: int):
    task = tasks.task_or_404(task_id, current_user)
    reason = request.form.get("override_reason")
    _attempt(lambda: services.submit(task, current_user, override_reason=reason),
             _("Report submitted."))  # fmt: skip
    return redirect(url_for("review.workspace", task_id=task.id))


@bp.get("/tasks/<int:task_id>/review/report.<any(docx, xlsx):kind>")
@roles_required(*REVIEWERS)
def report(task_id: int, kind: str):
    """The point's report to download: the submitted one, or a preview before submission."""
    task = tasks.task_or_404(task_id, current_user)
    services.require_reviewer(task, current_user)
    return download(services.report_of(task, current_user.point_id), task.id, kind)
