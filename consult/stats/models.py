"""What the statistics keep for themselves: whom each submitted suggestion draws on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from consult.core.types import UTCDateTime
from consult.extensions import db


class SuggestionSource(db.Model):
    """One unit, collector or author of a submitted suggestion, with the suggestion's task,
    point, submission time and current outcome.

    Written when the report is submitted (the suggestion's sources are frozen then, as its
    snapshot is) and updated with each outcome, so that the statistics by unit, collector
    and expert count suggestions from one covered index instead of joining every merged
    comment to its suggestion. ``flask consult stats rebuild`` makes them again from the
    comments (after a bulk load, or to check them).
    """

    __tablename__ = "suggestion_sources"
    __table_args__ = (
        # In the order the statistics group them: by unit, collector or author, then task.
        Index("ix_suggestion_sources_stats", "kind", "key_id", "task_id", "outcome", "point_id",
              "submitted_at"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))  # unit, collector or expert
    key_id: Mapped[int | None] = mapped_column(Integer)  # the unit's, collector's or author's id
    task_id: Mapped[int] = mapped_column(Integer)
    point_id: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(20))
