"""What `make run` does, end to end: migrate, load the demo, serve with gunicorn, sign in."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
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


@pytest.fixture
def server(make_app, migrated, tmp_path):
    make_app()  # the database is emptied after the test
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CONSULT_") or key == "CONSULT_TEST_BACKEND"
    }
    env |= {"CONSULT_DATABASE_URL": migrated, "CONSULT_INSTANCE_PATH": str(tmp_path / "inst")}
    flask = [str(BIN / "flask"), "--app", "consult"]
    for command in (["db", "upgrade"], ["consult", "demo"]):
        subprocess.run(flask + command, env=env, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/", timeout=2).close()  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start: " + process.stderr.read1().decode())
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stderr.close()


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
