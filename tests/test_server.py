"""What `make run` does, end to end: migrate, load the demo, serve with gunicorn, sign in."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """Just enough of a browser: cookies, redirects, and the CSRF token from the last page."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.html = ""

    def open(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=30) as response:
                self.html = response.read().decode()
                return response.status, urllib.parse.urlsplit(response.url).path
        except urllib.error.HTTPError as exc:
            self.html = exc.read().decode()
            return exc.code, path

    def csrf(self) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', self.html).group(1)


def server_env(database_url: str, instance: Path, **config: str) -> dict[str, str]:
    """The environment of a server process: the test's database, a fresh instance folder."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CONSULT_") or key == "CONSULT_TEST_BACKEND"
    }
    env |= {"CONSULT_DATABASE_URL": database_url, "CONSULT_INSTANCE_PATH": str(instance)}
    return env | {f"CONSULT_{key}": value for key, value in config.items()}


def flask_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "flask"), "--app", "consult", *args],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 2) -> Iterator[tuple[str, subprocess.Popen]]:
    """gunicorn serving ``env``'s app on a free loopback port: (base URL, master process)."""
    port = free_port()
    # Its log goes to a file, not a pipe: a full pipe would stop the server.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "wsgi:app"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(base + "/", timeout=2).close()  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                log.seek(0)
                pytest.fail("gunicorn did not start: " + log.read().decode()[-4000:])
            yield base, process
        finally:
            process.terminate()
            process.wait(timeout=60)


@pytest.fixture
def server(make_app, migrated, tmp_path):
    make_app()  # the database is emptied after the test
    env = server_env(migrated, tmp_path / "inst")
    flask_command(env, "db", "upgrade")
    flask_command(env, "consult", "demo")
    with gunicorn(env) as (base, _process):
        yield base


DEMO_HOMES = {
    "admin": "/admin/",
    "fgw.li": "/legislature/",
    "dianzhang": "/point/",
    "zhuanjia1": "/point/",
    "caiji01": "/collector/",
}


def test_demo_logins_land_on_their_pages(server):
    for username, home in DEMO_HOMES.items():
        browser = Browser(server)
        status, _ = browser.open("/")
        assert status == 200 and "基层立法联系点工作平台" in browser.html
        browser.open("/login")
        status, path = browser.open(
            "/login",
            {"username": username, "password": "consult-demo", "csrf_token": browser.csrf()},
        )
        assert (status, path) == (200, home), username
    # the last browser is the collector's
    assert browser.open("/admin/")[0] == 403
    assert browser.open("/admin/users")[0] == 403
