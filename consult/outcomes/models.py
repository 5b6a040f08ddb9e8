"""Outcomes of submitted suggestions, with every correction kept."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.core.types import UTCDateTime, enum_column, utcnow
from consult.drafts.models import Clause
from consult.extensions import db
from consult.org.models import User
from consult.review.models import Suggestion


class Outcome(enum.StrEnum):
    ADOPTED = "adopted"  # 采纳
    PARTIALLY_ADOPTED = "partially_adopted"  # 部分采纳
    NOT_ADOPTED = "not_adopted"  # 未采纳
    PENDING = "pending"  # 待研究

    @property
    def label(self) -> str:
        return str(OUTCOME_LABELS[self])

    @property
    def decided(self) -> bool:
        return self != Outcome.PENDING


OUTCOME_LABELS = {
    Outcome.ADOPTED: _l("Adopted (采纳)"),
    Outcome.PARTIALLY_ADOPTED: _l("Partially adopted (部分采纳)"),
    Outcome.NOT_ADOPTED: _l("Not adopted (未采纳)"),
    Outcome.PENDING: _l("Under study (待研究)"),
}


class SuggestionOutcome(db.Model):
    """One recording of a suggestion's outcome; the newest (highest ``revision``) counts."""

    __tablename__ = "suggestion_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[Outcome] = mapped_column(enum_column(Outcome))
    explanation: Mapped[str | None] = mapped_column(Text)
    landed_in_id: Mapped[int | None] = mapped_column(ForeignKey("clauses.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    suggestion: Mapped[Suggestion] = relationship()
    landed_in: Mapped[Clause | None] = relationship()
    recorded_by: Mapped[User] = relationship()


class OutcomeImport(db.Model):
    """An uploaded outcome sheet that passed every check, waiting for confirmation."""

    __tablename__ = "outcome_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    imported: Mapped[int | None] = mapped_column(Integer)


class Notification(db.Model):
    """A message in a user's in-app inbox: an outcome of what they recorded or wrote."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_id_read_at", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id"))
    outcome: Mapped[Outcome] = mapped_column(enum_column(Outcome))
    comments: Mapped[int] = mapped_column(Integer, default=0)  # the user's comments in it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    suggestion: Mapped[Suggestion] = relationship()
