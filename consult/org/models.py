"""The organisation: who belongs where, and what each role may see."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.core.types import UTCDateTime, enum_column, utcnow
from consult.extensions import db


class Role(enum.StrEnum):
    ADMIN = "admin"
    LEGISLATURE = "legislature"
    MANAGER = "manager"
    EXPERT = "expert"
    COLLECTOR = "collector"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.LEGISLATURE: _l("Legislature staff"),
    Role.MANAGER: _l("Point manager"),
    Role.EXPERT: _l("Expert"),
    Role.COLLECTOR: _l("Information collector"),
}

# Roles that belong to a contact point (and so may only ever see that point's data).
POINT_ROLES = frozenset({Role.MANAGER, Role.EXPERT, Role.COLLECTOR})


class UnitKind(enum.StrEnum):
    CONTACT_UNIT = "contact_unit"
    COLLECTION_POINT = "collection_point"

    @property
    def label(self) -> str:
        return str(UNIT_KIND_LABELS[self])


UNIT_KIND_LABELS = {
    UnitKind.CONTACT_UNIT: _l("Contact unit"),
    UnitKind.COLLECTION_POINT: _l("Collection point"),
}


point_legislatures = Table(
    "point_legislatures",
    db.metadata,
    Column("point_id", ForeignKey("contact_points.id"), primary_key=True),
    Column("legislature_id", ForeignKey("legislatures.id"), primary_key=True),
)


class Legislature(db.Model):
    """A legislature's working body, e.g. 重庆市人大常委会法制工作委员会."""

    __tablename__ = "legislatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    points: Mapped[list[ContactPoint]] = relationship(
        secondary=point_legislatures, back_populates="legislatures", order_by="ContactPoint.name"
    )

    def __str__(self) -> str:
        return self.name


class ContactPoint(db.Model):
    """A grassroots legislative contact point (基层立法联系点)."""

    __tablename__ = "contact_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    # Names and phone numbers of the public are recorded only where the point turns this on.
    collects_personal_data: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    legislatures: Mapped[list[Legislature]] = relationship(
        secondary=point_legislatures, back_populates="points", order_by="Legislature.name"
    )
    units: Mapped[list[Unit]] = relationship(back_populates="point", order_by="Unit.name")

    def __str__(self) -> str:
        return self.name


class Unit(db.Model):
    """A contact unit or collection point (联系单位 / 信息采集点) under a contact point."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("point_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("contact_points.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[UnitKind] = mapped_column(enum_column(UnitKind), default=UnitKind.CONTACT_UNIT)
    address: Mapped[str | None] = mapped_column(String(300))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    point: Mapped[ContactPoint] = relationship(back_populates="units")

    def __str__(self) -> str:
        return self.name


class User(UserMixin, db.Model):
    """A person with an account. Deactivated, never deleted: past work stays attributed.

    The scope columns say where the role applies: ``legislature_id`` for legislature staff,
    ``point_id`` for managers, experts and collectors, and ``unit_id`` for collectors.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(enum_column(Role), index=True)
    position: Mapped[str | None] = mapped_column(String(50))
    legislature_id: Mapped[int | None] = mapped_column(ForeignKey("legislatures.id"), index=True)
    point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_points.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped on every password change: sessions carrying an older value end.
    auth_version: Mapped[int] = mapped_column(Integer, default=1)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    legislature: Mapped[Legislature | None] = relationship()
    point: Mapped[ContactPoint | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", order_by="ApiToken.created_at.desc()"
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.auth_version}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def scope_label(self) -> str:
        """Where the user works, for display."""
        parts = [str(x) for x in (self.legislature, self.point, self.unit) if x is not None]
        return " / ".join(parts)

    def __str__(self) -> str:
        return f"{self.display_name} ({self.username})"


class ApiToken(db.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
