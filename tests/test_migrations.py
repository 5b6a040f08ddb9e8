"""The schema comes only from migrations, and the models never drift from them."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from consult.extensions import db
from tests.conftest import BACKEND


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


# -- upgrading the previous release, with its data -------------------------------------------

RELEASE = "0010"  # the schema head of the previous release
RELEASE_DATA = Path(__file__).parent / "fixtures" / f"release-{RELEASE}.jsonl.gz"
RELEASE_TOKEN = "cst_CRtnj5akSYS3dRtlSby5D5dSI0IhnAUAAqSso9ZC_yc"  # dianzhang's, in the data


def _typed(value, column: sa.Column):
    """A value as SQLite stored it, as the column's type on any database."""
    if value is None:
        return None
    if isinstance(column.type, sa.Boolean):
        return bool(value)
    if isinstance(column.type, sa.DateTime):  # consult's timestamps are all UTC
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if isinstance(column.type, sa.Date):
        return date.fromisoformat(value)
    if isinstance(column.type, sa.JSON):
        return json.loads(value)
    return value


def _load_release(connection) -> None:
    """The previous release's demo data (tests/fixtures/dump_release.py made it)."""
    metadata = sa.MetaData()
    metadata.reflect(connection)
    rows: dict[str, list[dict]] = {}
    with gzip.open(RELEASE_DATA, "rt", encoding="utf-8") as handle:
        assert json.loads(next(handle)) == {"revision": RELEASE}
        for line in handle:
            record = json.loads(line)
            rows.setdefault(record["table"], []).append(record["row"])
    for name, table_rows in rows.items():  # in the dump's order: parents first
        table = metadata.tables[name]
        typed = [{k: _typed(v, table.c[k]) for k, v in row.items()} for row in table_rows]
        connection.execute(table.insert(), typed)
        if connection.dialect.name == "postgresql" and "id" in table.c:
            # The rows brought their ids: move the sequence past them, as a restore does.
            connection.execute(
                sa.select(
                    sa.func.setval(sa.func.pg_get_serial_sequence(name, "id"),
                                   sa.select(sa.func.max(table.c.id)).scalar_subquery())
                )
            )  # fmt: skip


def test_the_previous_release_with_its_data_upgrades_to_head(make_app):
    """Every row of a release's database survives `flask db upgrade`, and works afterwards.

    The data is the previous release's demo, dumped from a checkout of that release. Rows
    are compared by each table's digest (as in a backup's manifest); a migration that is
    meant to change rows must say here which.
    """
    from flask_migrate import downgrade, upgrade

    from consult.core.backup import digests
    from consult.org.models import User
    from consult.org.services import authenticate, create_token
    from consult.search.indexer import rebuild, state_of, verify
    from consult.search.services import search
    from consult.stats import services as stats

    app = make_app()
    with app.app_context():
        downgrade(revision="base")
        upgrade(revision=RELEASE)
        with db.engine.begin() as connection:
            _load_release(connection)
        with db.engine.connect() as connection:
            before = digests(connection)
        assert before["comments"]["rows"] == 51 and before["suggestion_outcomes"]["rows"] == 30

        upgrade()  # to the head, as `flask db upgrade` does

        with db.engine.connect() as connection:
            after = digests(connection)
        changed = {t for t in before if t != "alembic_version" and before[t] != after.get(t)}
        assert changed == set()

        # What users notice: they sign in, scripts' tokens still work, the numbers are there,
        # search finds the old comments, and new work gets new ids.
        manager = authenticate("dianzhang", "consult-demo")
        client = app.test_client()
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {RELEASE_TOKEN}"})
        assert me.status_code == 200 and me.get_json()["username"] == "dianzhang"
        staff = db.session.scalar(sa.select(User).where(User.username == "fgw.li"))
        totals = stats.table("legislature", stats.scope_for(staff)).total
        assert totals.comments > 0 and totals.adopted + totals.partially_adopted > 0
        state = state_of(app)
        assert rebuild(state) > 51
        assert verify(state).repaired == 0
        with app.test_request_context():  # results carry links
            assert search(manager, {"q": "养犬", "kind": "comment"}).total > 0
        token, _raw = create_token(manager, "升级后的新令牌")  # a new row, and an audit event
        db.session.commit()
        assert token.id > 1


@pytest.mark.skipif(BACKEND != "postgresql", reason="0012 rewrites PostgreSQL documents only")
def test_0012_gives_existing_postgres_documents_the_lexemes_new_ones_get(make_app):
    """Documents written before 0012 have words only; after it they match filtered searches
    exactly as rebuilt ones would (the migration's SQL and ``filter_lexemes`` agree)."""
    from flask_migrate import downgrade, upgrade

    from consult.search.documents import make_document
    from consult.search.postgres_backend import filter_lexemes, row_of, tsvector_literal

    docs = [
        make_document("comment", 7, "养犬登记应当简化", day=20260301, audience=["point:3"],
                      task_id=2, draft_id=1, version_id=1, point_id=3, unit_id=4,
                      collector_id=5, clause_id=6, channel="forum", status="accepted"),
        make_document("suggestion", 8, "建议删除第二款", day=20260302,
                      audience=["point:3", "leg:1"], task_id=2, point_id=3, status="merged",
                      outcome="adopted"),
        make_document("clause", 9, "第一条 为了规范养犬行为", day=20260101, audience=["public"],
                      citation="第一条", draft_id=1, version_id=1, clause_id=9, published=True),
    ]  # fmt: skip
    app = make_app()
    with app.app_context():
        downgrade(revision="base")
        upgrade(revision="0011")
        table = sa.table("search_documents", *[sa.column(c) for c in row_of(docs[0])])
        with db.engine.begin() as connection:
            for doc in docs:  # as 0011's backend wrote them: the words alone
                connection.execute(
                    table.insert(), [row_of(doc) | {"tsv": tsvector_literal(doc["text"])}]
                )

        def tsv_equal(new: bool) -> list[bool]:
            with db.engine.connect() as connection:
                return [
                    connection.scalar(sa.text(
                        "SELECT tsv = CAST(:expected AS tsvector) FROM search_documents"
                        " WHERE key = :key"
                    ), {"key": doc["key"], "expected": tsvector_literal(
                        doc["text"], filter_lexemes(doc) if new else ())})
                    for doc in docs
                ]  # fmt: skip

        upgrade()
        assert tsv_equal(new=True) == [True, True, True]
        assert "=published:1" in filter_lexemes(docs[2])  # booleans as the index writes them
        downgrade(revision="0011")
        assert tsv_equal(new=False) == [True, True, True]
        upgrade()
