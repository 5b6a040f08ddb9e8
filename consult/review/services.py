"""Review: set comments aside, merge them into suggestions, approve, submit the report.

Every comment of a task ends in exactly one place before the point may submit: merged into
one suggestion (``Comment.suggestion_id``: a comment cannot be in two) or set aside with a
reason. Every action is in the audit log with its actor, time, before and after.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from consult.comments.models import Comment, CommentStatus, ReviewState, SetAsideReason
from consult.comments.services import clause_for
from consult.consultations.models import ConsultationTask
from consult.core import audit
from consult.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from consult.core.sanitize import clean_html
from consult.core.types import utcnow
from consult.extensions import db
from consult.org.models import Role, User
from consult.review.duplicates import Grouping, group
from consult.review.models import Submission, Suggestion, SuggestionStatus
from consult.stats import sources

REVIEWERS = (Role.MANAGER, Role.EXPERT)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(_("Please correct the marked fields."), fields={field: [message]})


def require_reviewer(task: ConsultationTask, user: User) -> None:
    if user.role not in REVIEWERS or not task.serves(user.point_id):
        raise PermissionDenied(_("Only the point's experts and managers review its comments."))


def submission_of(task: ConsultationTask, point_id: int) -> Submission | None:
    return db.session.scalar(
        select(Submission).where(Submission.task_id == task.id, Submission.point_id == point_id)
    )


def require_open(task: ConsultationTask, point_id: int) -> None:
    if submission_of(task, point_id) is not None:
        raise Conflict(_("The report has been submitted: its review can no longer change."))


def reviewable(task: ConsultationTask, point_id: int):
    """The comments a report must account for: the point's active comments on the task."""
    return select(Comment).where(
        Comment.task_id == task.id,
        Comment.point_id == point_id,
        Comment.status == CommentStatus.ACTIVE,
    )


def duplicates(task: ConsultationTask, point_id: int) -> Grouping:
    """The point's duplicate groups on the task. Each comment's ``duplicate_of_id`` is brought
    up to date on the way, so that statistics count distinct comments as shown here."""
    rows = db.session.execute(
        reviewable(task, point_id).with_only_columns(
            Comment.id, Comment.body, Comment.clause_id, Comment.duplicate_of_id
        )
    ).all()
    grouping = group([(row.id, row.body, row.clause_id) for row in rows])
    first = {i: g.ids[0] for g in grouping.groups for i in g.ids[1:]}
    changed = [
        {"id": row.id, "duplicate_of_id": first.get(row.id)}
        for row in rows
        if row.duplicate_of_id != first.get(row.id)
    ]
    if changed:  # a bulk UPDATE by primary key: no change to the comments' own history
        db.session.execute(update(Comment), changed)
    return grouping


def distinct_by_clause(task: ConsultationTask, point_id: int) -> dict[int | None, int]:
    """Distinct comments per clause id: each duplicate group counted once."""
    group_of = {i: id(g) for i, g in duplicates(task, point_id).group_of().items()}
    keys: dict[int | None, set[int]] = {}
    rows = db.session.execute(
        reviewable(task, point_id).with_only_columns(Comment.id, Comment.clause_id)
    )
    for row in rows:
        keys.setdefault(row.clause_id, set()).add(group_of.get(row.id, -row.id))
    return {clause: len(found) for clause, found in keys.items()}


def _comment_state(comment: Comment) -> dict[str, Any]:
    return {
        "review_state": comment.review_state.value,
        "suggestion_id": comment.suggestion_id,
        "set_aside_reason": comment.set_aside_reason.value if comment.set_aside_reason else None,
    }


def set_aside(comment: Comment, reason: Any, note: str | None, actor: User) -> Comment:
    task = comment.task
    require_reviewer(task, actor)
    if comment.point_id != actor.point_id:
        raise NotFound(_("No such comment."))
    require_open(task, comment.point_id)
    if comment.status != CommentStatus.ACTIVE:
        raise Conflict(_("Only recorded comments are reviewed."))
    try:
        reason = SetAsideReason(reason)
    except ValueError:
        raise _invalid("reason", _("Choose one of the reasons.")) from None
    note = (note or "").strip() or None
    if reason == SetAsideReason.OTHER and not note:
        raise _invalid("note", _("Say why the comment is set aside."))
    before = _comment_state(comment)
    if comment.suggestion is not None:
        _release(comment)
    comment.review_state = ReviewState.SET_ASIDE
    comment.set_aside_reason = reason
    comment.set_aside_note = note
    comment.reviewed_by_id, comment.reviewed_at = actor.id, utcnow()
    db.session.flush()
    audit.record(actor, "comment.set_aside", comment, before=before,
                 after=_comment_state(comment), reason=note)  # fmt: skip
    return comment


def restore(comment: Comment, actor: User) -> Comment:
    """Back to "not yet reviewed" (undoes setting aside)."""
    require_reviewer(comment.task, actor)
    if comment.point_id != actor.point_id:
        raise NotFound(_("No such comment."))
    require_open(comment.task, comment.point_id)
    before = _comment_state(comment)
    if comment.suggestion is not None:
        _release(comment)
    comment.review_state = ReviewState.NEW
    comment.set_aside_reason = comment.set_aside_note = None
    comment.reviewed_by_id, comment.reviewed_at = actor.id, utcnow()
    db.session.flush()
    audit.record(actor, "comment.restore", comment, before=before, after=_comment_state(comment))
    return comment


def take_up(task: ConsultationTask, ids: list[int], actor: User) -> list[Comment]:
    """Mark comments as under review (new ones only; merged or set-aside ones stay)."""
    require_reviewer(task, actor)
    require_open(task, actor.point_id)
    taken = []
    for comment in _comments(task, actor.point_id, ids):
        if comment.review_state == ReviewState.NEW:
            before = _comment_state(comment)
            comment.review_state = ReviewState.REVIEWING
            comment.reviewed_by_id, comment.reviewed_at = actor.id, utcnow()
            db.session.flush()
            audit.record(actor, "comment.review", comment, before=before,
                         after=_comment_state(comment))  # fmt: skip
            taken.append(comment)
    return taken


def _release(comment: Comment) -> None:
    suggestion = comment.suggestion
    comment.suggestion = None
    comment.review_state = ReviewState.NEW
    if suggestion is not None and suggestion.status == SuggestionStatus.APPROVED:
        suggestion.status = SuggestionStatus.DRAFT  # what was approved has changed


def _comments(task: ConsultationTask, point_id: int, ids: Any) -> list[Comment]:
    if not isinstance(ids, list) or not ids:
        raise _invalid("comment_ids", _("Choose at least one comment."))
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise _invalid("comment_ids", _("Comment ids are whole numbers."))
    found = list(db.session.scalars(reviewable(task, point_id).where(Comment.id.in_(ids))))
    missing = sorted(set(ids) - {c.id for c in found})
    if missing:
        raise _invalid(
            "comment_ids",
            _("Not recorded comments of your point on this task: %(ids)s",
              ids=", ".join(map(str, missing))),
        )  # fmt: skip
    return found


def _state(s: Suggestion) -> dict[str, Any]:
    return {
        "clause_id": s.clause_id,
        "proposed_text": s.proposed_text,
        "rationale": s.rationale_source,
        "status": s.status.value,
        "comment_ids": [c.id for c in s.comments],
    }


def _fill(s: Suggestion, task: ConsultationTask, data: dict[str, Any], actor: User) -> None:
    if "clause" in data:
        value = data["clause"]
        clause = clause_for(task, value) if value not in (None, "", "general") else None
        if value not in (None, "", "general") and clause is None:
            raise _invalid("clause", _("No such clause in this draft."))
        s.clause = clause
    if "proposed_text" in data:
        s.proposed_text = (data["proposed_text"] or "").strip() or None
    if "rationale" in data:
        s.rationale_source = (data["rationale"] or "").strip() or None
        s.rationale_html = clean_html(s.rationale_source)
    if "comment_ids" in data:
        chosen = _comments(task, s.point_id, data["comment_ids"])
        for comment in list(s.comments):
            if comment not in chosen:
                _release(comment)
        for comment in chosen:
            if comment.suggestion is not None and comment.suggestion is not s:
                _release(comment)  # moved from another suggestion
            comment.suggestion = s
            comment.review_state = ReviewState.MERGED
            comment.set_aside_reason = comment.set_aside_note = None
            comment.reviewed_by_id, comment.reviewed_at = actor.id, utcnow()
    if actor not in s.authors:
        s.authors.append(actor)
    s.status = SuggestionStatus.DRAFT
    s.approved_by_id = s.approved_at = None
    s.updated_at = utcnow()


def create_suggestion(task: ConsultationTask, data: dict[str, Any], actor: User) -> Suggestion:
    require_reviewer(task, actor)
    require_open(task, actor.point_id)
    suggestion = Suggestion(task=task, point_id=actor.point_id, created_by_id=actor.id)
    data = dict(data)
    if "clause" not in data:
        comments = _comments(task, actor.point_id, data.get("comment_ids"))
        clauses = {c.clause_id for c in comments}
        data["clause"] = clauses.pop() if len(clauses) == 1 else None
    db.session.add(suggestion)
    _fill(suggestion, task, data, actor)
    db.session.flush()
    audit.record(actor, "suggestion.create", suggestion, after=_state(suggestion))
    return suggestion


def point_suggestions(task: ConsultationTask, point_id: int) -> list[Suggestion]:
    return list(db.session.scalars(
        select(Suggestion).where(Suggestion.task_id == task.id, Suggestion.point_id == point_id)
    ))  # fmt: skip


def suggestion_or_404(suggestion_id: int, user: User) -> Suggestion:
    suggestion = db.session.get(Suggestion, suggestion_id)
    if suggestion is None or user.role not in REVIEWERS or suggestion.point_id != user.point_id:
        raise NotFound(_("No such suggestion."))
    return suggestion


def update_suggestion(s: Suggestion, data: dict[str, Any], actor: User) -> Suggestion:
    require_reviewer(s.task, actor)
    require_open(s.task, s.point_id)
    before = _state(s)
    _fill(s, s.task, data, actor)
    db.session.flush()
    audit.record(actor, "suggestion.update", s, before=before, after=_state(s))
    return s


def delete_suggestion(s: Suggestion, actor: User) -> None:
    """Unmerge: the comments return to "not yet reviewed"; the suggestion is gone."""
    require_reviewer(s.task, actor)
    require_open(s.task, s.point_id)
    before = _state(s)
    for comment in list(s.comments):
        _release(comment)
        comment.reviewed_by_id, comment.reviewed_at = actor.id, utcnow()
    audit.record(actor, "suggestion.delete", s, before=before)
    db.session.flush()
    db.session.delete(s)
    db.session.flush()


def approve(s: Suggestion, actor: User) -> Suggestion:
    if actor.role != Role.MANAGER or s.point_id != actor.point_id:
        raise PermissionDenied(_("Only the point's managers approve suggestions."))
    require_open(s.task, s.point_id)
    if not s.comments:
        raise Conflict(_("A suggestion needs at least one comment."))
    s.status = SuggestionStatus.APPROVED
    s.approved_by_id, s.approved_at = actor.id, utcnow()
    db.session.flush()
    audit.record(actor, "suggestion.approve", s, after=_state(s))
    return s


def unaccounted(task: ConsultationTask, point_id: int) -> list[Comment]:
    """Comments neither merged nor set aside: they stop a submission."""
    return list(db.session.scalars(
        reviewable(task, point_id)
        .where(Comment.review_state.in_([ReviewState.NEW, ReviewState.REVIEWING]))
        .order_by(Comment.id)
    ))  # fmt: skip


def snapshot(task: ConsultationTask, point_id: int, suggestions: list[Suggestion]) -> dict:
    """What was submitted, frozen: each suggestion with its clause text and its sources."""
    set_aside_rows = db.session.scalars(
        reviewable(task, point_id).where(Comment.review_state == ReviewState.SET_ASIDE)
        .order_by(Comment.id)
    )  # fmt: skip
    people = db.session.scalar(
        reviewable(task, point_id).with_only_columns(
            func.coalesce(func.sum(Comment.participants), 0)
        )
    )
    grouping = duplicates(task, point_id)
    return {
        "task": {"id": task.id, "title": task.title, "deadline": task.deadline.isoformat()},
        "totals": {"raw": grouping.raw, "distinct": grouping.distinct, "people": people},
        "suggestions": [
            {
                "number": number,
                "id": s.id,
                "citation": s.citation,
                "clause_text": s.clause.text if s.clause else "",
                "proposed_text": s.proposed_text,
                "rationale_html": s.rationale_html,
                "comment_ids": [c.id for c in s.comments],
                "people": s.people,
                "units": sorted({c.unit.name for c in s.comments if c.unit}),
                "channels": sorted({c.channel.value for c in s.comments}),
                "authors": [u.display_name for u in s.authors],
            }
            for number, s in enumerate(suggestions, start=1)
        ],
        "set_aside": [
            {"id": c.id, "reason": c.set_aside_reason.value if c.set_aside_reason else None,
             "note": c.set_aside_note}
            for c in set_aside_rows
        ],
    }  # fmt: skip


def clause_order(obj: Comment | Suggestion) -> tuple[bool, int, int]:
    """Sort key: in the order of the draft's clauses, general ones last."""
    return (obj.clause is None, obj.clause.position if obj.clause else 0, obj.id)


def in_clause_order(suggestions: list[Suggestion]) -> list[Suggestion]:
    return sorted(suggestions, key=clause_order)


def submit(task: ConsultationTask, actor: User, *, override_reason: str | None = None,
           now: datetime | None = None) -> Submission:  # fmt: skip
    if actor.role != Role.MANAGER or not task.serves(actor.point_id):
        raise PermissionDenied(_("Only the point's managers submit its report."))
    point_id = actor.point_id
    require_open(task, point_id)
    left = unaccounted(task, point_id)
    if left:
        raise ValidationFailed(
            _("%(n)d comments are neither merged nor set aside.", n=len(left)),
            fields={"comments": [f"#{c.id} {c.citation}" for c in left]},
        )
    suggestions = in_clause_order(point_suggestions(task, point_id))
    if not suggestions:
        raise Conflict(_("There is no suggestion to submit."))
    drafts = [s.id for s in suggestions if s.status != SuggestionStatus.APPROVED]
    if drafts:
        raise ValidationFailed(
            _("Approve every suggestion before submitting."),
            fields={"suggestions": [f"#{i}" for i in drafts]},
        )
    now = now or utcnow()
    late = now > task.deadline
    override_reason = (override_reason or "").strip() or None
    if late and not override_reason:
        raise _invalid("override_reason", _("The deadline has passed: say why it is late."))
    count = db.session.scalar(select(func.count()).select_from(Submission)) or 0
    submission = Submission(
        task_id=task.id,
        point_id=point_id,
        tracking_number=f"{now:%Y%m%d}-T{task.id:04d}-P{point_id:03d}-{count + 1:05d}",
        submitted_by_id=actor.id,
        submitted_at=now,
        late=late,
        override_reason=override_reason if late else None,
        snapshot=snapshot(task, point_id, suggestions),
    )
    db.session.add(submission)
    db.session.flush()
    for s in suggestions:
        s.submission = submission
    db.session.flush()
    sources.record(suggestions)  # whom each draws on, for the statistics
    audit.record(actor, "report.submit", submission,
                 after={"tracking_number": submission.tracking_number, "late": late,
                        "suggestions": [s.id for s in suggestions]},
                 reason=submission.override_reason)  # fmt: skip
    return submission


def report_of(task: ConsultationTask, point_id: int):
    """The report of a point on a task: the submitted snapshot, or a preview of it."""
    from consult.org.models import ContactPoint
    from consult.review.report import Report

    submission = submission_of(task, point_id)
    point = db.session.get(ContactPoint, point_id)
    if submission is not None:
        frozen = submission.snapshot
        return Report(
            task_title=task.title, point_name=point.name,
            deadline=_local(task.deadline), submitted=_local(submission.submitted_at),
            tracking_number=submission.tracking_number, late_reason=submission.override_reason,
            snapshot=frozen,
        )  # fmt: skip
    preview = snapshot(task, point_id, in_clause_order(point_suggestions(task, point_id)))
    return Report(
        task_title=task.title, point_name=point.name, deadline=_local(task.deadline),
        submitted=None, tracking_number=None, late_reason=None, snapshot=preview,
    )  # fmt: skip


def _local(moment: datetime) -> str:
    from zoneinfo import ZoneInfo

    from flask import current_app

    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
