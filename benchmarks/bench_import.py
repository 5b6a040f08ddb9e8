"""Bulk import throughput: the corpus's comments, through the product's own import path.

Builds a fresh database (SQLite in a temporary folder, or CONSULT_BENCH_DATABASE_URL), loads
the demo organisation, publishes the corpus's drafts with the drafts service, opens one task
per draft, and imports each draft's comments as a CSV with ``consult.comments.imports`` —
the code behind the import page and API. Reports rows per second for checking and for
importing, and that every row arrived.
"""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from datetime import timedelta

from benchmarks.harness import Context, bench_app, migrated_with_demo, record, timed

CHANNEL_ZH = {"forum": "座谈会", "visit": "走访", "questionnaire": "问卷", "online": "网络",
              "letter": "来信", "phone": "电话", "other": "其他"}  # fmt: skip
MAX_ROWS = 20_000


def run(ctx: Context):
    from sqlalchemy import func, select

    from consult.comments import imports
    from consult.comments.models import Comment
    from consult.consultations import services as tasks
    from consult.core.spreadsheets import write_csv
    from consult.core.types import utcnow
    from consult.drafts import services as drafts
    from consult.extensions import db
    from consult.org.models import Role

    comments = ctx.corpus.comments[:MAX_ROWS]
    with tempfile.TemporaryDirectory(prefix="consult-bench-") as folder:
        app = bench_app(folder)
        with app.app_context():
            accounts = migrated_with_demo()
            staff = next(u for u in accounts if u.role == Role.LEGISLATURE)
            manager = next(u for u in accounts if u.role == Role.MANAGER)
            by_draft: dict[int, list] = defaultdict(list)
            for comment in comments:
                by_draft[comment.draft].append(comment)
            task_of: dict[int, object] = {}
            for index, (name, text) in enumerate(ctx.corpus.drafts):
                if index not in by_draft:
                    continue
                draft = drafts.create_draft({"text": text, "title": f"{name} 草案"}, staff)
                version = drafts.publish(draft.versions[0], staff)
                task_of[index] = tasks.create_task(
                    {"draft_version_id": version.id, "title": name, "point_ids": [manager.point_id],
                     "deadline": utcnow() + timedelta(days=1)}, staff,
                )  # fmt: skip
            db.session.commit()
            headers = ["条款", "意见", "修改建议", "收集方式", "收集日期", "代表人数"]
            check_seconds = import_seconds = 0.0
            for index, rows in by_draft.items():
                data = write_csv(headers, (
                    [c.clause or "总体意见", c.body, c.proposed_text or "", CHANNEL_ZH[c.channel],
                     c.collected_on, c.participants] for c in rows
                ))  # fmt: skip
                task = task_of[index]
                start = time.perf_counter()
                checked = imports.check(task, data, "corpus.csv", manager)
                check_seconds += time.perf_counter() - start
                assert checked.ok, checked.errors[:5]
                start = time.perf_counter()
                imports.import_rows(task, checked, manager)
                db.session.commit()
                import_seconds += time.perf_counter() - start
            stored = db.session.scalar(select(func.count()).select_from(Comment))
            backend = db.engine.dialect.name
            pages = _pages(ctx, staff, manager, task_of, by_draft)
        renders = list(_renders(ctx, app, pages))
        # Its applier thread must not outlive the folder the index is in: on a busy machine
        # indexing the imported rows can take minutes.
        assert app.extensions["consult_search"].stop(timeout=1800), "the applier did not end"
    yield record(ctx, "import.check_rows", [len(comments) / check_seconds], "rows/s",
                 rows=len(comments), database=backend)  # fmt: skip
    yield record(ctx, "import.import_rows", [len(comments) / import_seconds], "rows/s",
                 rows=len(comments), stored=stored, stored_equals_sent=stored == len(comments),
                 database=backend)  # fmt: skip
    yield from renders


def _pages(ctx: Context, staff, manager, task_of, by_draft) -> list[tuple]:
    """The pages a draft is read on, with the comments just imported: the largest draft's
    version page (its clause tree, as legislature staff see it), and the heat map of the
    same draft's task (every clause with its raw and distinct counts, as the point's manager
    sees it)."""
    largest = max(task_of, key=lambda index: len(ctx.corpus.drafts[index][1]))
    version = task_of[largest].version
    task = task_of[largest]
    return [
        ("render.draft_version", staff.get_id(),
         f"/drafts/{version.draft_id}/v/{version.number}", {"clauses": len(version.clauses)}),
        ("render.heatmap", manager.get_id(), f"/tasks/{task.id}/heatmap",
         {"clauses": len(task.version.clauses), "comments": len(by_draft[largest])}),
    ]  # fmt: skip


def _renders(ctx: Context, app, pages: list[tuple]):
    """Each page rendered by the app for a signed-in test client (each request in its own
    app context, as in a server)."""
    for name, user_id, path, extra in pages:
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user_id
            session["_fresh"] = True

        def get(client=client, path=path):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response

        size = len(get().data)
        yield record(ctx, name, timed(get, ctx.runs), "s", html_bytes=size, **extra)
