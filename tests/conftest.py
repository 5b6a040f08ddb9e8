"""Fixtures: a real database (SQLite file, or PostgreSQL when CONSULT_TEST_BACKEND=postgresql),
migrated once per session; every test gets a fresh app and an emptied database afterwards.

Commits are real commits: nothing here turns commit into flush, so commit hooks fire.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from consult import create_app
from consult.core.types import utcnow
from consult.extensions import db
from consult.org import services
from consult.org.models import Role, User

BACKEND = os.environ.get("CONSULT_TEST_BACKEND", "sqlite")
# The search backends a test runs on: Whoosh always, PostgreSQL's in the PostgreSQL run.
SEARCH_BACKENDS = [
    "whoosh",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            BACKEND != "postgresql", reason="the PostgreSQL backend needs the PostgreSQL run"
        ),
    ),
]
PASSWORD = "correct-horse-9"


def pytest_report_header(config):
    return f"consult database backend: {BACKEND}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if BACKEND == "postgresql":
        url = os.environ.get("CONSULT_TEST_DATABASE_URL")
        if not url:
            pytest.exit("CONSULT_TEST_BACKEND=postgresql needs CONSULT_TEST_DATABASE_URL", 2)
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "consult-test.db")


def base_config(database_url: str, instance_path) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": "test-secret-key-not-for-production",
        # Fast hashes keep the suite quick; production uses scrypt (see config.py).
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_STORAGE_URI": "memory://",
        "SEARCH_APPLY": "inline",
    }


def reset_schema(app: Flask) -> None:
    """Drop everything, then build the schema with the migrations, as production does."""
    from flask_migrate import upgrade

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            db.engine.dispose()
            path = db.engine.url.database
            for suffix in ("", "-wal", "-shm"):
                if path and os.path.exists(path + suffix):
                    os.remove(path + suffix)
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def migrated(database_url, tmp_path_factory) -> str:
    app = create_app(base_config(database_url, tmp_path_factory.mktemp("instance")))
    reset_schema(app)
    return database_url


def empty_database() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(sa.text(f"DELETE FROM {name}"))  # noqa: S608


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    Flask reuses an app context that is already pushed (the ``app`` fixture's), which would
    share ``g`` and the database session between the test and its requests.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def make_app(migrated, tmp_path) -> Iterator:
    """Build apps on the migrated test database; the database is emptied afterwards."""
    apps: list[Flask] = []

    def factory(**overrides) -> Flask:
        app = create_app(base_config(migrated, tmp_path / "instance") | overrides)
        app.test_client_class = IsolatedClient
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
    if apps:
        with apps[0].app_context():
            empty_database()
            db.engine.dispose()
        for app in apps[1:]:
            with app.app_context():
                db.engine.dispose()


@pytest.fixture
def app(make_app) -> Iterator[Flask]:
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# -- the world: an organisation with one user of every role ----------------------------------


def make_user(username: str, role: Role, **scope) -> User:
    user, _ = services.create_user(
        {
            "username": username,
            "display_name": username.title(),
            "role": role,
            "password": PASSWORD,
            "must_change_password": False,
            **scope,
        },
        None,
    )
    return user


def build_world() -> SimpleNamespace:
    """Two legislatures, two points (A serves the city, B another), units, and every role."""
    admin = make_user("admin", Role.ADMIN)
    city = services.create_legislature({"name": "重庆市人大常委会法制工作委员会"}, admin)
    other = services.create_legislature({"name": "四川省人大常委会法制工作委员会"}, admin)
    point_a = services.create_point({"name": "北碚联系点", "legislature_ids": [city.id]}, admin)
    point_b = services.create_point(
        {"name": "渝中联系点", "legislature_ids": [city.id, other.id]}, admin
    )
    unit_a = services.create_unit({"point_id": point_a.id, "name": "北碚区总工会"}, admin)
    unit_b = services.create_unit({"point_id": point_b.id, "name": "解放碑社区"}, admin)
    w = SimpleNamespace(
        admin=admin,
        city=city,
        other=other,
        point_a=point_a,
        point_b=point_b,
        unit_a=unit_a,
        unit_b=unit_b,
        legislature=make_user("staff", Role.LEGISLATURE, legislature_id=city.id),
        manager=make_user("manager", Role.MANAGER, point_id=point_a.id),
        expert=make_user("expert", Role.EXPERT, point_id=point_a.id),
        collector=make_user("collector", Role.COLLECTOR, unit_id=unit_a.id),
        collector_b=make_user("collector.b", Role.COLLECTOR, unit_id=unit_b.id),
        target=make_user("target", Role.COLLECTOR, unit_id=unit_a.id),
    )
    w.admin_token, _raw = services.create_token(admin, "admin's script")
    # A published draft with a pending second version, and a draft with one published version.
    from consult.drafts import services as drafts
    from tests.drafts.texts import DOG_V1, DOG_V2

    w.draft = drafts.create_draft(
        {"text": DOG_V1, "version_label": "征求意见稿", "explanatory_note": "起草说明正文。"},
        w.legislature,
    )
    drafts.publish(w.draft.versions[0], w.legislature)
    drafts.add_version(w.draft, {"text": DOG_V2, "version_label": "二审稿"}, w.legislature)
    w.version1_id = w.draft.versions[0].id
    w.draft2 = drafts.create_draft({"text": DOG_V2}, w.legislature)
    drafts.publish(w.draft2.versions[0], w.legislature)
    # An open task on the published draft for both points, handed to a unit at each, with a
    # comment from each point.
    from consult.comments import services as comments
    from consult.consultations import services as tasks

    w.manager_b = make_user("manager.b", Role.MANAGER, point_id=point_b.id)
    w.task = tasks.create_task(
        {
            "draft_version_id": w.draft.versions[0].id,
            "title": "《重庆市养犬管理条例（草案）》征求意见",
            "instructions": "请重点就<b>养犬登记</b>征求意见。<script>alert(1)</script>",
            "deadline": utcnow() + timedelta(days=14),
            "point_ids": [point_a.id, point_b.id],
            "public_channel": True,
        },
        w.legislature,
    )
    (w.assignment_a,) = tasks.assign(w.task, {"unit_ids": [unit_a.id]}, w.manager)
    tasks.assign(w.task, {"unit_ids": [unit_b.id]}, w.manager_b)
    w.comment = comments.record_comment(
        w.task, {"clause": "第四条第二款", "body": "登记期限三十日太长。", "channel": "forum"},
        w.collector,
    )  # fmt: skip
    w.comment2 = comments.record_comment(
        w.task, {"clause": None, "body": "总体赞成。", "channel": "online"}, w.collector
    )
    w.comment_b = comments.record_comment(
        w.task, {"clause": "第六条", "body": "烈性犬目录要公开。", "channel": "visit"},
        w.collector_b,
    )  # fmt: skip
    from consult.comments.models import CommentImport

    w.public_comment, w.public_comment2 = (
        comments.submit_public(w.task, {"clause": "第五条", "body": body, "point_id": point_a.id})
        for body in ("有效期一年太短。", "建议免费办理。")
    )

    # Point A's experts have merged its two recorded comments into a suggestion each.
    from consult.review import services as review

    w.suggestion = review.create_suggestion(
        w.task, {"comment_ids": [w.comment2.id], "rationale": "总体赞成。"}, w.expert
    )
    w.suggestion2 = review.create_suggestion(
        w.task, {"comment_ids": [w.comment.id], "proposed_text": "登记期限为十五日。"}, w.expert
    )

    w.pending_import = CommentImport(
        task_id=w.task.id, point_id=point_a.id, user_id=w.collector.id, filename="x.csv", rows=[]
    )
    db.session.add(w.pending_import)
    db.session.commit()
    return w


@pytest.fixture
def world(app) -> SimpleNamespace:
    return build_world()


@pytest.fixture
def world_factory():
    return build_world


ROLES = ["anonymous", "admin", "legislature", "manager", "expert", "collector"]


def sign_in(client: FlaskClient, user: User | None) -> FlaskClient:
    """Put ``user`` in the client's session, as a successful login does."""
    if user is not None:
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
    return client


def bearer(app: Flask, user: User) -> dict[str, str]:
    _token, raw = services.create_token(user, "test")
    db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """Read the CSRF token from a rendered form, as a browser would."""
    import re

    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)
