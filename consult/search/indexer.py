"""Keeping the index in step with the database: the outbox, its applier, rebuild and verify.

1. Whenever a flush of the application's session inserts, changes or deletes an indexed
   object, a row naming it goes into ``search_outbox`` on the same connection, inside the
   same transaction: it commits or rolls back with the data.
2. After the commit, the outbox is applied by whichever process can take the index's
   single writer lock at once (Whoosh's lock file; an advisory lock on PostgreSQL). A process
   that cannot take it leaves its rows to the holder, which looks again after it lets go, so
   no change is ever left behind. The applier reads the *current* rows, so applying an entry
   twice or late is harmless; outbox rows are deleted only after the index holds them.
3. In the web server the applier runs on a background thread of each worker (``SEARCH_APPLY
   = "background"``): a request never waits on an index commit or a segment merge. Tests
   and the command line apply at once (``"inline"``).
4. After a crash between the commit and the index write, the outbox still holds the rows:
   they are applied by the next process that starts or commits. ``search verify`` compares
   every document's signature with the database and repairs what differs (Whoosh does not
   fsync, so a power cut can lose segments the outbox already let go).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from flask import Flask, current_app
from flask_sqlalchemy.session import Session as AppSession
from sqlalchemy import delete, event, exists, insert, select
from sqlalchemy.orm import Session

from consult.search.documents import BATCH, KINDS, batches, kind_of_prefix, outbox_key
from consult.search.models import SearchOutbox

logger = logging.getLogger(__name__)

OUTBOX_BATCH = 2000
POLL_SECONDS = 30.0  # the background applier also looks now and then (rows of dead processes)
# After a wake-up the applier waits this long, so that the changes of many requests go into
# one index commit: under load, one commit (and merge) per comment took the CPU the requests
# needed. Changes become searchable this much later.
COALESCE_SECONDS = 0.5


# -- recording changes ---------------------------------------------------------------------


@event.listens_for(AppSession, "after_flush")
def _record_changes(session, flush_context) -> None:
    keys = {
        key
        for obj in chain(session.new, session.dirty, session.deleted)
        if (key := outbox_key(obj)) is not None
    }
    if keys:
        session.connection().execute(insert(SearchOutbox), [{"key": k} for k in sorted(keys)])
        session.info["search_pending"] = True


@event.listens_for(AppSession, "after_commit")
def _after_commit(session) -> None:
    if session.info.pop("search_pending", False):
        state = current_app.extensions.get("consult_search")
        if state is not None:
            state.notify()


@event.listens_for(AppSession, "after_rollback")
def _after_rollback(session) -> None:
    if not session.in_transaction():
        session.info.pop("search_pending", None)


# -- applying ------------------------------------------------------------------------------


def documents_for(session: Session, keys: list[str]) -> tuple[dict, list[str], list[tuple]]:
    """The current documents of the outbox keys: upserts, deletions and group replacements."""
    by_prefix: dict[str, set[int]] = defaultdict(set)
    for key in keys:
        prefix, _, number = key.partition(":")
        if number.isdigit():
            by_prefix[prefix].add(int(number))
    upserts: dict[str, dict[str, Any]] = {}
    deletes: list[str] = []
    groups: list[tuple[str, str, int]] = []
    for prefix, ids in by_prefix.items():
        kind = kind_of_prefix(prefix)
        if kind is None:
            logger.warning("search outbox: unknown key prefix %r, dropped", prefix)
            continue
        ordered = sorted(ids)
        found = {doc["key"]: doc for doc in kind.documents(session, ordered)}
        upserts.update(found)
        if kind.group_field:
            groups += [(kind.name, kind.group_field, i) for i in ordered]
        else:
            deletes += [f"{kind.name}:{i}" for i in ordered if f"{kind.name}:{i}" not in found]
    return upserts, deletes, groups


def apply_once(backend, engine) -> int | None:
    """Apply one batch of the outbox; None when another process holds the writer."""
    with Session(engine) as session:
        with backend.writer(session) as writer:
            if writer is None:
                return None
            rows = session.execute(
                select(SearchOutbox.id, SearchOutbox.key).order_by(SearchOutbox.id)
                .limit(OUTBOX_BATCH)
            ).all()  # fmt: skip
            if not rows:
                return 0
            upserts, deletes, groups = documents_for(session, [r.key for r in rows])
            for kind, group_field, value in groups:
                writer.delete_where(kind, **{group_field: value})
            writer.delete(deletes)
            writer.upsert(upserts.values())
        # The index holds them now (Whoosh committed on leaving the block; PostgreSQL
        # commits the documents with this deletion).
        session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_([r.id for r in rows])))
        session.commit()
        return len(rows)


def pending(engine) -> bool:
    with Session(engine) as session:
        return bool(session.scalar(select(exists().where(SearchOutbox.id > 0))))


@dataclass
class SearchState:
    """The search backend of one app and the applier of its outbox."""

    app: Flask
    _backend: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _wake: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _pid: int = 0
    _stopped: bool = False

    @property
    def backend(self):
        if self._backend is None:
            self._backend = open_backend(self.app)
        return self._backend

    @property
    def engine(self):
        from consult.extensions import db

        with self.app.app_context():
            return db.engine

    def apply(self) -> int:
        """Apply the outbox until it is empty, or until another process holds the writer."""
        applied = 0
        with self._lock:
            while True:
                done = apply_once(self.backend, self.engine)
                if done is None:
                    return applied  # the holder looks again after it lets go
                applied += done
                # Look again after letting go: a row committed while we held the writer
                # belongs to a process that found the lock taken.
                if done == 0 and not pending(self.engine):
                    return applied

    def notify(self) -> None:
        if self.app.config["SEARCH_APPLY"] == "inline" or self._stopped:
            self.apply()
            return
        self._ensure_thread()
        self._wake.set()

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        self._pid = os.getpid()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="search-applier", daemon=True)
        self._thread.start()
        atexit.register(self._at_exit)

    def stop(self, timeout: float = 30) -> bool:
        """End the background applier once it has applied what is left (an app being let go
        of, e.g. with its instance folder); later changes are applied inline. False when it
        is still applying after ``timeout`` seconds."""
        self._stopped = True
        self._wake.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=timeout)
            return not self._thread.is_alive()
        return True

    def _run(self) -> None:
        while True:
            self._wake.wait(POLL_SECONDS)
            if not self._stopped:
                time.sleep(COALESCE_SECONDS)
            self._wake.clear()
            try:
                with self.app.app_context():
                    self.apply()
            except Exception:  # keep applying later; the outbox keeps the rows
                logger.exception("search: applying the outbox failed; will retry")
                time.sleep(1.0)
            if self._stopped:
                return

    def _at_exit(self) -> None:
        # A stopped app applied everything inline already, and its folder may be gone.
        if self._pid == os.getpid() and not self._stopped:
            try:
                with self.app.app_context():
                    self.apply()
            except Exception:
                logger.exception("search: applying the outbox at exit failed")


def open_backend(app: Flask):
    if app.config["SEARCH_BACKEND"] == "postgresql":
        from consult.search.postgres_backend import PostgresBackend

        return PostgresBackend()
    from consult.search.whoosh_backend import WhooshBackend

    return WhooshBackend(app.config["SEARCH_INDEX_PATH"])


def state_of(app: Flask | None = None) -> SearchState:
    return (app or current_app).extensions["consult_search"]


# -- rebuild and verify --------------------------------------------------------------------


def all_documents(session: Session) -> Iterator[dict[str, Any]]:
    """Every document, each kind's in its ``layout`` order where it has one.

    Laid out by point, a point's comments occupy one stretch of document numbers, and a
    search within that point skips the posting blocks of every other: at 100k comments on
    Whoosh, two words within one point went from 143 to 25 ms (median). Documents written
    later are appended; the next rebuild lays them out again.
    """
    for kind in KINDS.values():
        if kind.layout is None:
            for ids in batches(session, kind.ids()):
                yield from kind.documents(session, ids)
            continue
        ordered = list(session.scalars(kind.layout()))  # 1M ids: about 40 MB, briefly
        for start in range(0, len(ordered), BATCH):
            chunk = ordered[start : start + BATCH]
            found = {doc["key"]: doc for doc in kind.documents(session, chunk)}
            for object_id in chunk:
                doc = found.get(f"{kind.name}:{object_id}")
                if doc is not None:  # None: deleted since the ids were read
                    yield doc


def rebuild(state: SearchState, progress: Callable[[int], None] | None = None) -> int:
    """Index everything again, replacing the index in one commit, through the bulk path.

    Appliers in other processes find the writer taken meanwhile and leave their rows in
    the outbox; they are applied (again: harmless) at the end.
    """
    count = 0

    def counted(reader: Session) -> Iterator[dict[str, Any]]:
        nonlocal count
        for doc in all_documents(reader):
            count += 1
            if progress and count % 5000 == 0:
                progress(count)
            yield doc

    # Rows are read on a connection of their own: the writer's may be busy with a COPY.
    with state._lock, Session(state.engine) as session, Session(state.engine) as reader:
        state.backend.rebuild(session, counted(reader))
        session.commit()
    if progress:
        progress(count)
    state.apply()
    return count


@dataclass
class Report:
    replayed: int = 0  # outbox entries a crashed process had left
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def repaired(self) -> int:
        return len(self.missing) + len(self.stale) + len(self.extra)

    def as_dict(self) -> dict[str, Any]:
        return {
            "replayed": self.replayed,
            "checked": self.checked,
            "missing": len(self.missing),
            "stale": len(self.stale),
            "extra": len(self.extra),
            "examples": (self.missing + self.stale + self.extra)[:10],
        }


def verify(state: SearchState, *, repair: bool = True) -> Report:
    """Compare every document's signature with the database's; repair what differs."""
    backend = state.backend
    report = Report()
    report.replayed = state.apply()  # what the outbox still holds is applied first
    with state._lock, Session(state.engine) as session:
        indexed = backend.signatures(session)
        fixes: list[dict[str, Any]] = []
        for doc in all_documents(session):
            report.checked += 1
            sig = indexed.pop(doc["key"], None)
            if sig is None:
                report.missing.append(doc["key"])
                fixes.append(doc)
            elif sig != doc["sig"]:
                report.stale.append(doc["key"])
                fixes.append(doc)
        report.extra = sorted(indexed)
        if repair and (fixes or report.extra):
            with backend.writer(session, wait=True) as writer:
                writer.delete(report.extra)
                writer.upsert(fixes)
            session.commit()
    if report.repaired or report.replayed:
        logger.warning("search verify: %s", report.as_dict())
    return report
