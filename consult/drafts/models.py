"""Drafts, their versions, and the clause tree of each version.

A published version is never changed: a revised text is a new version with a new tree.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.core.types import UTCDateTime, enum_column, utcnow
from consult.extensions import db
from consult.org.models import Legislature, User


class VersionStatus(enum.StrEnum):
    PENDING = "pending"  # uploaded, parsed, being checked by its legislature's staff
    PUBLISHED = "published"  # public and immutable


class Draft(db.Model):
    """A draft law or regulation (草案) of one legislature, with its versions."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    legislature_id: Mapped[int] = mapped_column(ForeignKey("legislatures.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    issuing_body: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    legislature: Mapped[Legislature] = relationship()
    created_by: Mapped[User] = relationship()
    versions: Mapped[list[DraftVersion]] = relationship(
        back_populates="draft", order_by="DraftVersion.number"
    )

    @property
    def published_versions(self) -> list[DraftVersion]:
        return [v for v in self.versions if v.is_published]

    @property
    def latest_published(self) -> DraftVersion | None:
        published = self.published_versions
        return published[-1] if published else None

    def can_edit(self, user) -> bool:
        """Staff of the draft's legislature upload versions and publish them."""
        return (
            getattr(user, "is_authenticated", False)
            and user.role == "legislature"
            and user.legislature_id == self.legislature_id
        )

    def can_view_unpublished(self, user) -> bool:
        return self.can_edit(user)

    def __str__(self) -> str:
        return self.title


class DraftVersion(db.Model):
    """One text of a draft (征求意见稿, 二审稿 …) and the result of parsing it."""

    __tablename__ = "draft_versions"
    __table_args__ = (UniqueConstraint("draft_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(50))
    status: Mapped[VersionStatus] = mapped_column(
        enum_column(VersionStatus), default=VersionStatus.PENDING
    )
    source_text: Mapped[str] = mapped_column(Text)
    source_filename: Mapped[str | None] = mapped_column(String(255))
    explanatory_note: Mapped[str | None] = mapped_column(Text)
    parsed_title: Mapped[str | None] = mapped_column(String(300))
    # history lines, 目录, preamble, annexes and unplaced blocks from the parser
    front_matter: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    draft: Mapped[Draft] = relationship(back_populates="versions")
    clauses: Mapped[list[Clause]] = relationship(
        back_populates="version", order_by="Clause.position", cascade="all, delete-orphan"
    )
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])

    @property
    def is_published(self) -> bool:
        return self.status == VersionStatus.PUBLISHED

    def can_view(self, user) -> bool:
        return self.is_published or self.draft.can_view_unpublished(user)

    def __str__(self) -> str:
        return f"{self.draft.title}（{self.label}）"


class Clause(db.Model):
    """A node of a version's clause tree: 编 章 节 条 款 项 目, or a numbered section."""

    __tablename__ = "clauses"
    __table_args__ = (
        UniqueConstraint("version_id", "citation"),
        Index("ix_clauses_version_id_position", "version_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("draft_versions.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("clauses.id"))
    position: Mapped[int] = mapped_column(Integer)  # document order
    depth: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    number: Mapped[int | None] = mapped_column(Integer)
    insert: Mapped[int | None] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(40))
    citation: Mapped[str] = mapped_column(String(120))
    heading: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    line: Mapped[int] = mapped_column(Integer)

    version: Mapped[DraftVersion] = relationship(back_populates="clauses")

    @property
    def anchor(self) -> str:
        return "c-" + self.citation

    @property
    def is_container(self) -> bool:
        return self.kind in ("part", "subpart", "chapter", "section")
