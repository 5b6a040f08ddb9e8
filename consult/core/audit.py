"""The audit trail: who did what to which object, when, and why. Rows are only ever added."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from consult.core.types import UTCDateTime, utcnow
from consult.extensions import db

logger = logging.getLogger(__name__)


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AuditTampering(RuntimeError):
    """An attempt to change or remove an audit row: refused, for every user and command."""


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context, _instances) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTampering(f"audit event #{obj.id} cannot be changed or removed")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state) -> None:
    if (state.is_update or state.is_delete) and any(
        getattr(m, "class_", None) is AuditEvent for m in state.all_mappers
    ):
        raise AuditTampering("audit events cannot be changed or removed")


def record(
    actor,
    action: str,
    obj,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Add an audit row in the current transaction (flushed with the change it describes)."""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=obj.__tablename__,
        object_id=obj.id,
        before=before,
        after=after,
        reason=reason,
    )
    db.session.add(event)
    logger.info(
        "%s %s #%s by user #%s", action, obj.__tablename__, obj.id, getattr(actor, "id", None)
    )
    return event


def changes(obj, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply ``data`` to ``obj`` and return (before, after) of the fields that really changed."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key, value in data.items():
        old = getattr(obj, key)
        if old != value:
            before[key] = _plain(old)
            after[key] = _plain(value)
            setattr(obj, key, value)
    return before, after


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "id") and hasattr(value, "__tablename__"):
        return value.id
    if hasattr(value, "value") and not isinstance(value, (str, int, float, bool)):
        return value.value
    return value
