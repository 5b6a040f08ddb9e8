"""Review through the API: merge, move, unmerge, set aside, approve, submit — and account for
every comment exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from consult.comments import services as comments
from consult.comments.models import Comment, ReviewState
from consult.core.audit import AuditEvent
from consult.core.types import utcnow
from consult.extensions import db
from consult.review.models import Submission, Suggestion
from tests.conftest import bearer


@pytest.fixture
def w(world, app):
    """Point A's task with six more comments (two of them the same), the world's two
    suggestions undone so that review starts from nothing."""
    from consult.review import services as review

    for s in (world.suggestion, world.suggestion2):
        review.delete_suggestion(db.session.merge(s), world.expert)
    bodies = [
        "犬只登记应当网上办理。", "犬只登记应当网上办理！", "建议增加烈性犬目录。",
        "这和条例无关：小区停车难。", "养犬登记费用应当公开。", "建议延长登记期限。",
    ]  # fmt: skip
    world.more = [
        comments.record_comment(world.task, {"clause": "第四条第二款", "body": b}, world.collector)
        for b in bodies
    ]
    db.session.commit()
    world.client = app.test_client()
    world.expert_h, world.manager_h = bearer(app, world.expert), bearer(app, world.manager)
    world.b_h = bearer(app, world.manager_b)
    return world


def api(w, method, path, headers, json=None):
    response = w.client.open("/api/v1" + path, method=method, json=json, headers=headers)
    return response.status_code, response.get_json(silent=True)


def all_ids(w):
    return [w.comment.id, w.comment2.id, *(c.id for c in w.more)]


def test_a_submitted_report_accounts_for_every_comment_exactly_once(w):
    a, b, c, d, e, f = (x.id for x in w.more)
    status, first = api(w, "POST", f"/tasks/{w.task.id}/suggestions", w.expert_h,
                        {"comment_ids": [a, b, w.comment.id], "proposed_text": "可以网上办理登记。",
                         "rationale": "<p>方便群众</p><script>alert(1)</script>"})  # fmt: skip
    assert status == 201 and first["citation"] == "第四条第二款" and first["people"] == 3
    assert "<script>" not in first["rationale_html"] and "方便群众" in first["rationale_html"]
    status, second = api(w, "POST", f"/tasks/{w.task.id}/suggestions", w.expert_h,
                         {"comment_ids": [c, e, f], "clause": "第六条"})  # fmt: skip
    assert status == 201 and second["citation"] == "第六条"
    assert api(w, "POST", f"/comments/{d}/set-aside", w.expert_h, {"reason": "off_topic"})[0] == 200
    # comment2 is still unreviewed: the refusal names it
    for s in (first, second):
        assert api(w, "POST", f"/suggestions/{s['id']}/approve", w.manager_h)[0] == 200
    status, body = api(w, "POST", f"/tasks/{w.task.id}/submission", w.manager_h, {})
    assert status == 422 and body["error"]["fields"]["comments"] == [f"#{w.comment2.id} 总体意见"]
    api(
        w,
        "PATCH",
        f"/suggestions/{second['id']}",
        w.expert_h,
        {"comment_ids": [c, e, f, w.comment2.id]},
    )  # approval is undone by the change
    status, body = api(w, "POST", f"/tasks/{w.task.id}/submission", w.manager_h, {})
    assert status == 422 and body["error"]["fields"]["suggestions"] == [f"#{second['id']}"]
    api(w, "POST", f"/suggestions/{second['id']}/approve", w.manager_h)
    status, submitted = api(w, "POST", f"/tasks/{w.task.id}/submission", w.manager_h, {})
    assert status == 201 and submitted["late"] is False and submitted["tracking_number"]
    snapshot = db.session.get(Submission, submitted["id"]).snapshot
    merged = [i for s in snapshot["suggestions"] for i in s["comment_ids"]]
    set_aside = [x["id"] for x in snapshot["set_aside"]]
    assert sorted(merged + set_aside) == sorted(all_ids(w))
    assert len(merged + set_aside) == len(set(merged + set_aside))
    assert [s["citation"] for s in snapshot["suggestions"]] == ["第四条第二款", "第六条"]
    # frozen: nothing of the review changes any more
    change = {"proposed_text": "x"}
    assert api(w, "PATCH", f"/suggestions/{first['id']}", w.expert_h, change)[0] == 409
    assert api(w, "POST", f"/comments/{d}/set-aside", w.expert_h, {"reason": "unclear"})[0] == 409
    assert api(w, "POST", f"/tasks/{w.task.id}/submission", w.manager_h, {})[0] == 409


def test_moving_and_unmerging_comments_keeps_each_in_one_place_with_history(w):
    a, b, *_ = (x.id for x in w.more)
    _, one = api(w, "POST", f"/tasks/{w.task.id}/suggestions", w.expert_h, {"comment_ids": [a, b]})
    _, two = api(w, "POST", f"/tasks/{w.task.id}/suggestions", w.expert_h, {"comment_ids": [b]})
    assert two["comment_ids"] == [b]
    _, one = api(w, "GET", f"/tasks/{w.task.id}/suggestions", w.expert_h)
    assert {s["id"]: s["comment_ids"] for s in one["items"]}[two["id"] - 1] == [a]
    assert api(w, "DELETE", f"/suggestions/{two['id']}", w.expert_h)[0] == 204
    comment = db.session.get(Comment, b)
    db.session.refresh(comment)
    assert comment.review_state == ReviewState.NEW and comment.suggestion_id is None
    assert db.session.get(Suggestion, two["id"]) is None
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("suggestion.%"))
        .order_by(AuditEvent.id)
    ).all()  # fmt: skip
    deleted = [e for e in events if e.action == "suggestion.delete"][-1]
    assert deleted.before["comment_ids"] == [b] and deleted.actor_id == w.expert.id


def test_setting_aside_needs_a_reason_and_other_needs_words(w):
    d = w.more[3].id
    status, body = api(w, "POST", f"/comments/{d}/set-aside", w.expert_h, {"reason": "bored"})
    assert status == 422 and "reason" in body["error"]["fields"]
    status, body = api(w, "POST", f"/comments/{d}/set-aside", w.expert_h, {"reason": "other"})
    assert status == 422 and "note" in body["error"]["fields"]
    status, _ = api(w, "POST", f"/comments/{d}/set-aside", w.expert_h,
                    {"reason": "other", "note": "重复提交"})  # fmt: skip
    assert status == 200


def test_a_late_report_needs_an_explicit_override(w):
    for c in [w.comment, w.comment2, *w.more]:
        api(w, "POST", f"/comments/{c.id}/set-aside", w.expert_h, {"reason": "unclear"})
    _, s = api(w, "POST", f"/tasks/{w.task.id}/suggestions", w.expert_h,
               {"comment_ids": [w.more[0].id]})  # fmt: skip
    api(w, "POST", f"/suggestions/{s['id']}/approve", w.manager_h)
    task = db.session.merge(w.task)
    task.deadline = utcnow() - timedelta(hours=1)
    db.session.commit()
    status, body = api(w, "POST", f"/tasks/{w.task.id}/submission", w.manager_h, {})
    assert status == 422 and "override_reason" in body["error"]["fields"]
    status, body = api(w, "POST", f"/tasks/{w.task.id}/submission", w.manager_h,
                       {"override_reason": "座谈会推迟到截止日后一天"})  # fmt: skip
    assert status == 201 and body["late"] and body["override_reason"] == "座谈会推迟到截止日后一天"


def test_another_point_sees_and_touches_nothing_of_this_review(w):
    _, s = api(w, "POST", f"/tasks/{w.task.id}/suggestions", w.expert_h,
               {"comment_ids": [w.more[0].id]})  # fmt: skip
    assert api(w, "GET", f"/tasks/{w.task.id}/suggestions", w.b_h)[1]["items"] == []
    assert api(w, "PATCH", f"/suggestions/{s['id']}", w.b_h, {"proposed_text": "x"})[0] == 404
    assert api(w, "DELETE", f"/suggestions/{s['id']}", w.b_h)[0] == 404
    assert api(w, "POST", f"/comments/{w.more[1].id}/set-aside", w.b_h,
               {"reason": "unclear"})[0] == 404  # fmt: skip
    status, body = api(w, "POST", f"/tasks/{w.task.id}/suggestions", w.b_h,
                       {"comment_ids": [w.more[1].id]})  # fmt: skip
    assert status == 422 and str(w.more[1].id) in body["error"]["fields"]["comment_ids"][0]
    groups = api(w, "GET", f"/tasks/{w.task.id}/duplicates", w.b_h)[1]
    assert groups["raw"] == 1 and groups["groups"] == []  # only B's own comment


def test_duplicates_show_raw_and_distinct_counts(w):
    status, body = api(w, "GET", f"/tasks/{w.task.id}/duplicates", w.expert_h)
    assert status == 200 and body["raw"] == 8 and body["distinct"] == 7
    assert body["groups"] == [{"ids": [w.more[0].id, w.more[1].id], "size": 2, "exact": True}]


def test_withdrawing_a_merged_comment_takes_it_out_of_its_suggestion(w):
    a, b, *_ = (x.id for x in w.more)
    _, s = api(w, "POST", f"/tasks/{w.task.id}/suggestions", w.expert_h, {"comment_ids": [a, b]})
    api(w, "POST", f"/suggestions/{s['id']}/approve", w.manager_h)
    collector = bearer(w.client.application, w.collector)
    assert api(w, "DELETE", f"/comments/{a}", collector)[0] == 200
    _, listed = api(w, "GET", f"/tasks/{w.task.id}/suggestions", w.expert_h)
    (after,) = [x for x in listed["items"] if x["id"] == s["id"]]
    assert after["comment_ids"] == [b] and after["status"] == "draft"
