"""Many writers at once: 8 processes × 500 comments over HTTP against gunicorn with 4 workers.

Every comment the server acknowledged is stored exactly once, and once the outbox has
drained, the search index agrees with the database document by document (``search verify
--no-repair`` finds nothing to repair). A third of the way in, one worker is killed with
SIGKILL, as the kernel's OOM killer would: requests it was serving may be lost (their
clients saw the connection drop) but nothing acknowledged is, the master starts a new
worker, and the index still ends in step with the database.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from consult.comments.models import Comment
from consult.consultations.demo import TITLE
from consult.consultations.models import ConsultationTask
from consult.extensions import db
from consult.search.models import SearchOutbox
from tests.conftest import SEARCH_BACKENDS
from tests.test_server import flask_command, gunicorn, server_env

PROCESSES = 8
EACH = 500
WORKERS = 4
CLAUSES = ["第三条", "第五条", "第六条", "第十条", "第二十一条"]
MARK = "并发写入"  # every comment of this test carries it; the demo's do not


def _post(conn: http.client.HTTPConnection, path: str, body: dict, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request("POST", path, body=json.dumps(body, ensure_ascii=False).encode(),
                 headers=headers)  # fmt: skip
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"null")


def write_comments(base: str, number: int, task_id: int) -> dict[str, list[str]]:
    """One client process: sign in as collector ``number`` and record EACH comments in turn.

    Returns the bodies the server acknowledged (201), those whose fate the client cannot
    know (the connection dropped), and any other answer.
    """
    address = urlsplit(base)
    result: dict[str, list[str]] = {"stored": [], "unknown": [], "refused": []}

    def connect() -> http.client.HTTPConnection:
        return http.client.HTTPConnection(address.hostname, address.port, timeout=60)

    conn = connect()
    login = {"username": f"caiji{number:02d}", "password": "consult-demo"}
    status, body = _post(conn, "/api/v1/tokens", login)
    assert status == 201, body
    token = body["token"]
    for n in range(EACH):
        text = f"{MARK}{number}号第{n}条：养犬登记应当简化办理流程，方便老年人就近办理。"
        comment = {"clause": CLAUSES[n % len(CLAUSES)], "body": text, "channel": "visit",
                   "participants": 1 + n % 5}  # fmt: skip
        try:
            status, answer = _post(conn, f"/api/v1/tasks/{task_id}/comments", comment, token)
        except (ConnectionError, http.client.HTTPException, TimeoutError):
            result["unknown"].append(text)  # the worker died under this request
            conn.close()
            conn = connect()
            continue
        if status == 201:
            result["stored"].append(text)
        else:
            result["refused"].append(f"{status} {answer}")
    conn.close()
    return result


def _workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()]


@pytest.mark.parametrize("search_backend", SEARCH_BACKENDS)
def test_eight_writers_lose_nothing_and_the_index_agrees(
    make_app, migrated, tmp_path, search_backend
):
    app = make_app()  # the database is emptied afterwards
    env = server_env(migrated, tmp_path / "inst", SEARCH_BACKEND=search_backend)
    flask_command(env, "db", "upgrade")
    flask_command(env, "consult", "demo")
    with app.app_context():
        task_id = db.session.scalar(
            select(ConsultationTask.id).where(ConsultationTask.title == TITLE)
        )
    with gunicorn(env, workers=WORKERS) as (base, master):
        spawn = get_context("spawn")  # no fork of a process holding connections
        with ProcessPoolExecutor(PROCESSES, mp_context=spawn) as pool:
            futures = [
                pool.submit(write_comments, base, number, task_id)
                for number in range(1, PROCESSES + 1)
            ]
            killed = _kill_one_worker_when_a_third_is_in(app, master.pid)
            results = [future.result(timeout=900) for future in futures]
        assert killed, "no worker was killed: the test did not test the crash"
        assert len(_workers_of(master.pid)) == WORKERS  # the master replaced the dead one
        # The running workers drain the outbox by themselves, the dead one's rows included.
        assert _outbox_drains(app), "the outbox still holds rows a minute after the writes"
        verify = flask_command(env, "consult", "search", "verify", "--no-repair")
    refused = [line for r in results for line in r["refused"]]
    assert refused == [], refused[:5]
    acknowledged = [text for r in results for text in r["stored"]]
    unknown = {text for r in results for text in r["unknown"]}
    assert len(acknowledged) + len(unknown) == PROCESSES * EACH
    assert len(unknown) <= 1, unknown  # a sync worker serves one request at a time

    with app.app_context():
        stored = list(db.session.scalars(select(Comment.body).where(Comment.body.startswith(MARK))))
    assert len(stored) == len(set(stored))  # nothing stored twice
    assert set(acknowledged) <= set(stored)  # nothing acknowledged is lost
    assert set(stored) - set(acknowledged) <= unknown  # nothing invented
    report = json.loads(verify.stdout.strip().splitlines()[-1])
    assert report["replayed"] == report["missing"] == report["stale"] == report["extra"] == 0, (
        report
    )
    assert report["checked"] >= len(stored)


def _outbox_drains(app, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    with app.app_context():
        while time.monotonic() < deadline:
            if db.session.scalar(select(func.count()).select_from(SearchOutbox)) == 0:
                return True
            db.session.rollback()
            time.sleep(0.25)
    return False


def _kill_one_worker_when_a_third_is_in(app, master: int) -> bool:
    """SIGKILL one gunicorn worker once a third of the comments are stored."""
    deadline = time.monotonic() + 600
    with app.app_context():
        while time.monotonic() < deadline:
            count = db.session.scalar(
                select(func.count()).select_from(Comment).where(Comment.body.startswith(MARK))
            )
            db.session.rollback()  # a fresh snapshot on the next look
            if count >= PROCESSES * EACH // 3:
                os.kill(_workers_of(master)[0], signal.SIGKILL)
                return True
            time.sleep(0.2)
    return False
