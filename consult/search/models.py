"""The search outbox (both backends) and the PostgreSQL backend's document table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from consult.core.types import UTCDateTime, utcnow
from consult.extensions import db


class SearchOutbox(db.Model):
    """An index change waiting to be applied: written in the data change's own transaction.

    ``key`` names what to re-read ("comment:12", "version:3"); the row is deleted once the
    index holds the current state, so a crash in between only means it is applied again.
    """

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SearchDocument(db.Model):
    """One indexed document of the PostgreSQL backend (unused on the Whoosh backend).

    ``tsv`` holds the segmented words with their positions (the 'simple' configuration
    could not segment Chinese itself), then the audience and the filter values as lexemes
    (``=audience:point:3``, ``=channel:forum``), which searches match; the columns keep the
    same values for facet counts and deletions.
    """

    __tablename__ = "search_documents"
    __table_args__ = (
        Index("ix_search_documents_tsv", "tsv", postgresql_using="gin"),
        Index("ix_search_documents_task_id", "task_id"),
        Index("ix_search_documents_version_id", "version_id"),
    )

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    sig: Mapped[str] = mapped_column(String(16))
    tsv: Mapped[str] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))
    audience: Mapped[list[str]] = mapped_column(Text().with_variant(ARRAY(Text()), "postgresql"))
    day: Mapped[int] = mapped_column(Integer)
    citation: Mapped[str | None] = mapped_column(String(120))
    task_id: Mapped[int | None] = mapped_column(Integer)
    draft_id: Mapped[int | None] = mapped_column(Integer)
    version_id: Mapped[int | None] = mapped_column(Integer)
    point_id: Mapped[int | None] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(Integer)
    collector_id: Mapped[int | None] = mapped_column(Integer)
    clause_id: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(20))
    published: Mapped[bool | None] = mapped_column(Boolean)
