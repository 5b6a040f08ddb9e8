"""Suggestions (汇总建议) merged from comments, and the point's submitted report."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.comments.models import Comment
from consult.consultations.models import ConsultationTask
from consult.core.sanitize import html_to_text
from consult.core.types import UTCDateTime, enum_column, utcnow
from consult.drafts.models import Clause
from consult.extensions import db
from consult.org.models import ContactPoint, User


class SuggestionStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"  # by the point's manager; changing it returns it to draft

    @property
    def label(self) -> str:
        return str({SuggestionStatus.DRAFT: _l("Draft"),
                    SuggestionStatus.APPROVED: _l("Approved")}[self])  # fmt: skip


suggestion_authors = Table(
    "suggestion_authors",
    db.metadata,
    Column("suggestion_id", ForeignKey("suggestions.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
)


class Suggestion(db.Model):
    """What the experts make of one or more comments: the clause, a wording, the reasons."""

    __tablename__ = "suggestions"
    # Covers the statistics' pass over submitted suggestions, in task and point order.
    __table_args__ = (
        Index("ix_suggestions_stats", "task_id", "point_id", "submission_id", "outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("contact_points.id"), index=True)
    clause_id: Mapped[int | None] = mapped_column(ForeignKey("clauses.id"))
    proposed_text: Mapped[str | None] = mapped_column(Text)
    rationale_source: Mapped[str | None] = mapped_column(Text)
    rationale_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[SuggestionStatus] = mapped_column(
        enum_column(SuggestionStatus), default=SuggestionStatus.DRAFT
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    # The legislature's latest outcome (history in suggestion_outcomes).
    outcome: Mapped[str | None] = mapped_column(String(20), index=True)

    task: Mapped[ConsultationTask] = relationship()
    point: Mapped[ContactPoint] = relationship()
    clause: Mapped[Clause | None] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    authors: Mapped[list[User]] = relationship(secondary=suggestion_authors, order_by=User.id)
    comments: Mapped[list[Comment]] = relationship(back_populates="suggestion", order_by=Comment.id)
    submission: Mapped[Submission | None] = relationship(back_populates="suggestions")

    @property
    def people(self) -> int:
        """The people the merged comments speak for."""
        return sum(c.participants for c in self.comments)

    @property
    def rationale_text(self) -> str:
        return html_to_text(self.rationale_html)

    @property
    def citation(self) -> str:
        return self.clause.citation if self.clause else "总体意见"

    @property
    def is_submitted(self) -> bool:
        return self.submission_id is not None


class Submission(db.Model):
    """A point's report on a task: frozen when submitted, with a tracking number."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("task_id", "point_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("contact_points.id"))
    tracking_number: Mapped[str] = mapped_column(String(40), unique=True)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    override_reason: Mapped[str | None] = mapped_column(Text)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)

    task: Mapped[ConsultationTask] = relationship()
    point: Mapped[ContactPoint] = relationship()
    submitted_by: Mapped[User] = relationship()
    suggestions: Mapped[list[Suggestion]] = relationship(back_populates="submission")
