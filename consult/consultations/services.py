"""Operations on consultation tasks: open, hand out, move through their states."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import or_, select

from consult.consultations.models import TRANSITIONS, ConsultationTask, TaskAssignment, TaskState
from consult.core import audit
from consult.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from consult.core.sanitize import clean_html
from consult.core.types import utcnow
from consult.drafts.models import DraftVersion
from consult.extensions import db
from consult.org.models import ContactPoint, Role, Unit, User

logger = logging.getLogger(__name__)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(_("Please correct the marked fields."), fields={field: [message]})


def create_task(data: dict[str, Any], actor: User) -> ConsultationTask:
    """Open a task on a published version of one of the actor's legislature's drafts."""
    version = db.session.get(DraftVersion, data.get("draft_version_id"))
    if version is None or version.draft.legislature_id != actor.legislature_id:
        raise _invalid("draft_version_id", _("No such draft version of your legislature."))
    if not version.is_published:
        raise _invalid("draft_version_id", _("Only a published version can be consulted on."))
    deadline: datetime = data["deadline"]
    if deadline.tzinfo is None:
        raise _invalid("deadline", _("The deadline needs a time zone."))
    if deadline <= utcnow():
        raise _invalid("deadline", _("The deadline must be in the future."))
    point_ids = sorted(set(data.get("point_ids") or []))
    if not point_ids:
        raise _invalid("point_ids", _("Choose at least one contact point."))
    points = list(db.session.scalars(select(ContactPoint).where(ContactPoint.id.in_(point_ids))))
    problems = [
        _("“%(name)s” does not serve your legislature.", name=p.name)
        for p in points
        if not p.is_active or actor.legislature_id not in {leg.id for leg in p.legislatures}
    ]
    missing = set(point_ids) - {p.id for p in points}
    if missing:
        problems.append(_("Unknown contact point: %(ids)s", ids=sorted(missing)))
    if problems:
        raise ValidationFailed(
            _("Please correct the marked fields."), fields={"point_ids": problems}
        )
    task = ConsultationTask(
        legislature_id=actor.legislature_id,
        version=version,
        title=data["title"],
        instructions_source=data.get("instructions"),
        instructions_html=clean_html(data.get("instructions")),
        deadline=deadline.astimezone(UTC),
        public_channel=bool(data.get("public_channel")),
        created_by_id=actor.id,
        points=points,
    )
    db.session.add(task)
    db.session.flush()
    audit.record(
        actor,
        "task.create",
        task,
        after={"title": task.title, "version": version.id, "points": point_ids},
    )
    logger.info("task %s opened for points %s", task.id, point_ids)
    return task


def refresh_state(task: ConsultationTask) -> ConsultationTask:
    """Close an open task whose deadline has passed (also done by `flask consult tasks close`)."""
    if task.state == TaskState.OPEN and utcnow() >= task.deadline:
        task.state = TaskState.CLOSED
        task.closed_at = task.deadline
        db.session.flush()
        audit.record(None, "task.close", task, reason="deadline passed")
    return task


def close_expired() -> int:
    """Close every open task past its deadline; returns how many were closed."""
    tasks = db.session.scalars(
        select(ConsultationTask).where(
            ConsultationTask.state == TaskState.OPEN, ConsultationTask.deadline <= utcnow()
        )
    ).all()
    for task in tasks:
        refresh_state(task)
    return len(tasks)


def transition(
    task: ConsultationTask, target: TaskState, actor: User, *, deadline: datetime | None = None
) -> ConsultationTask:
    """Move a task to ``target``; only the moves in ``TRANSITIONS`` are allowed."""
    refresh_state(task)
    if target not in TRANSITIONS[task.state]:
        raise Conflict(
            _("A task that is “%(state)s” cannot become “%(target)s”.",
              state=task.state.label, target=target.label)
        )  # fmt: skip
    before = task.state
    if target == TaskState.OPEN:
        if deadline is None or deadline <= utcnow():
            raise _invalid("deadline", _("Reopening needs a new deadline in the future."))
        task.deadline = deadline.astimezone(UTC)
        task.closed_at = None
    if target == TaskState.CLOSED:
        task.closed_at = utcnow()
    task.state = target
    db.session.flush()
    audit.record(actor, f"task.{target.value}", task, before={"state": before.value},
                 after={"state": target.value})  # fmt: skip
    return task


def assign(task: ConsultationTask, data: dict[str, Any], actor: User) -> list[TaskAssignment]:
    """The point's manager hands the task to units and collectors of the point."""
    if not task.serves(actor.point_id):
        raise NotFound(_("Not found."))
    created = []
    for unit_id in data.get("unit_ids") or []:
        unit = db.session.get(Unit, unit_id)
        if unit is None or unit.point_id != actor.point_id or not unit.is_active:
            raise _invalid("unit_ids", _("Unit %(id)s is not a unit of your point.", id=unit_id))
        created.append(_assignment(task, actor, unit_id=unit.id))
    for user_id in data.get("user_ids") or []:
        user = db.session.get(User, user_id)
        if user is None or user.point_id != actor.point_id or user.role != Role.COLLECTOR:
            raise _invalid(
                "user_ids", _("User %(id)s is not a collector of your point.", id=user_id)
            )
        created.append(_assignment(task, actor, user_id=user.id))
    db.session.flush()
    return [a for a in created if a is not None]


def _assignment(task, actor, *, unit_id=None, user_id=None) -> TaskAssignment | None:
    existing = db.session.scalar(
        select(TaskAssignment).where(
            TaskAssignment.task_id == task.id,
            TaskAssignment.unit_id.is_(None)
            if unit_id is None
            else TaskAssignment.unit_id == unit_id,
            TaskAssignment.user_id.is_(None)
            if user_id is None
            else TaskAssignment.user_id == user_id,
        )
    )
    if existing is not None:
        return None
    assignment = TaskAssignment(
        task=task,
        point_id=actor.point_id,
        unit_id=unit_id,
        user_id=user_id,
        assigned_by_id=actor.id,
    )
    db.session.add(assignment)
    db.session.flush()
    audit.record(actor, "task.assign", task, after={"unit_id": unit_id, "user_id": user_id})
    return assignment


def unassign(assignment: TaskAssignment, actor: User) -> None:
    if assignment.point_id != actor.point_id:
        raise NotFound(_("Not found."))
    audit.record(actor, "task.unassign", assignment.task,
                 before={"unit_id": assignment.unit_id, "user_id": assignment.user_id})  # fmt: skip
    db.session.delete(assignment)
    db.session.flush()


def visible_tasks_query(user: User):
    """Tasks a user may see: their legislature's, their point's, or those handed to them."""
    query = select(ConsultationTask)
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.LEGISLATURE:
        return query.where(ConsultationTask.legislature_id == user.legislature_id)
    on_point = ConsultationTask.points.any(ContactPoint.id == user.point_id)
    if user.role in (Role.MANAGER, Role.EXPERT):
        return query.where(on_point)
    handed = select(TaskAssignment.task_id).where(
        or_(TaskAssignment.user_id == user.id, TaskAssignment.unit_id == user.unit_id)
    )
    return query.where(on_point, ConsultationTask.id.in_(handed))


def task_or_404(task_id: int, user: User) -> ConsultationTask:
    task = db.session.scalar(visible_tasks_query(user).where(ConsultationTask.id == task_id))
    if task is None:
        raise NotFound(_("Not found."))
    before = task.state
    refresh_state(task)
    if task.state != before:
        # The deadline passed: that is a fact of its own, kept even if this request fails.
        db.session.commit()
    return task


def can_record(task: ConsultationTask, user: User) -> bool:
    return user.role in (Role.MANAGER, Role.EXPERT, Role.COLLECTOR) and task.serves(user.point_id)


def require_record(task: ConsultationTask, user: User) -> None:
    if not can_record(task, user):
        raise PermissionDenied(_("Only people of a point this task goes to record comments."))
    if not task.accepts_comments:
        raise Conflict(
            _("The deadline of this task has passed (%(when)s): comments are no longer accepted.",
              when=format_datetime(task.deadline, "yyyy-MM-dd HH:mm"))
        )  # fmt: skip


def clause_options(task: ConsultationTask) -> list[tuple[str, str]]:
    """Every citable clause with the start of its text, for the clause pickers."""
    options = []
    for clause in task.version.clauses:
        if clause.kind in ("paragraph", "item", "subitem", "enum_section") or (
            clause.kind == "article" and not clause.text
        ):
            options.append((clause.citation, (clause.heading or clause.text or "")[:40]))
    return options
