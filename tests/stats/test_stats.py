"""Statistics: every grouping counted here straight from the rows, and the dashboard, the
CSV, the XLSX and the API all say the same."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select

from consult.comments import services as comments
from consult.comments.models import Comment, CommentStatus
from consult.extensions import db
from consult.org.models import Role
from consult.outcomes import services as outcomes
from consult.outcomes.models import Outcome
from consult.review import services as review
from consult.review.models import Suggestion
from consult.stats.services import GROUPINGS
from tests.conftest import bearer, make_user, sign_in

ZONE = ZoneInfo("Asia/Shanghai")
COLUMNS = ["tasks", "comments", "distinct", "people", "suggestions", "adopted",
           "partially_adopted", "not_adopted", "pending", "decided", "rate"]  # fmt: skip


@pytest.fixture
def w(world, app, client):
    """Both points submitted; an exact duplicate; outcomes of every kind; an old comment."""
    w = world
    w.expert_b = make_user("expert.b", Role.EXPERT, point_id=w.point_b.id)
    twin = comments.record_comment(
        w.task, {"clause": "第四条第二款", "body": "登记期限三十日太长！", "channel": "visit",
                 "participants": 4}, w.target)  # fmt: skip
    review.set_aside(twin, "other", "与第一条意见相同。", w.expert)
    b2 = comments.record_comment(
        w.task, {"clause": "第五条", "body": "建议取消登记收费。", "channel": "phone",
                 "participants": 7}, w.collector_b)  # fmt: skip
    # Recorded a year ago: outside a period that starts this year.
    b2.created_at = datetime.now(UTC) - timedelta(days=400)
    sb = review.create_suggestion(w.task, {"comment_ids": [w.comment_b.id]}, w.expert_b)
    sb2 = review.create_suggestion(w.task, {"comment_ids": [b2.id]}, w.manager_b)
    review.update_suggestion(sb2, {"rationale": "收费问题。"}, w.expert_b)  # two authors
    for s in (w.suggestion, w.suggestion2):
        review.approve(s, w.manager)
    for s in (sb, sb2):
        review.approve(s, w.manager_b)
    review.submit(w.task, w.manager)  # groups the duplicates on the way
    review.submit(w.task, w.manager_b)
    outcomes.record(w.suggestion, {"outcome": Outcome.NOT_ADOPTED, "explanation": "暂不采纳。"},
                    w.legislature)  # fmt: skip
    outcomes.record(w.suggestion, {"outcome": Outcome.PARTIALLY_ADOPTED, "explanation": "部分。"},
                    w.legislature)  # corrected: only the newest counts  # fmt: skip
    outcomes.record(w.suggestion2, {"outcome": Outcome.ADOPTED}, w.legislature)
    outcomes.record(sb, {"outcome": Outcome.PENDING}, w.legislature)
    outcomes.record(sb2, {"outcome": Outcome.NOT_ADOPTED, "explanation": "与上位法不一致。"},
                    w.legislature)  # fmt: skip
    db.session.commit()
    w.twin, w.sb, w.sb2 = twin, sb, sb2
    w.client = client
    return w


def _month(moment: datetime, fmt: str) -> str:
    return moment.astimezone(ZONE).strftime(fmt)


def expected(
    by: str, point_id=None, start=None, legislature_id=None
) -> dict[str, dict[str, object]]:
    """Every figure of the grouping, counted in Python from the ORM rows themselves."""
    comment_keys = {
        "legislature": lambda c: [c.task.legislature_id], "point": lambda c: [c.point_id],
        "unit": lambda c: [c.unit_id], "collector": lambda c: [c.collector_id],
        "expert": lambda c: [u.id for u in c.suggestion.authors] if c.suggestion else [],
        "draft": lambda c: [c.task.version.draft_id], "task": lambda c: [c.task_id],
        "month": lambda c: [_month(c.created_at, "%Y-%m")],
        "year": lambda c: [_month(c.created_at, "%Y")],
    }  # fmt: skip
    suggestion_keys = {
        "legislature": lambda s: [s.task.legislature_id], "point": lambda s: [s.point_id],
        "unit": lambda s: {c.unit_id for c in s.comments if c.status == CommentStatus.ACTIVE},
        "collector": lambda s: {c.collector_id for c in s.comments
                                if c.status == CommentStatus.ACTIVE},
        "expert": lambda s: [u.id for u in s.authors],
        "draft": lambda s: [s.task.version.draft_id], "task": lambda s: [s.task_id],
        "month": lambda s: [_month(s.submission.submitted_at, "%Y-%m")],
        "year": lambda s: [_month(s.submission.submitted_at, "%Y")],
    }  # fmt: skip
    rows: dict = defaultdict(lambda: defaultdict(int))
    tasks: dict = defaultdict(set)
    for c in db.session.scalars(select(Comment)):
        if c.status != CommentStatus.ACTIVE or (point_id and c.point_id != point_id):
            continue
        if legislature_id and c.task.legislature_id != legislature_id:
            continue
        if start and c.created_at.astimezone(ZONE).date() < start:
            continue
        for key in comment_keys[by](c):
            rows[key]["comments"] += 1
            rows[key]["distinct"] += c.duplicate_of_id is None
            rows[key]["people"] += c.participants
            tasks[key].add(c.task_id)
    for s in db.session.scalars(select(Suggestion).where(Suggestion.submission_id.is_not(None))):
        if point_id and s.point_id != point_id:
            continue
        if legislature_id and s.task.legislature_id != legislature_id:
            continue
        for key in suggestion_keys[by](s):
            rows[key]["suggestions"] += 1
            outcome = s.outcome if s.outcome not in (None, "pending") else "pending"
            rows[key][outcome] += 1
            tasks[key].add(s.task_id)
    result = {}
    for key, row in rows.items():
        decided = row["adopted"] + row["partially_adopted"] + row["not_adopted"]
        rate = round((row["adopted"] + row["partially_adopted"]) / decided, 4) if decided else None
        result[str(key)] = {**{c: row[c] for c in COLUMNS[1:9]}, "tasks": len(tasks[key]),
                            "decided": decided, "rate": rate}  # fmt: skip
    return result


def from_api(w, by, headers, **args):
    response = w.client.get("/api/v1/stats", query_string={"by": by, **args}, headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return {str(r["key"]): {c: r[c] for c in COLUMNS} for r in body["rows"]}, body["total"]


def from_csv(w, by, **args):
    response = w.client.get("/stats/export.csv", query_string={"by": by, **args})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    return lines[1:-1]  # header and the total row off


def from_dashboard(w, by, **args):
    html = w.client.get("/stats/", query_string={"by": by, **args}).get_data(as_text=True)
    found = {}
    for key, body in re.findall(r'<tr data-key="([^"]*)">(.*?)</tr>', html, re.S):
        found[key] = dict(re.findall(r'data-col="(\w+)">([^<]*)</td>', body))
    return found


def shown(value) -> str:
    """How the dashboard prints a figure."""
    if isinstance(value, float):
        return f"{value * 100:.1f}%"
    return "—" if value is None else str(value)


@pytest.mark.parametrize("who", ["legislature", "manager"])
def test_every_grouping_agrees_with_the_rows_everywhere(w, app, who):
    user = getattr(w, who)
    point_id = w.point_a.id if who == "manager" else None
    headers = bearer(app, user)
    sign_in(w.client, user)
    with w.client.get("/stats/export.xlsx", query_string={"by": "all"}) as response:
        assert response.status_code == 200
        workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert len(workbook.worksheets) == len(GROUPINGS)
    for by, sheet in zip(GROUPINGS, workbook.worksheets, strict=True):
        want = expected(by, point_id)
        assert want, by
        api, _total = from_api(w, by, headers)
        assert api == want, by
        # The CSV and the XLSX list the rows in the API's order, with the same figures.
        api_rows = list(api.values())
        csv_rows = from_csv(w, by)
        xlsx_rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)][:-1]
        assert len(csv_rows) == len(xlsx_rows) == len(api_rows), by
        for api_row, csv_row, xlsx_row in zip(api_rows, csv_rows, xlsx_rows, strict=True):
            figures = [api_row[c] for c in COLUMNS]
            assert [float(v) if v else None for v in csv_row[1:]] == figures, by
            assert xlsx_row[1:] == figures, by
        dashboard = from_dashboard(w, by)
        assert dashboard == {k: {c: shown(v[c]) for c in COLUMNS} for k, v in want.items()}, by


def test_the_figures_a_point_is_judged_by(w, app):
    """Point A: 3 comments (2 distinct, a twin), 2 suggestions, 1 adopted, 1 partially."""
    api, total = from_api(w, "point", bearer(app, w.legislature))
    a = api[str(w.point_a.id)]
    assert (a["comments"], a["distinct"], a["suggestions"]) == (3, 2, 2)
    assert (a["adopted"], a["partially_adopted"], a["rate"]) == (1, 1, 1.0)
    b = api[str(w.point_b.id)]
    assert (b["not_adopted"], b["pending"], b["rate"]) == (1, 1, 0.0)
    assert total["suggestions"] == 4 and total["decided"] == 3 and total["rate"] == 0.6667
    # Units: the twin's collector is in unit A too, so it counts there.
    units, _ = from_api(w, "unit", bearer(app, w.legislature))
    assert units[str(w.unit_a.id)]["people"] == 1 + 1 + 4


def test_a_period_leaves_out_what_fell_outside_it(w, app):
    this_year = datetime.now(ZONE).date().replace(month=1, day=1)
    headers = bearer(app, w.legislature)
    api, _total = from_api(w, "point", headers, **{"from": this_year.isoformat()})
    assert api == expected("point", start=this_year)
    assert api[str(w.point_b.id)]["comments"] == 1
    years, _ = from_api(w, "year", headers)
    assert sum(r["comments"] for r in years.values()) == 5 and len(years) == 2


def test_each_sees_only_their_own(w, app):
    api, total = from_api(w, "point", bearer(app, w.collector))
    assert list(api) == [str(w.point_a.id)] and total["suggestions"] == 2
    outsider = make_user("staff.sc", Role.LEGISLATURE, legislature_id=w.other.id)
    db.session.commit()
    api, total = from_api(w, "point", bearer(app, outsider))
    assert api == {} and total["comments"] == 0
    # Staff may narrow to one of their points; asking for another legislature's point
    # yields nothing of it.
    api, _ = from_api(w, "collector", bearer(app, w.legislature), point_id=w.point_b.id)
    assert list(api) == [str(w.collector_b.id)]
    api, _ = from_api(w, "point", bearer(app, outsider), point_id=w.point_a.id)
    assert api == {}


def test_bad_parameters_name_the_field(w, app):
    headers = bearer(app, w.legislature)
    for args, field in (({"by": "galaxy"}, "by"), ({"from": "2026-13-01"}, "from"),
                        ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
                        ({"format": "pdf"}, "format"), ({"by": "all"}, "by"),
                        ({"colour": "red"}, "colour")):  # fmt: skip
        response = w.client.get("/api/v1/stats", query_string=args, headers=headers)
        assert response.status_code == 422, args
        assert field in response.get_json()["error"]["fields"], args
    sign_in(w.client, w.legislature)
    page = w.client.get("/stats/", query_string={"from": "2026-02-01", "to": "2026-01-01"})
    assert page.status_code == 200 and "is-invalid" in page.get_data(as_text=True)


@pytest.mark.parametrize("threads", [1, 3])
def test_a_shared_points_work_for_another_legislature_stays_with_it(w, app, threads):
    """Point B serves two legislatures: each one's staff count only their own tasks, in
    every grouping, however many threads the passes are split over."""
    from consult.consultations import services as tasks
    from consult.drafts import services as drafts
    from tests.drafts.texts import DOG_V2

    app.config["STATS_THREADS"] = threads
    staff_sc = make_user("staff.sc", Role.LEGISLATURE, legislature_id=w.other.id)
    draft = drafts.create_draft({"text": DOG_V2}, staff_sc)
    drafts.publish(draft.versions[0], staff_sc)
    task = tasks.create_task({
        "draft_version_id": draft.versions[0].id, "title": "四川省征求意见",
        "deadline": datetime.now(UTC) + timedelta(days=9), "point_ids": [w.point_b.id],
    }, staff_sc)  # fmt: skip
    merged = comments.record_comment(
        task, {"clause": "第四条", "body": "四川的意见。", "channel": "forum", "participants": 3},
        w.collector_b,
    )  # fmt: skip
    other = comments.record_comment(
        task, {"clause": None, "body": "另一条。", "channel": "phone"}, w.collector_b
    )
    review.set_aside(other, "other", "不属于本法规范围。", w.expert_b)
    suggestion = review.create_suggestion(task, {"comment_ids": [merged.id]}, w.expert_b)
    review.approve(suggestion, w.manager_b)
    review.submit(task, w.manager_b)
    outcomes.record(suggestion, {"outcome": Outcome.ADOPTED}, staff_sc)
    db.session.commit()
    for user in (w.legislature, staff_sc):
        headers = bearer(app, user)
        for by in GROUPINGS:
            want = expected(by, legislature_id=user.legislature_id)
            api, total = from_api(w, by, headers)
            assert api == want, (user.username, by)
        assert (total["tasks"], total["suggestions"]) == ((1, 1) if user is staff_sc else (1, 4))


def test_the_kept_sources_are_what_a_rebuild_makes(w, runner):
    """The sources written at submission and outcome equal those made again from scratch."""
    from consult.stats.models import SuggestionSource

    def kept():
        db.session.expire_all()
        return sorted(
            (r.suggestion_id, r.kind, r.key_id or 0, r.task_id, r.point_id, r.outcome or "")
            for r in db.session.scalars(select(SuggestionSource))
        )

    before = kept()
    assert {kind for _s, kind, *_rest in before} == {"unit", "collector", "expert"}
    assert "partially_adopted" in {row[-1] for row in before}  # outcomes followed
    result = runner.invoke(args=["consult", "stats", "rebuild"])
    assert result.exit_code == 0 and f"{len(before)} rows" in result.output
    assert kept() == before
