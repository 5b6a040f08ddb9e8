"""Configuration layers, the instance secret key, and the SQLite connection settings."""

from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa

from consult import create_app
from consult.config import database_uri
from consult.extensions import db


def test_layers_in_order(tmp_path, monkeypatch):
    settings = tmp_path / "settings.py"
    settings.write_text('PAGE_SIZE = 7\nLOGIN_RATE_LIMIT = "3 per minute"\nMAX_PAGE_SIZE = 50\n')
    monkeypatch.setenv("CONSULT_SETTINGS", str(settings))
    monkeypatch.setenv("CONSULT_PAGE_SIZE", "9")  # the environment beats the settings file
    app = create_app({"INSTANCE_PATH": str(tmp_path), "MAX_PAGE_SIZE": 60})
    assert app.config["PAGE_SIZE"] == 9
    assert app.config["LOGIN_RATE_LIMIT"] == "3 per minute"  # from the file
    assert app.config["MAX_PAGE_SIZE"] == 60  # the test mapping beats everything
    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh_Hans"  # a default


def test_default_database_is_sqlite_in_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("CONSULT_DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/consult.db"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_postgresql_urls_use_psycopg3(url, expected):
    assert database_uri(url, "/unused") == expected


def test_secret_key_generated_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("CONSULT_SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path)})
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) == 64
    second = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_secret_key_from_environment_is_not_written(tmp_path, monkeypatch):
    monkeypatch.setenv("CONSULT_SECRET_KEY", "from-the-environment")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_sqlite_connection_settings(tmp_path, monkeypatch):
    monkeypatch.delenv("CONSULT_DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 10_000
    with app.app_context():
        db.engine.dispose()
