"""Statistics: each grouping's time, and the peak memory of the full XLSX export.

Generated data at the size asked for (at 1m: 1,000,000 comments, 100,000 submitted
suggestions, 200 tasks, 50 points — the issue's figures), written straight into the
product's tables: comments spread over two years, a share merged into suggestions, near
duplicates marked, outcomes of every kind. The queries are the product's own
(``consult.stats.services.table``), as legislature staff ask them (every point).

The XLSX export (every grouping, one sheet each, ``by=all``) runs in a child process, so
that its peak memory is the export's, not the generator's.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta

from benchmarks.harness import Context, bench_app, migrated_with_demo, record, timed

SENTENCES = [
    "建议进一步明确相关部门的职责分工。", "这一条的规定过于原则，基层难以操作。",
    "社区群众普遍反映期限太短。", "建议增加对老年人的照顾条款。", "罚款数额偏低，起不到作用。",
    "应当听取居民委员会的意见。", "建议与上位法的表述保持一致。", "本条第二款建议删除。",
]  # fmt: skip
OUTCOMES = ["adopted", "partially_adopted", "not_adopted", "pending", None]
OUTCOME_WEIGHTS = [10, 25, 35, 10, 20]


def scale(size: int) -> tuple[int, int, int]:
    """Tasks, points and suggestions for ``size`` comments (200, 50, 100,000 at 1m)."""
    return max(5, min(200, size // 5000)), max(2, min(50, size // 20000)), size // 10


def _build(size: int, folder: str, seed: int = 7):
    from sqlalchemy import insert, select

    from consult.comments.models import Comment, local_day
    from consult.consultations.models import ConsultationTask, task_points
    from consult.drafts import services as drafts
    from consult.extensions import db
    from consult.org import services as org
    from consult.org.models import Role, User
    from consult.review.models import Submission, Suggestion, suggestion_authors

    rng = random.Random(seed)
    n_tasks, n_points, n_suggestions = scale(size)
    app = bench_app(folder, SEARCH_APPLY="inline")
    with app.app_context():
        accounts = migrated_with_demo()
        admin = next(u for u in accounts if u.role == Role.ADMIN)
        staff = next(u for u in accounts if u.role == Role.LEGISLATURE)
        points = [next(u for u in accounts if u.role == Role.MANAGER).point]
        while len(points) < n_points:
            points.append(org.create_point(
                {"name": f"统计联系点{len(points) + 1}", "legislature_ids": [staff.legislature_id]},
                admin,
            ))  # fmt: skip
        db.session.flush()
        people = {}  # point id → (units, collectors, experts)
        rows = []
        for point in points:
            units = [org.create_unit({"point_id": point.id, "name": f"单位{n}"}, admin).id
                     for n in range(3)]  # fmt: skip
            people[point.id] = (units, [], [])
            for index in range(11):
                role = Role.COLLECTOR if index < 9 else Role.EXPERT
                rows.append({
                    "username": f"p{point.id}u{index}", "display_name": f"{point.id}号点{index}",
                    "role": role, "password_hash": "!", "must_change_password": False,
                    "unit_id": units[index % 3] if role == Role.COLLECTOR else None,
                    "point_id": point.id,
                })  # fmt: skip
        db.session.execute(insert(User), rows)
        for user in db.session.scalars(select(User).where(User.username.like("p%u%"))):
            units, collectors, experts = people[user.point_id]
            (collectors if user.role == Role.COLLECTOR else experts).append(user)
        draft = drafts.create_draft(
            {"text": "统计条例（草案）\n第一条　测试。\n第二条　测试。"}, staff
        )
        version = drafts.publish(draft.versions[0], staff)
        now = datetime.now(UTC)
        tasks = []
        for n in range(n_tasks):
            created = now - timedelta(days=730 * (n_tasks - n) / n_tasks)
            tasks.append({"legislature_id": staff.legislature_id, "draft_version_id": version.id,
                          "title": f"统计任务{n}", "deadline": created + timedelta(days=30),
                          "created_by_id": staff.id, "created_at": created, "state": "reported",
                          "public_channel": False})  # fmt: skip
        db.session.execute(insert(ConsultationTask), tasks)
        task_rows = db.session.execute(
            select(ConsultationTask.id, ConsultationTask.created_at)
            .where(ConsultationTask.title.like("统计任务%")).order_by(ConsultationTask.id)
        ).all()  # fmt: skip
        db.session.execute(insert(task_points), [
            {"task_id": t.id, "point_id": p.id} for t in task_rows for p in points
        ])  # fmt: skip
        submissions = [{"task_id": t.id, "point_id": p.id, "tracking_number": f"B-{t.id}-{p.id}",
                        "submitted_by_id": staff.id, "submitted_at": t.created_at
                        + timedelta(days=29), "late": False, "snapshot": {}}
                       for t in task_rows for p in points]  # fmt: skip
        db.session.execute(insert(Submission), submissions)
        submission_of = {
            (s.task_id, s.point_id): s.id
            for s in db.session.execute(select(Submission.id, Submission.task_id,
                                               Submission.point_id))
        }  # fmt: skip
        suggestions = []
        for _ in range(n_suggestions):
            task = rng.choice(task_rows)
            point = rng.choice(points)
            expert = rng.choice(people[point.id][2])
            suggestions.append({
                "task_id": task.id, "point_id": point.id, "status": "approved",
                "created_by_id": expert.id, "rationale_html": "", "created_at": task.created_at,
                "updated_at": task.created_at, "submission_id": submission_of[(task.id, point.id)],
                "outcome": rng.choices(OUTCOMES, OUTCOME_WEIGHTS)[0],
            })  # fmt: skip
            if len(suggestions) == 5000:
                db.session.execute(insert(Suggestion), suggestions)
                suggestions = []
        if suggestions:
            db.session.execute(insert(Suggestion), suggestions)
        made = db.session.execute(
            select(Suggestion.id, Suggestion.task_id, Suggestion.point_id, Suggestion.created_by_id)
        ).all()  # fmt: skip
        db.session.execute(insert(suggestion_authors), [
            {"suggestion_id": s.id, "user_id": s.created_by_id} for s in made
        ])  # fmt: skip
        created_of = {t.id: t.created_at for t in task_rows}
        batch = []
        first_id = 1 + (db.session.scalar(select(db.func.max(Comment.id))) or 0)
        for number in range(size):
            merged = made[number % len(made)] if number < len(made) * 3 else None
            if merged is not None:
                task_id, point_id, suggestion_id = merged.task_id, merged.point_id, merged.id
            else:
                task_id, point_id = rng.choice(task_rows).id, rng.choice(points).id
                suggestion_id = None
            units, collectors, _experts = people[point_id]
            collector = rng.choice(collectors)
            moment = created_of[task_id] + timedelta(days=rng.randrange(28), minutes=number % 1440)
            body = "".join(rng.choices(SENTENCES, k=rng.randint(1, 12)))[:400]
            batch.append({
                "task_id": task_id, "point_id": point_id, "unit_id": collector.unit_id,
                "collector_id": collector.id, "body": body, "channel": "forum",
                "participants": 1 if rng.random() < 0.7 else rng.randint(2, 40),
                "status": "active" if rng.random() < 0.97 else "withdrawn",
                "source": "collected", "review_state": "merged" if suggestion_id else "new",
                "suggestion_id": suggestion_id, "created_at": moment, "updated_at": moment,
                "recorded_on": local_day(moment),
                "duplicate_of_id": (first_id + rng.randrange(number)
                                    if number and rng.random() < 0.15 else None),
                "revision": 1,
            })  # fmt: skip
            if len(batch) == 10000:
                db.session.execute(insert(Comment), batch)
                batch = []
        if batch:
            db.session.execute(insert(Comment), batch)
        from consult.stats import sources

        sources.rebuild()  # rows written behind the services: their sources made in bulk
        db.session.commit()
        # What a live database has had done to it meanwhile (autovacuum, or ANALYZE): the
        # planner's statistics, and PostgreSQL's visibility map for index-only scans.
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        return app, staff.id


def _export(folder: str, url: str | None, user_id: int, queue) -> None:
    """In a fresh interpreter: the full XLSX export, as the API sends it (every grouping)."""
    import os

    if url:
        os.environ["CONSULT_BENCH_DATABASE_URL"] = url
    import openpyxl  # noqa: F401  (imported before the baseline: part of the app's cost)

    from consult.extensions import db
    from consult.org.models import User
    from consult.stats import exports, services

    app = bench_app(folder)
    with app.test_request_context():
        user = db.session.get(User, user_id)
        baseline = _memory("VmRSS")
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")  # resets the peak (VmHWM) to now: the export's peak follows
        start = time.perf_counter()
        scope = services.scope_for(user)
        sheet = exports.xlsx_file([services.table(by, scope) for by in services.GROUPINGS])
        size = len(sheet.read())
        seconds = time.perf_counter() - start
        peak = _memory("VmHWM")
    queue.put((seconds, peak, baseline, size))


def _memory(field: str) -> float:
    """A line of /proc/self/status, in MB (VmRSS: resident now; VmHWM: the peak)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def run(ctx: Context):
    from consult.extensions import db
    from consult.org.models import User
    from consult.stats import services

    folder = tempfile.mkdtemp(prefix="bench-stats-")
    start = time.perf_counter()
    app, staff_id = _build(ctx.size, folder)
    built = time.perf_counter() - start
    n_tasks, n_points, n_suggestions = scale(ctx.size)
    with app.test_request_context():
        staff = db.session.get(User, staff_id)
        scope = services.scope_for(staff)
        for by in services.GROUPINGS:
            rows = len(services.table(by, scope).rows)
            yield record(
                ctx, f"stats.by_{by}", timed(lambda by=by: services.table(by, scope), ctx.runs),
                "s", target={"value": 0.5}, groups=rows, comments=ctx.size,
                suggestions=n_suggestions, tasks=n_tasks, points=n_points,
                build_seconds=round(built, 1),
            )  # fmt: skip
        db.session.remove()
    # A spawned (not forked) child: its peak memory is the export's and the app's alone.
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    url = os.environ.get("CONSULT_BENCH_DATABASE_URL")
    child = context.Process(target=_export, args=(folder, url, staff_id, queue))
    child.start()
    seconds, peak, baseline, size = queue.get()
    child.join()
    # The export's own memory: the child's peak while exporting, above what the loaded app
    # already held (the app with its segmenter dictionary is ~175 MB resident before).
    yield record(
        ctx, "stats.xlsx_export_all", [seconds], "s", peak_rss_mb_child=round(peak, 1),
        app_baseline_mb=round(baseline, 1), export_mb=round(peak - baseline, 1),
        target_export_mb=200, meets_memory_target=peak - baseline <= 200, bytes=size,
    )  # fmt: skip
