"""Configuration in layers, read only inside the app factory.

defaults (below) → the Python file named by ``CONSULT_SETTINGS`` → ``CONSULT_*`` environment
variables (``CONSULT_DATABASE_URL`` sets ``DATABASE_URL``; values are parsed as JSON when they
can be) → the mapping passed to ``create_app`` (tests).
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    # None: a SQLite file ``consult.db`` in the instance folder.
    "DATABASE_URL": None,
    "SQLITE_BUSY_TIMEOUT_MS": 10_000,
    # Statistics split their pass over comments across this many threads (connections).
    "STATS_THREADS": 2,
    # Where pg_dump and pg_restore are for ``consult backup``/``restore`` on PostgreSQL
    # (None: the newest /usr/lib/postgresql/*/bin, else the PATH).
    "PG_BIN_DIR": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SECRET_KEY": None,
    "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Set CONSULT_SESSION_COOKIE_SECURE=true behind HTTPS.
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # A collector may fill a long form on a phone: the CSRF token lives as long as the session.
    "WTF_CSRF_TIME_LIMIT": None,
    "LANGUAGES": ["zh_Hans", "en"],
    "BABEL_DEFAULT_LOCALE": "zh_Hans",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "LOGIN_RATE_LIMIT": "10 per 15 minutes",
    # Comments from the public, per address.
    "PUBLIC_COMMENT_RATE_LIMIT": "10 per hour",
    "PASSWORD_MIN_LENGTH": 10,
    # werkzeug's generate_password_hash method; scrypt is werkzeug's default.
    "PASSWORD_HASH_METHOD": "scrypt",
    # Search: "whoosh" (an index directory; one application host) or "postgresql" (the
    # documents in the database; several hosts). None: ``search-index`` in the instance folder.
    "SEARCH_BACKEND": "whoosh",
    "SEARCH_INDEX_PATH": None,
    # "background": each worker applies index changes on a thread, never in a request;
    # "inline": at once after each commit (tests, scripts).
    "SEARCH_APPLY": "background",
    "PAGE_SIZE": 25,
    "MAX_PAGE_SIZE": 100,
    "CONTENT_SECURITY_POLICY": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
}


def load_config(app: Flask, test_config: Mapping[str, Any] | None = None) -> None:
    """Fill ``app.config`` from the layers, then derive the values the extensions need."""
    app.config.from_mapping(DEFAULTS)
    settings = os.environ.get("CONSULT_SETTINGS")
    if settings:
        app.config.from_pyfile(os.path.abspath(settings))
    app.config.from_prefixed_env("CONSULT")
    if test_config:
        app.config.from_mapping(test_config)

    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(
        app.config["DATABASE_URL"], app.instance_path
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)


def database_uri(url: str | None, instance_path: str) -> str:
    """Turn the configured URL into an SQLAlchemy URI that uses psycopg 3 for PostgreSQL."""
    if not url:
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        return "sqlite:///" + os.path.join(instance_path, "consult.db")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def instance_secret_key(instance_path: str) -> str:
    """Read the secret key kept in the instance folder, creating it (mode 0600) the first time.

    Several gunicorn workers may start at once: O_EXCL makes exactly one of them write it.
    """
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another worker may be writing it right now: give it a moment.
        for _ in range(50):
            key = path.read_text(encoding="ascii").strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty: delete it to generate a new secret key") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    logger.info("generated a new secret key in %s", path)
    return key
