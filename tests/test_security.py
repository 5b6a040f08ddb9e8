"""What a browser is told on every answer, the session cookie's flags, and spreadsheet bombs."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from consult.comments.models import Comment
from consult.extensions import db
from tests.conftest import PASSWORD, bearer, csrf_token, sign_in

PAGES = [
    ("anonymous", "/"),
    ("anonymous", "/login"),
    ("anonymous", "/no/such/page"),  # an error page
    ("anonymous", "/api/v1/openapi.json"),
    ("anonymous", "/api/v1/me"),  # an API error
    ("manager", "/point/"),
    ("legislature", "/stats/"),
]


@pytest.mark.parametrize(("role", "path"), PAGES)
def test_every_answer_carries_the_security_headers(client, world, role, path):
    if role != "anonymous":
        sign_in(client, getattr(world, role))
    headers = client.get(path).headers
    policy = {
        part.split()[0]: part.split()[1:]
        for part in headers["Content-Security-Policy"].split(";")
        if part.strip()
    }
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in headers["Content-Security-Policy"]
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in headers  # only when the cookie is Secure


def _session_cookie(client, world) -> str:
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"username": "manager", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert len(cookies) == 1
    return cookies[0]


def test_the_session_cookie_is_httponly_and_samesite(client, world):
    cookie = [part.strip() for part in _session_cookie(client, world).split(";")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP by default (make run on loopback)


def test_behind_https_the_cookie_is_secure_and_hsts_is_sent(make_app):
    from tests.conftest import build_world

    app = make_app(SESSION_COOKIE_SECURE=True)
    with app.app_context():
        world = build_world()
        client = app.test_client()
        cookie = [part.strip() for part in _session_cookie(client, world).split(";")]
        assert "Secure" in cookie and "HttpOnly" in cookie
        assert client.get("/").headers["Strict-Transport-Security"].startswith("max-age=")


def _xlsx_bomb(size: int) -> bytes:
    """An .xlsx whose sheet unpacks to ``size`` bytes of zeros: a few KB on the wire."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * size)
    return buffer.getvalue()


@pytest.mark.parametrize("where", ["comments", "outcomes"])
def test_a_spreadsheet_bomb_is_refused_and_nothing_is_stored(client, world, where):
    data = _xlsx_bomb(300 * 1024 * 1024)
    assert len(data) < 1024 * 1024  # it fits any upload limit
    user = world.collector if where == "comments" else world.legislature
    before = db.session.scalar(select(func.count()).select_from(Comment))
    response = client.post(
        f"/api/v1/tasks/{world.task.id}/{where}/import",
        data={"file": (io.BytesIO(data), "意见.xlsx")},
        headers=bearer(None, user),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "zip bomb" in str(response.get_json()["error"]) or "压缩" in str(
        response.get_json()["error"]
    )
    assert db.session.scalar(select(func.count()).select_from(Comment)) == before
