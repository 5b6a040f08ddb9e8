"""Recording, editing and withdrawing comments; who may see which."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from consult.comments.models import (
    Channel,
    Comment,
    CommentRevision,
    CommentSource,
    CommentStatus,
    ReviewState,
)
from consult.consultations import services as tasks
from consult.consultations.models import ConsultationTask
from consult.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from consult.core.types import utcnow
from consult.drafts.legal_text import CitationError
from consult.drafts.models import Clause
from consult.drafts.services import resolve_clause
from consult.extensions import db
from consult.org.models import Role, Unit, User

logger = logging.getLogger(__name__)

POINT_ROLES = (Role.MANAGER, Role.EXPERT, Role.COLLECTOR)
PERSONAL_FIELDS = ("respondent_name", "respondent_phone")


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(_("Please correct the marked fields."), fields={field: [message]})


def clause_for(task: ConsultationTask, value: Any) -> Clause | None:
    """A clause of the task's version from a citation (第十二条第二款) or a clause id; None is a
    general comment (总体意见)."""
    if value in (None, "", "general", "总体意见"):
        return None
    version = task.version
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        clause = db.session.get(Clause, int(value))
        if clause is None or clause.version_id != version.id:
            raise _invalid("clause", _("No clause %(id)s in this draft.", id=value))
        return clause
    try:
        return resolve_clause(version, str(value))
    except (NotFound, CitationError) as exc:
        raise _invalid("clause", str(getattr(exc, "message", exc))) from None


def _check_personal(task: ConsultationTask, point_collects: bool, data: dict[str, Any]) -> None:
    for field in PERSONAL_FIELDS:
        if data.get(field) and not point_collects:
            raise _invalid(field, _("Your point does not record names or phone numbers."))


def _unit_and_collector(data: dict[str, Any], actor: User) -> tuple[int | None, int | None]:
    if actor.role == Role.COLLECTOR:
        return actor.unit_id, actor.id
    unit_id = data.get("unit_id")
    if unit_id is not None:
        unit = db.session.get(Unit, unit_id)
        if unit is None or unit.point_id != actor.point_id:
            raise _invalid("unit_id", _("Not a unit of your point."))
    collector_id = data.get("collector_id") or actor.id
    if collector_id != actor.id:
        collector = db.session.get(User, collector_id)
        if collector is None or collector.point_id != actor.point_id:
            raise _invalid("collector_id", _("Not a collector of your point."))
        unit_id = unit_id or collector.unit_id
    return unit_id, collector_id


def _revision(comment: Comment, action: str, actor: User | None, reason: str | None = None):
    db.session.add(
        CommentRevision(
            comment=comment,
            number=comment.revision,
            action=action,
            data=comment.snapshot(),
            actor_id=getattr(actor, "id", None),
            reason=reason,
        )
    )


def record_comment(
    task: ConsultationTask,
    data: dict[str, Any],
    actor: User,
    *,
    source: CommentSource = CommentSource.COLLECTED,
    dedupe_key: str | None = None,
) -> Comment:
    """Record one comment of the actor's point on the task (refused after the deadline)."""
    tasks.require_record(task, actor)
    _check_personal(task, actor.point.collects_personal_data, data)
    clause = clause_for(task, data.get("clause"))
    unit_id, collector_id = _unit_and_collector(data, actor)
    comment = Comment(
        task_id=task.id,
        point_id=actor.point_id,
        clause_id=clause.id if clause else None,
        body=data["body"],
        proposed_text=data.get("proposed_text"),
        reason=data.get("reason"),
        channel=Channel(data.get("channel") or Channel.FORUM),
        place=data.get("place"),
        collected_on=data.get("collected_on"),
        participants=data.get("participants") or 1,
        respondent_occupation=data.get("respondent_occupation"),
        respondent_area=data.get("respondent_area"),
        respondent_name=data.get("respondent_name"),
        respondent_phone=data.get("respondent_phone"),
        unit_id=unit_id,
        collector_id=collector_id,
        source=source,
        dedupe_key=dedupe_key,
    )
    db.session.add(comment)
    db.session.flush()
    _revision(comment, "create", actor)
    return comment


def can_change(comment: Comment, user: User) -> bool:
    """The collector who recorded it, or the point's manager, while the task accepts comments."""
    if comment.point_id != user.point_id or comment.status != CommentStatus.ACTIVE:
        return False
    return user.role == Role.MANAGER or comment.collector_id == user.id


def _require_change(comment: Comment, user: User) -> None:
    tasks.refresh_state(comment.task)
    if not comment.task.accepts_comments:
        raise Conflict(_("The task is closed: comments can no longer be changed."))
    if not can_change(comment, user):
        raise PermissionDenied(
            _("Only whoever recorded a comment, or the point's manager, may change it.")
        )


def update_comment(comment: Comment, data: dict[str, Any], actor: User) -> Comment:
    """Change a comment; the previous version stays in its history."""
    _require_change(comment, actor)
    _check_personal(comment.task, comment.point.collects_personal_data, data)
    data = dict(data)
    if "clause" in data:
        clause = clause_for(comment.task, data.pop("clause"))
        data["clause_id"] = clause.id if clause else None
    if "unit_id" in data or "collector_id" in data:
        data["unit_id"], collector_id = _unit_and_collector(data, actor)
        data.pop("collector_id", None)
        comment.collector_id = collector_id
    if data.get("channel"):
        data["channel"] = Channel(data["channel"])
    changed = {k: v for k, v in data.items() if k in Comment.EDITABLE and getattr(comment, k) != v}
    if not changed:
        return comment
    for key, value in changed.items():
        setattr(comment, key, value)
    comment.revision += 1
    comment.updated_at = utcnow()
    db.session.flush()
    _revision(comment, "edit", actor)
    return comment


def withdraw_comment(comment: Comment, actor: User, reason: str | None = None) -> Comment:
    _require_change(comment, actor)
    comment.status = CommentStatus.WITHDRAWN
    if comment.suggestion_id is not None:
        # A withdrawn comment no longer speaks through a suggestion: the experts see the
        # suggestion's sources (and people) shrink, and an approval lapses.
        from consult.review.models import SuggestionStatus

        if comment.suggestion.status == SuggestionStatus.APPROVED:
            comment.suggestion.status = SuggestionStatus.DRAFT
        comment.suggestion = None
    comment.review_state = ReviewState.NEW
    comment.revision += 1
    comment.updated_at = utcnow()
    db.session.flush()
    _revision(comment, "withdraw", actor, reason)
    return comment


def point_comments(task: ConsultationTask, user: User):
    """The comments of the user's point on a task. Other points' never appear; legislature
    staff and administrators see comments only through submitted reports."""
    if user.role not in POINT_ROLES or not task.serves(user.point_id):
        raise NotFound(_("Not found."))
    return select(Comment).where(Comment.task_id == task.id, Comment.point_id == user.point_id)


def comment_or_404(comment_id: int, user: User) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None or user.role not in POINT_ROLES or comment.point_id != user.point_id:
        raise NotFound(_("Not found."))
    return comment


def counts_by_clause(task: ConsultationTask, point_id: int) -> Counter:
    """Active comments per clause id (None: general comments) for one point."""
    rows = db.session.execute(
        select(Comment.clause_id, func.count())
        .where(
            Comment.task_id == task.id,
            Comment.point_id == point_id,
            Comment.status == CommentStatus.ACTIVE,
        )
        .group_by(Comment.clause_id)
    )
    return Counter(dict(rows.all()))


def submit_public(task: ConsultationTask, data: dict[str, Any]) -> Comment:
    """A comment from a member of the public; it waits in the chosen point's moderation queue."""
    if not task.public_channel:
        raise NotFound(_("Not found."))
    if not task.accepts_comments:
        raise Conflict(_("The deadline of this task has passed: comments are no longer accepted."))
    point_id = data.get("point_id")
    if not task.serves(point_id):
        raise _invalid("point_id", _("Choose one of the contact points of this consultation."))
    clause = clause_for(task, data.get("clause"))
    comment = Comment(
        task_id=task.id,
        point_id=point_id,
        clause_id=clause.id if clause else None,
        body=data["body"],
        proposed_text=data.get("proposed_text"),
        reason=data.get("reason"),
        channel=Channel.ONLINE,
        collected_on=utcnow().date(),
        participants=1,
        respondent_occupation=data.get("respondent_occupation"),
        respondent_area=data.get("respondent_area"),
        status=CommentStatus.PENDING,
        source=CommentSource.PUBLIC,
    )
    db.session.add(comment)
    db.session.flush()
    _revision(comment, "create", None)
    logger.info("public comment %s on task %s waits for point %s", comment.id, task.id, point_id)
    return comment


def moderate(comment: Comment, accept: bool, actor: User, reason: str | None) -> Comment:
    """Accept a public comment (it then counts, channel 网络) or reject it with a reason."""
    if actor.role not in (Role.MANAGER, Role.EXPERT) or comment.point_id != actor.point_id:
        raise NotFound(_("Not found."))
    if comment.status != CommentStatus.PENDING:
        raise Conflict(_("This comment has already been moderated."))
    if not accept and not (reason or "").strip():
        raise _invalid("reason", _("Say why the comment is rejected."))
    comment.status = CommentStatus.ACTIVE if accept else CommentStatus.REJECTED
    comment.moderation_reason = (reason or "").strip() or None
    comment.moderated_by_id = actor.id
    comment.moderated_at = utcnow()
    comment.revision += 1
    db.session.flush()
    _revision(comment, "moderate", actor, comment.moderation_reason)
    return comment
