"""One search suite, run on each backend: Whoosh always, PostgreSQL when the tests run on it.

Everything goes through the product: data is written by the services (so the outbox fills
and is applied after each commit), found by ``services.search`` as a user, and read back
through the page and the API.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from consult.comments import services as comments
from consult.comments.models import Comment
from consult.extensions import db
from consult.search.indexer import rebuild, state_of, verify
from consult.search.models import SearchOutbox
from consult.search.services import search
from tests.conftest import SEARCH_BACKENDS, bearer, build_world, sign_in


@pytest.fixture(params=SEARCH_BACKENDS)
def w(request, make_app):
    app = make_app(SEARCH_BACKEND=request.param)
    with app.test_request_context():  # results carry links
        w = build_world()
        w.app = app
        record = [
            ("第四条第二款", "建议规范电动自行车充电管理，楼道里不得充电。", "forum", 1),
            ("第四条第二款", "電動自行車應當集中充電，養犬登記也應當網上辦理。", "visit", 5),
            ("第五条", "养犬登记应当免费<script>alert(1)</script>", "online", -31),
        ]  # fmt: skip
        w.found = [
            comments.record_comment(
                w.task,
                {
                    "clause": clause,
                    "body": body,
                    "channel": channel,
                    "collected_on": date(2026, 11, 1) + timedelta(days=day - 1),
                },
                w.collector,
            )
            for clause, body, channel, day in record
        ]
        w.other_point = comments.record_comment(
            w.task,
            {"clause": "第五条", "body": "电动自行车充电桩要多建。", "channel": "forum"},
            w.collector_b,
        )
        db.session.commit()
        yield w


def ids(found, kind="comment"):
    return sorted(item.id for item in found.items if item.kind == kind)


def test_words_phrases_or_not_and_traditional(w):
    mine = w.collector
    a, b, _c = (x.id for x in w.found)
    assert ids(search(mine, {"q": "电动自行车"})) == [a, b]
    assert ids(search(mine, {"q": "電動自行車"})) == [a, b]  # traditional finds simplified
    assert ids(search(mine, {"q": '"自行车充电"'})) == [a]
    assert ids(search(mine, {"q": "集中 充电"})) == [b]
    assert ids(search(mine, {"q": "楼道 OR 網上"})) == [a, b]
    assert ids(search(mine, {"q": "充电 -楼道"})) == [b]
    assert ids(search(mine, {"q": "充电 NOT 楼道"})) == [b]
    assert ids(search(mine, {"q": '"充电自行车"'})) == []  # the words, but not in that order


def test_results_totals_and_facets_never_show_another_points_comments(w):
    a_side = search(w.collector, {"q": "充电", "kind": "comment"})
    assert ids(a_side) == [w.found[0].id, w.found[1].id] and a_side.total == 2
    assert a_side.facets["channel"] == {"forum": 1, "visit": 1}
    b_side = search(w.collector_b, {"q": "充电", "kind": "comment"})
    assert ids(b_side) == [w.other_point.id] and b_side.total == 1
    assert b_side.facets["channel"] == {"forum": 1} and b_side.facets["kind"] == {"comment": 1}
    for outsider in (None, w.legislature, w.admin):
        found = search(outsider, {"q": "充电"})
        assert found.total == 0 and found.items == [] and "comment" not in found.facets["kind"]


def test_unpublished_versions_are_found_only_by_their_legislature(w):
    v2 = w.draft.versions[1]  # pending
    pending_clauses = {c.id for c in v2.clauses}
    staff = search(w.legislature, {"q": "养犬", "kind": "clause", "per_page": 100})
    assert pending_clauses & set(ids(staff, "clause"))
    for user in (None, w.collector, w.admin):
        found = search(user, {"q": "养犬", "kind": "clause", "per_page": 100})
        assert not pending_clauses & set(ids(found, "clause"))
        assert found.total == len(found.items) < staff.total


def test_publishing_a_version_makes_its_clauses_public(w):
    from consult.drafts import services as drafts

    v2 = w.draft.versions[1]
    before = search(None, {"q": "养犬", "kind": "clause", "draft_id": w.draft.id}).total
    drafts.publish(v2, w.legislature)
    db.session.commit()
    after = search(None, {"q": "养犬", "kind": "clause", "draft_id": w.draft.id}).total
    assert after > before


def test_a_citation_jumps_to_the_clause(w):
    found = search(None, {"q": "第4条"})
    assert {j.draft_id for j in found.jumps} == {w.draft.id, w.draft2.id}
    assert all(j.citation == "第四条" and "#c-" in j.url for j in found.jumps)
    only = search(None, {"q": "第四条", "draft_id": w.draft2.id})
    assert [j.draft_id for j in only.jumps] == [w.draft2.id]
    assert search(None, {"q": "第九百条"}).jumps == []


def test_filters_dates_order_and_pages(w):
    mine = w.collector
    a, b, c = (x.id for x in w.found)
    assert ids(search(mine, {"q": "充电", "channel": "visit"})) == [b]
    november = {"from": date(2026, 11, 1), "to": date(2026, 11, 10)}
    assert ids(search(mine, {"q": "登记"} | november)) == [b]
    assert ids(search(mine, {"q": "登记", "to": date(2026, 10, 31)})) == [c]
    assert ids(search(mine, {"q": "充电", "unit_id": w.unit_b.id})) == []
    clause = w.found[0].clause_id
    assert ids(search(mine, {"q": "充电", "clause_id": clause})) == [a, b]
    newest = search(mine, {"kind": "comment", "sort": "newest", "task_id": w.task.id,
                           "per_page": 50})  # fmt: skip
    days = [item.day for item in newest.items]
    assert days == sorted(days, reverse=True) and newest.total == len(newest.items) >= 5
    first = search(mine, {"q": "充电 OR 登记", "kind": "comment", "per_page": 2})
    second = search(mine, {"q": "充电 OR 登记", "kind": "comment", "per_page": 2, "page": 2})
    assert first.total == second.total == 4
    assert len(first.items) == 2 and len(second.items) == 2
    assert not {i.id for i in first.items} & {i.id for i in second.items}
    beyond = search(mine, {"q": "充电 OR 登记", "kind": "comment", "per_page": 2, "page": 9})
    assert beyond.items == [] and beyond.total == 4  # the pager still knows the last page


def test_snippets_mark_the_words_and_escape_the_rest(w):
    (item,) = search(w.collector, {"q": "免费 登记", "kind": "comment"}).items
    assert '<mark class="hit">免费</mark>' in str(item.snippet)
    assert "<script>" not in str(item.snippet) and "&lt;script&gt;" in str(item.snippet)
    (trad,) = search(w.collector, {"q": "集中", "kind": "comment"}).items
    assert '<mark class="hit">集中</mark>' in str(trad.snippet)
    assert '<mark class="hit">電動自行車</mark>' in str(search(
        w.collector, {"q": "电动自行车 集中"}).items[0].snippet)  # fmt: skip


def test_changes_reach_the_index_and_rollbacks_do_not(w):
    comment = w.found[0]
    # Searched before the change: the process's searcher must not keep the old words.
    assert ids(search(w.collector, {"q": "楼道"})) == [comment.id]
    comments.update_comment(comment, {"body": "停车位太少。"}, w.collector)
    db.session.commit()
    assert ids(search(w.collector, {"q": "停车位"})) == [comment.id]
    assert search(w.collector, {"q": "楼道"}).total == 0
    comments.withdraw_comment(w.found[1], w.collector, "重复")
    db.session.commit()
    assert search(w.collector, {"q": "集中", "status": "withdrawn"}).total == 1
    comments.update_comment(w.found[2], {"body": "回滚的内容"}, w.collector)
    db.session.flush()
    db.session.rollback()
    assert search(w.collector, {"q": "回滚"}).total == 0
    assert db.session.scalar(select(func.count()).select_from(SearchOutbox)) == 0


def test_verify_finds_and_repairs_what_the_index_missed(w):
    state = state_of()
    assert verify(state).repaired == 0
    lost = w.found[0]
    with Session(db.engine) as session, state.backend.writer(session, wait=True) as writer:
        writer.delete([f"comment:{lost.id}"])  # a segment lost in a power cut
        session.commit()
    # A change written behind the ORM's back leaves no outbox row: the index is stale.
    db.session.execute(update(Comment).where(Comment.id == w.found[1].id).values(body="噪声扰民"))
    db.session.commit()
    assert search(w.collector, {"q": "噪声"}).total == 0
    report = verify(state, repair=False)
    assert report.missing == [f"comment:{lost.id}"]
    assert report.stale == [f"comment:{w.found[1].id}"]
    assert verify(state).repaired == 2
    assert verify(state).repaired == 0
    assert ids(search(w.collector, {"q": "噪声"})) == [w.found[1].id]
    assert lost.id in ids(search(w.collector, {"q": "楼道"}))


def test_rebuild_indexes_everything_again(w):
    state = state_of()
    before = state.backend.count(db.session)
    assert rebuild(state) == before
    assert state.backend.count(db.session) == before and verify(state).repaired == 0
    assert ids(search(w.collector, {"q": "电动自行车"})) == [w.found[0].id, w.found[1].id]


def test_a_rebuild_lays_each_points_comments_side_by_side(w):
    """The index's layout that keeps a search within one point fast (see all_documents)."""
    from consult.search.indexer import all_documents

    late = comments.record_comment(
        w.task, {"clause": "第五条", "body": "北碚又一条意见。", "channel": "forum"}, w.collector
    )
    db.session.commit()
    assert late.id > w.other_point.id  # recorded after point B's comment
    keys = [d["key"] for d in all_documents(db.session) if d["kind"] == "comment"]
    points = [int(d["point_id"]) for d in all_documents(db.session) if d["kind"] == "comment"]
    assert points == sorted(points) and len(set(points)) == 2  # one stretch per point
    assert keys.index(f"comment:{late.id}") < keys.index(f"comment:{w.other_point.id}")
    state = state_of()
    assert rebuild(state) == state.backend.count(db.session) and verify(state).repaired == 0


def test_the_page_shows_results_facets_and_errors(w):
    client = sign_in(w.app.test_client(), w.collector)
    html = client.get("/search/?q=电动自行车").get_data(as_text=True)
    assert "建议规范" in html and '<mark class="hit">' in html
    assert "电动自行车充电桩要多建" not in html  # point B's
    html = client.get("/search/?q=免费").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    bad = client.get("/search/?q=充电&from=2026-12-01&to=2026-11-01")
    assert bad.status_code == 422 and "开始日期晚于结束日期" in bad.get_data(as_text=True)
    jump = client.get("/search/?q=第四条第二款").get_data(as_text=True)
    assert "转到条款" in jump and f"/drafts/{w.draft.id}/v/1#c-" in jump
    anonymous = w.app.test_client().get("/search/?q=充电").get_data(as_text=True)
    assert "建议规范" not in anonymous


def test_the_api_answers_as_the_page_does(w):
    headers = bearer(w.app, w.collector)
    client = w.app.test_client()
    body = client.get("/api/v1/search?q=充电&kind=comment", headers=headers).get_json()
    assert body["total"] == 2 and {i["id"] for i in body["items"]} == {
        w.found[0].id, w.found[1].id,
    }  # fmt: skip
    assert body["facets"]["channel"] == {"forum": 1, "visit": 1}
    other = client.get("/api/v1/search?q=充电", headers=bearer(w.app, w.collector_b)).get_json()
    assert {i["id"] for i in other["items"]} == {w.other_point.id}
    wrong = client.get("/api/v1/search?q=x&colour=red&page=0", headers=headers)
    assert wrong.status_code == 422
    assert set(wrong.get_json()["error"]["fields"]) == {"colour", "page"}


CRASH = """
import json, os, signal, sys
from consult import create_app
from consult.comments import services as comments
from consult.consultations.models import ConsultationTask
from consult.extensions import db
from consult.org.models import User
from consult.search.indexer import state_of

config, task_id, user_id = json.loads(sys.argv[1])
app = create_app(config)
with app.test_request_context():
    # Die the moment the commit returns, before this process can write the index.
    state_of(app).notify = lambda: os.kill(os.getpid(), signal.SIGKILL)
    task, user = db.session.get(ConsultationTask, task_id), db.session.get(User, user_id)
    data = {"clause": "第五条", "body": "犬只粪便清理难", "channel": "visit"}
    comments.record_comment(task, data, user)
    db.session.commit()
print("not killed")
"""


def test_a_worker_killed_between_commit_and_index_write_is_repaired_by_verify(w):
    import json
    import subprocess
    import sys

    config = {
        "DATABASE_URL": w.app.config["DATABASE_URL"],
        "INSTANCE_PATH": w.app.instance_path,
        "SECRET_KEY": "x" * 32,
        "SEARCH_BACKEND": w.app.config["SEARCH_BACKEND"],
        "SEARCH_APPLY": "background",
    }
    done = subprocess.run(
        [sys.executable, "-c", CRASH, json.dumps([config, w.task.id, w.collector.id])],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == -9, done.stderr[-2000:]
    stored = db.session.scalar(select(Comment).where(Comment.body == "犬只粪便清理难"))
    assert stored is not None  # the database has it …
    assert search(w.collector, {"q": "粪便"}).total == 0  # … the index does not
    assert db.session.scalar(select(func.count()).select_from(SearchOutbox)) >= 1
    result = w.app.test_cli_runner().invoke(args=["consult", "search", "verify"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["replayed"] >= 1 and report["missing"] == report["stale"] == 0
    assert ids(search(w.collector, {"q": "粪便"})) == [stored.id]
    assert db.session.scalar(select(func.count()).select_from(SearchOutbox)) == 0


def test_suggestions_reach_the_legislature_only_when_the_report_is_submitted(w):
    from consult.review import services as review

    query = {"q": "十五日", "kind": "suggestion"}
    assert ids(search(w.expert, query), "suggestion") == [w.suggestion2.id]
    for outsider in (w.legislature, w.manager_b, None):
        assert search(outsider, query).total == 0
    for comment in w.found:
        review.set_aside(comment, "unclear", None, w.expert)
    for suggestion in (w.suggestion, w.suggestion2):
        review.approve(suggestion, w.manager)
    review.submit(w.task, w.manager)
    db.session.commit()
    assert ids(search(w.legislature, query), "suggestion") == [w.suggestion2.id]
    assert search(w.manager_b, query).total == 0


def test_a_stopped_background_applier_ends_and_later_changes_apply_at_once(w):
    from consult.comments import services as comments

    state = w.app.extensions["consult_search"]
    w.app.config["SEARCH_APPLY"] = "background"
    first = comments.record_comment(
        w.task, {"clause": None, "body": "后台线程索引的意见", "channel": "visit"}, w.collector
    )
    db.session.commit()
    thread = state._thread
    assert thread is not None and thread.is_alive()
    state.stop()  # applies what is left, then the thread ends
    assert not thread.is_alive()
    assert ids(search(w.collector, {"q": "后台线程"})) == [first.id]
    second = comments.record_comment(
        w.task, {"clause": None, "body": "停止之后的意见", "channel": "visit"}, w.collector
    )
    db.session.commit()
    assert ids(search(w.collector, {"q": "停止之后"})) == [second.id]  # applied inline


def test_an_audience_of_no_one_finds_nothing(w):
    # audiences=None is no restriction (the index's own checks); [] is nobody's eyes.
    from consult.search.query import parse

    backend = state_of().backend
    assert backend.search(parse("充电"), session=db.session, audiences=None).total >= 3
    for text in ("充电", '"自行车充电"', "充电 OR 养犬", "充电 -楼道", ""):
        found = backend.search(parse(text), session=db.session, audiences=[], facets=True)
        assert (found.total, found.hits) == (0, []), text
        assert found.facets and not any(found.facets.values()), text
