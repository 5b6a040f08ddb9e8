"""The schema comes only from migrations, and the models never drift from them."""

from __future__ import annotations

import os
import subprocess
import sys

import sqlalchemy as sa

from consult.extensions import db


def test_models_match_migrations(migrated, tmp_path):
    """`flask db check`, exactly as a developer runs it, against the migrated test database."""
    env = os.environ | {
        "CONSULT_DATABASE_URL": migrated,
        "CONSULT_INSTANCE_PATH": str(tmp_path),
        "CONSULT_SECRET_KEY": "x",
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "consult", "db", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No new upgrade operations detected" in result.stdout + result.stderr


def test_downgrade_to_empty_and_upgrade_again(make_app):
    from flask_migrate import downgrade, upgrade

    app = make_app()
    with app.app_context():
        downgrade(revision="base")
        assert "users" not in sa.inspect(db.engine).get_table_names()
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
    assert {
        "legislatures",
        "contact_points",
        "units",
        "users",
        "api_tokens",
        "audit_events",
    } <= tables
