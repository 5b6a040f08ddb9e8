"""No password, token or secret key appears in the logs or in the database in clear."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from consult.extensions import db
from tests.conftest import csrf_token


def database_dump() -> str:
    """Every value of every row of every table, as text."""
    parts = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                parts.extend(str(value) for value in row)
    return "\n".join(parts)


def test_secrets_never_stored_or_logged_in_clear(make_app, caplog):
    caplog.set_level(logging.DEBUG)
    app = make_app(SECRET_KEY="a-very-secret-key-1234567890")
    client = app.test_client()
    with app.app_context():
        from tests.conftest import build_world

        build_world()
    admin_password = "correct-horse-9"
    # Sign in (a failure first), create a user, change a password, create tokens.
    client.post(
        "/login",
        data={
            "username": "admin",
            "password": "wrong-but-secret-77",
            "csrf_token": csrf_token(client),
        },
    )
    client.post(
        "/login",
        data={"username": "admin", "password": admin_password, "csrf_token": csrf_token(client)},
    )
    created = client.post(
        "/admin/users/new",
        data={
            "username": "fresh",
            "display_name": "新用户",
            "role": "admin",
            "password": "Initial-Secret-42",
            "csrf_token": csrf_token(client, "/admin/users/new"),
        },
    )
    assert created.status_code == 302
    page = client.post(
        "/account/tokens",
        data={"name": "t", "csrf_token": csrf_token(client, "/account/tokens")},
    ).get_data(as_text=True)
    page_token = "cst_" + page.split('value="cst_')[1].split('"')[0]
    api_token = client.post(
        "/api/v1/tokens", json={"username": "manager", "password": "correct-horse-9"}
    ).get_json()["token"]
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {api_token}"}).status_code
        == 200
    )
    changed = client.post(
        "/account/password",
        data={
            "current_password": admin_password,
            "new_password": "Changed-Secret-99",
            "confirm_password": "Changed-Secret-99",
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )
    assert changed.status_code == 302

    secrets = [
        admin_password,
        "wrong-but-secret-77",
        "Initial-Secret-42",
        "Changed-Secret-99",
        page_token,
        api_token,
        "a-very-secret-key-1234567890",
    ]
    logs = "\n".join(record.getMessage() for record in caplog.records)
    assert "signed in" in logs  # the logs were captured at all
    with app.app_context():
        dump = database_dump()
    assert "pbkdf2:sha256" in dump  # the database was read at all
    for secret in secrets:
        assert secret not in logs
        assert secret not in dump
