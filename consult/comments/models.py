"""Collected comments, every change to them, and the channels they come through."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.consultations.models import ConsultationTask
from consult.core.types import UTCDateTime, enum_column, utcnow
from consult.drafts.models import Clause
from consult.extensions import db
from consult.org.models import ContactPoint, Unit, User

if TYPE_CHECKING:
    from consult.review.models import Suggestion


class Channel(enum.StrEnum):
    FORUM = "forum"
    VISIT = "visit"
    QUESTIONNAIRE = "questionnaire"
    ONLINE = "online"
    LETTER = "letter"
    PHONE = "phone"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(CHANNEL_LABELS[self])


CHANNEL_LABELS = {
    Channel.FORUM: _l("Forum (座谈会)"),
    Channel.VISIT: _l("Visit (走访)"),
    Channel.QUESTIONNAIRE: _l("Questionnaire (问卷)"),
    Channel.ONLINE: _l("Online (网络)"),
    Channel.LETTER: _l("Letter (来信)"),
    Channel.PHONE: _l("Phone (电话)"),
    Channel.OTHER: _l("Other (其他)"),
}
# What people write in spreadsheets, mapped to the channel.
CHANNEL_NAMES = {
    "座谈会": Channel.FORUM, "座谈": Channel.FORUM, "走访": Channel.VISIT,
    "问卷": Channel.QUESTIONNAIRE, "问卷调查": Channel.QUESTIONNAIRE, "网络": Channel.ONLINE,
    "网上": Channel.ONLINE, "来信": Channel.LETTER, "信函": Channel.LETTER,
    "电话": Channel.PHONE, "其他": Channel.OTHER, **{c.value: c for c in Channel},
}  # fmt: skip


class CommentStatus(enum.StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    PENDING = "pending"  # a public comment waiting for the point's moderation
    REJECTED = "rejected"  # a public comment the point did not accept

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    CommentStatus.ACTIVE: _l("Recorded"),
    CommentStatus.WITHDRAWN: _l("Withdrawn"),
    CommentStatus.PENDING: _l("Awaiting moderation"),
    CommentStatus.REJECTED: _l("Rejected"),
}


class ReviewState(enum.StrEnum):
    """Where a comment is in the experts' review. Only active comments are reviewed."""

    NEW = "new"
    REVIEWING = "reviewing"  # an expert has taken it up
    MERGED = "merged"  # into a suggestion (``suggestion_id``)
    SET_ASIDE = "set_aside"  # with a reason

    @property
    def label(self) -> str:
        return str(REVIEW_LABELS[self])


REVIEW_LABELS = {
    ReviewState.NEW: _l("Not yet reviewed"),
    ReviewState.REVIEWING: _l("Under review"),
    ReviewState.MERGED: _l("Merged into a suggestion"),
    ReviewState.SET_ASIDE: _l("Set aside"),
}


class SetAsideReason(enum.StrEnum):
    OFF_TOPIC = "off_topic"
    UNCLEAR = "unclear"
    OUT_OF_SCOPE = "out_of_scope"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(SET_ASIDE_LABELS[self])


SET_ASIDE_LABELS = {
    SetAsideReason.OFF_TOPIC: _l("Off topic"),
    SetAsideReason.UNCLEAR: _l("Unclear"),
    SetAsideReason.OUT_OF_SCOPE: _l("Out of the draft's scope"),
    SetAsideReason.OTHER: _l("Other reason"),
}


class CommentSource(enum.StrEnum):
    COLLECTED = "collected"
    IMPORTED = "imported"
    PUBLIC = "public"


class Comment(db.Model):
    """意见: what a resident said about one clause (or the whole draft), as recorded.

    Personal details of the public (name, phone) are kept only where the point collects them,
    and never leave the point.
    """

    __tablename__ = "comments"
    __table_args__ = (
        UniqueConstraint("task_id", "point_id", "dedupe_key"),
        Index("ix_comments_task_id_point_id_status", "task_id", "point_id", "status"),
        Index("ix_comments_task_id_clause_id", "task_id", "clause_id"),
        # Cover the statistics' passes over comments, which then never read the table, in
        # the order they group in (so grouping needs no sorting): by task and point; by task
        # and day; by unit, and by collector, then task; the comments merged into each
        # suggestion.
        Index("ix_comments_stats", "status", "task_id", "point_id", "recorded_on",
              "duplicate_of_id", "participants"),
        Index("ix_comments_stats_day", "status", "task_id", "recorded_on", "duplicate_of_id",
              "participants"),
        Index("ix_comments_stats_unit", "status", "unit_id", "task_id", "recorded_on",
              "duplicate_of_id", "participants", "point_id"),
        Index("ix_comments_stats_collector", "status", "collector_id", "task_id", "recorded_on",
              "duplicate_of_id", "participants", "point_id"),
        Index("ix_comments_stats_merged", "status", "suggestion_id", "task_id", "recorded_on",
              "duplicate_of_id", "participants", "point_id"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    point_id: Mapped[int] = mapped_column(ForeignKey("contact_points.id"), index=True)
    clause_id: Mapped[int | None] = mapped_column(ForeignKey("clauses.id"))
    body: Mapped[str] = mapped_column(Text)
    proposed_text: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    place: Mapped[str | None] = mapped_column(String(200))
    collected_on: Mapped[date | None] = mapped_column(Date)
    participants: Mapped[int] = mapped_column(Integer, default=1)
    respondent_occupation: Mapped[str | None] = mapped_column(String(100))
    respondent_area: Mapped[str | None] = mapped_column(String(100))
    respondent_name: Mapped[str | None] = mapped_column(String(50))
    respondent_phone: Mapped[str | None] = mapped_column(String(30))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    collector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[CommentStatus] = mapped_column(
        enum_column(CommentStatus), default=CommentStatus.ACTIVE
    )
    source: Mapped[CommentSource] = mapped_column(
        enum_column(CommentSource), default=CommentSource.COLLECTED
    )
    # An imported row's fingerprint: importing the same row again adds nothing.
    dedupe_key: Mapped[str | None] = mapped_column(String(64))
    moderation_reason: Mapped[str | None] = mapped_column(Text)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # Review by the point's experts.
    review_state: Mapped[ReviewState] = mapped_column(
        enum_column(ReviewState), default=ReviewState.NEW, server_default=ReviewState.NEW.value
    )
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("suggestions.id"), index=True)
    # The first comment of its near-duplicate group, as of the last grouping (heat map,
    # review, submission); NULL for a distinct comment. Statistics count distinct comments
    # from it.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    set_aside_reason: Mapped[SetAsideReason | None] = mapped_column(enum_column(SetAsideReason))
    set_aside_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # The day it was recorded in the legislature's time zone (kept with ``created_at`` by
    # ``_keep_recorded_on``): what statistics count by and filter on.
    recorded_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    task: Mapped[ConsultationTask] = relationship()
    point: Mapped[ContactPoint] = relationship()
    clause: Mapped[Clause | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
    collector: Mapped[User | None] = relationship(foreign_keys=[collector_id])
    suggestion: Mapped[Suggestion | None] = relationship(back_populates="comments")
    revisions: Mapped[list[CommentRevision]] = relationship(
        back_populates="comment", order_by="CommentRevision.number"
    )

    @property
    def citation(self) -> str:
        return self.clause.citation if self.clause else str(_l("General comment"))

    EDITABLE = (
        "clause_id", "body", "proposed_text", "reason", "channel", "place", "collected_on",
        "participants", "respondent_occupation", "respondent_area", "respondent_name",
        "respondent_phone", "unit_id",
    )  # fmt: skip

    def snapshot(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.EDITABLE}
        data["channel"] = self.channel.value if self.channel else None
        data["collected_on"] = self.collected_on.isoformat() if self.collected_on else None
        data["status"] = self.status.value if self.status else None
        return data


def local_day(moment: datetime) -> date:
    """The calendar day of a UTC instant in the configured time zone (Asia/Shanghai)."""
    from zoneinfo import ZoneInfo

    from flask import current_app, has_app_context

    zone = current_app.config["BABEL_DEFAULT_TIMEZONE"] if has_app_context() else "Asia/Shanghai"
    return moment.astimezone(ZoneInfo(zone)).date()


@event.listens_for(Comment, "before_insert")
@event.listens_for(Comment, "before_update")
def _keep_recorded_on(mapper, connection, comment: Comment) -> None:
    if comment.created_at is None:
        comment.created_at = utcnow()
    comment.recorded_on = local_day(comment.created_at)


class CommentRevision(db.Model):
    """Every version of a comment: nothing recorded is ever overwritten."""

    __tablename__ = "comment_revisions"
    __table_args__ = (UniqueConstraint("comment_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"))
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # create, edit, withdraw, moderate
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)

    comment: Mapped[Comment] = relationship(back_populates="revisions")
    actor: Mapped[User | None] = relationship()


class CommentImport(db.Model):
    """An uploaded sheet that passed every check, waiting for the user to confirm it."""

    __tablename__ = "comment_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("contact_points.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    imported: Mapped[int | None] = mapped_column(Integer)
