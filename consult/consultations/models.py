"""Consultation tasks, the points they go to, and who at a point works on them."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.core.types import UTCDateTime, enum_column, utcnow
from consult.drafts.models import DraftVersion
from consult.extensions import db
from consult.org.models import ContactPoint, Legislature, Unit, User


class TaskState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    REPORTED = "reported"
    DECIDED = "decided"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return str(TASK_STATE_LABELS[self])


TASK_STATE_LABELS = {
    TaskState.OPEN: _l("Open for comments"),
    TaskState.CLOSED: _l("Closed"),
    TaskState.REPORTED: _l("Reported"),
    TaskState.DECIDED: _l("Decided"),
    TaskState.ARCHIVED: _l("Archived"),
}

# The only moves a task can make; services refuse every other one.
TRANSITIONS: dict[TaskState, set[TaskState]] = {
    TaskState.OPEN: {TaskState.CLOSED},
    TaskState.CLOSED: {TaskState.OPEN, TaskState.REPORTED},  # reopened with a later deadline
    TaskState.REPORTED: {TaskState.DECIDED},
    TaskState.DECIDED: {TaskState.ARCHIVED},
    TaskState.ARCHIVED: set(),
}

task_points = Table(
    "task_points",
    db.metadata,
    Column("task_id", ForeignKey("tasks.id"), primary_key=True),
    Column("point_id", ForeignKey("contact_points.id"), primary_key=True),
)


class ConsultationTask(db.Model):
    """征求意见任务: one published draft version, open to contact points until the deadline."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    legislature_id: Mapped[int] = mapped_column(ForeignKey("legislatures.id"), index=True)
    draft_version_id: Mapped[int] = mapped_column(ForeignKey("draft_versions.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    instructions_source: Mapped[str | None] = mapped_column(Text)
    instructions_html: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    public_channel: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[TaskState] = mapped_column(enum_column(TaskState), default=TaskState.OPEN)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    legislature: Mapped[Legislature] = relationship()
    version: Mapped[DraftVersion] = relationship()
    created_by: Mapped[User] = relationship()
    points: Mapped[list[ContactPoint]] = relationship(
        secondary=task_points, order_by="ContactPoint.name"
    )
    assignments: Mapped[list[TaskAssignment]] = relationship(
        back_populates="task", order_by="TaskAssignment.id"
    )

    @property
    def accepts_comments(self) -> bool:
        return self.state == TaskState.OPEN and utcnow() < self.deadline

    def time_left(self):
        return self.deadline - utcnow()

    def serves(self, point_id: int | None) -> bool:
        return point_id is not None and any(p.id == point_id for p in self.points)

    def __str__(self) -> str:
        return self.title


class TaskAssignment(db.Model):
    """A point's manager hands the task to a unit or to one collector."""

    __tablename__ = "task_assignments"
    __table_args__ = (UniqueConstraint("task_id", "unit_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("contact_points.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    task: Mapped[ConsultationTask] = relationship(back_populates="assignments")
    unit: Mapped[Unit | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    @property
    def note(self) -> str:
        return str(self.unit or self.user or "")
