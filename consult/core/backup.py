"""Backup and restore of the database, with a manifest that proves a restore complete.

- **SQLite**: SQLite's online backup API — a consistent copy taken while the app serves.
- **PostgreSQL**: ``pg_dump`` in its custom format, taken in the snapshot of a transaction
  that also reads the manifest's figures (so both describe the same moment); restored with
  ``pg_restore`` in a single transaction (all or nothing).

Beside each backup, ``<backup>.json`` records the schema revision and, for every table,
its row count and a SHA-256 of its rows in primary-key order. ``restore`` compares the
restored database with it before it touches anything else, then upgrades the schema to
this release and rebuilds the search index (derived from the database, so not backed up).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from glob import glob
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Connection, MetaData, Table, inspect, select, text
from sqlalchemy.engine import URL, make_url

from consult.extensions import db

MANIFEST_SUFFIX = ".json"


class BackupError(Exception):
    """A backup or restore that cannot be done, with the reason for the operator."""


@dataclass
class Result:
    path: Path
    manifest: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        tables = self.manifest["tables"]
        return {
            "file": str(self.path),
            "backend": self.manifest["backend"],
            "revision": self.manifest["revision"],
            "tables": len(tables),
            "rows": sum(t["rows"] for t in tables.values()),
        }


# -- the manifest ------------------------------------------------------------------------


def _tables(connection: Connection) -> list[Table]:
    """Every table of the database (reflected: a backup of an older schema has its own)."""
    metadata = MetaData()
    metadata.reflect(bind=connection)
    return sorted(metadata.tables.values(), key=lambda t: t.name)


def digests(connection: Connection) -> dict[str, dict[str, Any]]:
    """Each table's row count and a SHA-256 of its rows, in primary-key order."""
    found = {}
    for table in _tables(connection):
        order = list(table.primary_key.columns) or list(table.columns)
        digest = hashlib.sha256()
        rows = 0
        result = connection.execution_options(yield_per=5000).execute(
            select(table).order_by(*order)
        )
        for row in result:
            digest.update(json.dumps([_plain(v) for v in row], ensure_ascii=False).encode())
            digest.update(b"\n")
            rows += 1
        found[table.name] = {"rows": rows, "sha256": digest.hexdigest()}
    return found


def _plain(value: Any) -> Any:
    """A value as the same text on both sides of a round trip."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None  # a database never migrated
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _manifest(connection: Connection, backend: str) -> dict[str, Any]:
    return {
        "format": 1,
        "backend": backend,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "revision": _revision(connection),
        "tables": digests(connection),
    }


def read_manifest(path: Path) -> dict[str, Any]:
    manifest_path = Path(str(path) + MANIFEST_SUFFIX)
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file.")
    if not manifest_path.is_file():
        raise BackupError(f"{manifest_path}: the backup's manifest is missing.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        assert isinstance(manifest["tables"], dict) and manifest["backend"]
    except (ValueError, KeyError, TypeError, AssertionError) as error:
        raise BackupError(f"{manifest_path}: not a consult backup manifest ({error}).") from error
    return manifest


def compare(expected: dict[str, Any], found: dict[str, Any]) -> list[str]:
    """What differs between two manifests' tables, one line each (empty when they agree)."""
    problems = []
    for name in sorted(set(expected) | set(found)):
        want, have = expected.get(name), found.get(name)
        if want is None or have is None:
            problems.append(f"{name}: only in the {'database' if want is None else 'backup'}")
        elif want["rows"] != have["rows"]:
            problems.append(f"{name}: {have['rows']} rows restored, {want['rows']} backed up")
        elif want["sha256"] != have["sha256"]:
            problems.append(f"{name}: the rows differ from the backup's")
    return problems


# -- backup --------------------------------------------------------------------------------


def default_path(backend: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    suffix = "sqlite3" if backend == "sqlite" else "dump"
    return Path(current_app.instance_path) / "backups" / f"consult-{stamp}.{suffix}"


def backup(path: Path | None = None) -> Result:
    """Copy the database to ``path`` (default: the instance folder's ``backups/``), with its
    manifest beside it."""
    engine = db.engine
    backend = engine.dialect.name
    path = Path(path) if path else default_path(backend)
    if path.exists():
        raise BackupError(f"{path}: already exists; choose another name.")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    try:
        if backend == "sqlite":
            manifest = _backup_sqlite(engine.url, partial)
        elif backend == "postgresql":
            manifest = _backup_postgresql(partial)
        else:  # pragma: no cover — the app runs on these two only
            raise BackupError(f"no backup for the {backend} database")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    Path(str(path) + MANIFEST_SUFFIX).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return Result(path, manifest)


def _sqlite_file(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("the database is in memory: nothing to back up")
    return url.database


def _backup_sqlite(url: URL, target: Path) -> dict[str, Any]:
    source = sqlite3.connect(_sqlite_file(url))
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # one consistent step, whatever the app writes meanwhile
    finally:
        copy.close()
        source.close()
    # The manifest describes the copy itself.
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as connection:
            return _manifest(connection, "sqlite")
    finally:
        engine.dispose()


def _pg_tool(name: str) -> str:
    """``pg_dump`` or ``pg_restore``: PG_BIN_DIR's, the newest installed, or the PATH's."""
    folder = current_app.config.get("PG_BIN_DIR")
    candidates = [os.path.join(folder, name)] if folder else []
    candidates += sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"),
                         key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
                         reverse=True)  # fmt: skip
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (Debian: postgresql-client); "
                          "or set CONSULT_PG_BIN_DIR")  # fmt: skip
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, which goes in the environment."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    # A list of arguments (no shell), built here from the database URL and a path.
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{os.path.basename(command[0])} failed: {done.stderr.strip()}")


def _backup_postgresql(target: Path) -> dict[str, Any]:
    url = make_url(str(db.engine.url))
    conninfo, env = _libpq(url)
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar()
            # pg_dump reads exactly what this transaction sees while it stays open.
            _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--snapshot={snapshot}", f"--file={target}", f"--dbname={conninfo}"],
                 env)  # fmt: skip
            return _manifest(connection, "postgresql")


# -- restore -------------------------------------------------------------------------------


def restore(path: Path) -> Result:
    """Put the backup at ``path`` in place of the database, check it against its manifest,
    then bring the schema up to this release and rebuild the search index."""
    path = Path(path)
    manifest = read_manifest(path)
    engine = db.engine
    backend = engine.dialect.name
    if manifest["backend"] != backend:
        raise BackupError(f"{path} is a {manifest['backend']} backup; this app uses {backend}.")
    db.session.remove()
    engine.dispose()  # no pooled connection holds a lock on what is replaced
    if backend == "sqlite":
        _restore_sqlite(path, engine.url)
    else:
        _restore_postgresql(path)
    with engine.connect() as connection:
        problems = compare(manifest["tables"], digests(connection))
    if problems:
        raise BackupError("the restored database differs from the backup: " + "; ".join(problems))
    from flask_migrate import upgrade

    upgrade()
    from consult.search.indexer import rebuild, state_of

    rebuild(state_of())
    return Result(path, manifest)


def _restore_sqlite(path: Path, url: URL) -> None:
    try:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        source.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path}: not a readable SQLite database ({error}).") from error
    target = sqlite3.connect(_sqlite_file(url), timeout=30)
    try:
        source.backup(target)  # page by page into the live file, as one transaction
    finally:
        target.close()
        source.close()


def _restore_postgresql(path: Path) -> None:
    conninfo, env = _libpq(make_url(str(db.engine.url)))
    # --clean drops what the backup holds before re-creating it; --single-transaction
    # makes a failure leave the database as it was.
    _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", f"--dbname={conninfo}", str(path)],
         env)  # fmt: skip
