"""Outcomes: recorded by the task's legislature on submitted suggestions, corrected with
history, landing in a later version, and read back by the point."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.drafts import services as drafts
from consult.extensions import db
from consult.outcomes.models import SuggestionOutcome
from consult.review import services as review
from consult.search.services import search
from tests.conftest import bearer


@pytest.fixture
def w(world, app):
    for suggestion in (world.suggestion, world.suggestion2):
        review.approve(suggestion, world.manager)
    review.submit(world.task, world.manager)
    # The draft's second reading, published: where suggestions can land.
    drafts.publish(world.draft.versions[1], world.legislature)
    db.session.commit()
    world.client = app.test_client()
    world.staff_h = bearer(app, world.legislature)
    return world


def put(w, suggestion, body, headers=None):
    response = w.client.put(f"/api/v1/suggestions/{suggestion.id}/outcome", json=body,
                            headers=headers or w.staff_h)  # fmt: skip
    return response.status_code, response.get_json()


def test_recording_and_correcting_keeps_history_and_lands_in_a_later_version(w):
    status, body = put(w, w.suggestion2, {"outcome": "partially_adopted"})
    assert status == 422 and "explanation" in body["error"]["fields"]
    partly = {"outcome": "partially_adopted", "explanation": "期限改为二十日。",
              "landed_in": "第4条"}  # fmt: skip
    status, body = put(w, w.suggestion2, partly)
    assert status == 200 and body["landed_in"] == "第四条" and body["revision"] == 1
    status, body = put(w, w.suggestion2, {"outcome": "adopted", "explanation": "全部采纳。"})
    assert status == 200 and body["outcome"] == "adopted" and body["revision"] == 2
    history = db.session.scalars(select(SuggestionOutcome).order_by(SuggestionOutcome.id)).all()
    assert [h.outcome.value for h in history] == ["partially_adopted", "adopted"]
    status, body = put(w, w.suggestion2, {"outcome": "adopted", "landed_in": 999999})
    assert status == 422 and "landed_in" in body["error"]["fields"]
    listed = w.client.get(f"/api/v1/tasks/{w.task.id}/outcomes",
                          headers=bearer(w.client.application, w.collector)).get_json()  # fmt: skip
    assert {i["suggestion_id"]: i["outcome"] for i in listed["items"]} == {
        w.suggestion.id: None, w.suggestion2.id: "adopted",
    }  # fmt: skip


def test_only_the_tasks_legislature_records_and_the_outcome_is_searchable(w, app):
    status, _ = put(w, w.suggestion, {"outcome": "adopted"}, bearer(app, w.manager))
    assert status == 403
    put(w, w.suggestion2, {"outcome": "not_adopted", "explanation": "与上位法不一致。"})
    with app.test_request_context():
        found = search(w.legislature, {"kind": "suggestion", "outcome": "not_adopted"})
    assert [item.id for item in found.items] == [w.suggestion2.id]


def test_the_outcome_list_reads_every_outcome_in_one_query(w, app):
    """With or without a recorded outcome, no suggestion costs a query of its own."""
    from sqlalchemy import event

    assert put(w, w.suggestion2, {"outcome": "adopted", "explanation": "采纳。"})[0] == 200
    headers = bearer(app, w.legislature)
    reads: list[str] = []

    def count(conn, cursor, statement, *args):
        if "FROM suggestion_outcomes" in statement:
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        listed = w.client.get(f"/api/v1/tasks/{w.task.id}/outcomes", headers=headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    outcomes = {i["suggestion_id"]: i["outcome"] for i in listed.get_json()["items"]}
    assert outcomes == {w.suggestion.id: None, w.suggestion2.id: "adopted"}
    assert len(reads) == 1, reads
