"""Recording comments over HTTP: POST /api/v1/tasks/<id>/comments against gunicorn (2 workers).

Reports the sustained rate, latency percentiles, and whether the number stored equals the
number sent. Runs on a fresh SQLite database in a temporary folder, or on PostgreSQL when
CONSULT_BENCH_DATABASE_URL names an empty database made for it.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.harness import Context, record

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CLIENT_THREADS = 8
MAX_REQUESTS = 10_000


class Api:
    def __init__(self, port: int, token: str | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.token = token

    def __call__(self, method: str, path: str, body=None):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = json.dumps(body) if body is not None else None
        self.conn.request(method, "/api/v1" + path, body=payload, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None

    def login(self, username: str) -> Api:
        status, body = self("POST", "/tokens", {"username": username, "password": "consult-demo"})
        assert status == 201, body
        self.token = body["token"]
        return self


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(folder: str, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULT_")}
    env["CONSULT_INSTANCE_PATH"] = folder
    if database_url:
        env["CONSULT_DATABASE_URL"] = database_url
        if database_url.startswith("postgres"):
            env["CONSULT_SEARCH_BACKEND"] = "postgresql"
    return env


@contextmanager
def serving(env: dict[str, str], workers: int = 2) -> Iterator[int]:
    """gunicorn serving the app of ``env`` on a free loopback port, until the block ends."""
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "wsgi:app"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=60)


def run(ctx: Context):
    total = min(ctx.size, MAX_REQUESTS)
    with tempfile.TemporaryDirectory(prefix="consult-bench-") as folder:
        env = environment(folder, os.environ.get("CONSULT_BENCH_DATABASE_URL"))
        flask = [str(BIN / "flask"), "--app", "consult"]
        for command in (["db", "upgrade"], ["consult", "demo"]):
            subprocess.run(flask + command, env=env, cwd=ROOT, check=True, capture_output=True)
        with serving(env) as port:
            yield from measure(ctx, port, total)


def _setup(port: int) -> tuple[int, list[str], str]:
    """A task on the demo draft for the demo point, handed to the collector's unit."""
    staff = Api(port).login("fgw.li")
    _status, drafts = staff("GET", "/drafts")
    draft = drafts["items"][-1]
    _status, detail = staff("GET", f"/drafts/{draft['id']}")
    version = detail["versions"][-1]
    _status, full = staff("GET", f"/drafts/{draft['id']}/versions/{version['number']}")
    clauses: list[str] = []

    def walk(nodes):
        for node in nodes:
            if node["kind"] in ("paragraph", "item"):
                clauses.append(node["citation"])
            walk(node["children"])

    walk(full["tree"])
    collector = Api(port).login("caiji01")
    _status, me = collector("GET", "/me")
    status, task = staff("POST", "/tasks", {
        "draft_version_id": version["id"], "title": "基准测试", "point_ids": [me["point"]["id"]],
        "deadline": "2099-01-01T00:00:00+08:00",
    })  # fmt: skip
    assert status == 201, task
    manager = Api(port).login("dianzhang")
    status, body = manager(
        "POST", f"/tasks/{task['id']}/assignments", {"unit_ids": [me["unit"]["id"]]}
    )
    assert status == 201, body
    return task["id"], clauses, collector.token


def measure(ctx: Context, port: int, total: int, name: str = "http.record_comment",
            clients: int = CLIENT_THREADS, **extra):  # fmt: skip
    """``clients`` threads send ``total`` comments as fast as answers come back.

    With more clients than workers (the default: 8 for 2) requests queue for a worker, and
    the latency measures the queue as much as the request; with one client per worker it is
    the request's own.
    """
    task_id, clauses, token = _setup(port)
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    numbers = iter(range(total))

    def worker():
        api = Api(port, token)
        mine: list[float] = []
        bad: list[int] = []
        for n in numbers:
            body = {"clause": clauses[n % len(clauses)], "channel": "forum",
                    "body": f"基准测试意见第{n}条：登记流程应当简化，便于老年人办理。",
                    "participants": 1 + n % 7}  # fmt: skip
            start = time.perf_counter()
            status, _ = api("POST", f"/tasks/{task_id}/comments", body)
            mine.append(time.perf_counter() - start)
            if status != 201:
                bad.append(status)
        with lock:
            latencies.extend(mine)
            failures.extend(bad)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    _status, listing = Api(port, token)("GET", f"/tasks/{task_id}/comments?per_page=1")
    stored = listing["total"]
    yield record(
        ctx, f"{name}.latency", latencies, "s", **extra,
        workers=2, client_threads=clients, sent=total, stored=stored,
        stored_equals_sent=stored == total and not failures, failures=len(failures),
        failure_statuses=sorted(set(failures)),
    )  # fmt: skip
    yield record(ctx, f"{name}.rate", [total / elapsed], "comments/s", **extra,
                 sent=total, seconds=round(elapsed, 2))  # fmt: skip
