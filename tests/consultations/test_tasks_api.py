"""Tasks and comments through the API: opening, recording, deadlines, isolation, history."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from consult.comments.models import Comment, CommentRevision, CommentStatus
from consult.consultations.models import ConsultationTask, TaskState
from consult.core.types import utcnow
from consult.extensions import db
from consult.org.models import Role
from tests.conftest import bearer, make_user


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def task_body(w, **changes):
    body = {
        "draft_version_id": w.draft.versions[0].id,
        "title": "征求意见",
        "deadline": (utcnow() + timedelta(days=10)).isoformat(),
        "point_ids": [w.point_a.id],
        "instructions": "<p>请在十日内反馈。</p><img src=x onerror=alert(1)>",
    }
    return body | changes


def test_open_a_task(client, world):
    headers = bearer(None, world.legislature)
    response = client.post("/api/v1/tasks", json=task_body(world), headers=headers)
    assert response.status_code == 201
    task = response.get_json()
    assert task["state"] == "open" and task["accepts_comments"] is True
    assert task["instructions_html"] == "<p>请在十日内反馈。</p>"  # no image, no handler


def test_opening_a_task_validates_every_field(client, world):
    headers = bearer(None, world.legislature)
    before = count(ConsultationTask)
    cases = [
        ({"deadline": (utcnow() - timedelta(hours=1)).isoformat()}, "deadline"),
        ({"deadline": "2026-13-40T00:00:00"}, "deadline"),
        ({"deadline": "2030-01-01T12:00:00"}, "deadline"),  # no time zone
        ({"point_ids": []}, "point_ids"),
        ({"point_ids": [9999]}, "point_ids"),
        ({"draft_version_id": world.draft.versions[1].id}, "draft_version_id"),  # unpublished
        ({"colour": "blue"}, "colour"),
    ]
    for changes, field in cases:
        response = client.post("/api/v1/tasks", json=task_body(world, **changes), headers=headers)
        assert response.status_code == 422, changes
        assert field in response.get_json()["error"]["fields"], changes
    outsider = make_user("sichuan", Role.LEGISLATURE, legislature_id=world.other.id)
    db.session.commit()
    response = client.post("/api/v1/tasks", json=task_body(world), headers=bearer(None, outsider))
    assert response.status_code == 422  # not a draft of their legislature
    assert count(ConsultationTask) == before


def test_who_sees_which_task(client, world):
    def titles(user):
        page = client.get("/api/v1/tasks", headers=bearer(None, user)).get_json()
        return [t["id"] for t in page["items"]]

    assert titles(world.legislature) == [world.task.id]
    assert titles(world.manager) == [world.task.id]
    assert titles(world.collector) == [world.task.id]  # handed to the collector's unit
    unhanded = make_user("caiji.x", Role.COLLECTOR, unit_id=world.unit_a.id)
    other_unit = world.unit_a.point.units  # same point, but check an unassigned unit
    assert other_unit
    db.session.commit()
    assert titles(unhanded) == [world.task.id]  # the whole unit has it
    outsider = make_user("sichuan", Role.LEGISLATURE, legislature_id=world.other.id)
    db.session.commit()
    assert titles(outsider) == []
    assert (
        client.get(f"/api/v1/tasks/{world.task.id}", headers=bearer(None, outsider)).status_code
        == 404
    )


def test_record_comments_by_citation_id_or_general(client, world):
    headers = bearer(None, world.collector)
    url = f"/api/v1/tasks/{world.task.id}/comments"
    by_cite = client.post(
        url, json={"clause": "第4条第2款第3项", "body": "照片要求应放宽。"}, headers=headers
    )
    assert by_cite.status_code == 201
    assert by_cite.get_json()["clause"] == "第四条第二款第（三）项"
    assert by_cite.get_json()["unit_id"] == world.unit_a.id
    clause_id = by_cite.get_json()["clause_id"]
    body = {"clause": clause_id, "body": "同意。", "channel": "visit", "participants": 12,
            "collected_on": "2026-11-20"}  # fmt: skip
    by_id = client.post(url, json=body, headers=headers)
    assert by_id.status_code == 201 and by_id.get_json()["participants"] == 12
    general = client.post(url, json={"clause": None, "body": "总体赞成。"}, headers=headers)
    assert general.status_code == 201 and general.get_json()["clause"] is None
    bad = client.post(url, json={"clause": "第四条第五款", "body": "x"}, headers=headers)
    assert bad.status_code == 422
    assert "第四条只有二款" in bad.get_json()["error"]["fields"]["clause"][0]
    for body, field in [
        ({"body": ""}, "body"),
        ({"body": "x", "participants": 0}, "participants"),
        ({"body": "x", "channel": "pigeon"}, "channel"),
        ({"body": "x" * 5001}, "body"),
        ({"body": "x", "collected_on": "yesterday"}, "collected_on"),
        ({"body": "x", "respondent_name": "张三"}, "respondent_name"),  # point does not collect
    ]:
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 422 and field in response.get_json()["error"]["fields"]


def test_after_the_deadline_nothing_is_stored(client, world):
    world.task.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    before = count(Comment)
    response = client.post(
        f"/api/v1/tasks/{world.task.id}/comments",
        json={"body": "迟到的意见"},
        headers=bearer(None, world.collector),
    )
    assert response.status_code == 409
    assert "截止" in response.get_json()["error"]["message"]
    assert count(Comment) == before
    db.session.expire_all()
    assert world.task.state == TaskState.CLOSED  # closed automatically at the deadline


def test_points_never_see_each_others_comments(client, world):
    url = f"/api/v1/tasks/{world.task.id}/comments"
    mine = client.get(url, headers=bearer(None, world.collector)).get_json()
    assert sorted(c["id"] for c in mine["items"]) == [world.comment.id, world.comment2.id]
    theirs = client.get(url, headers=bearer(None, world.collector_b)).get_json()
    assert [c["id"] for c in theirs["items"]] == [world.comment_b.id]
    assert mine["total"] == 2 and theirs["total"] == 1
    headers_b = bearer(None, world.collector_b)
    assert (
        client.patch(
            f"/api/v1/comments/{world.comment.id}", json={"body": "x"}, headers=headers_b
        ).status_code
        == 404
    )
    assert (
        client.delete(f"/api/v1/comments/{world.comment.id}", headers=headers_b).status_code == 404
    )
    for user in (world.legislature, world.admin):
        assert client.get(url, headers=bearer(None, user)).status_code == 403


def test_edits_and_withdrawals_keep_history(client, world):
    headers = bearer(None, world.collector)
    url = f"/api/v1/comments/{world.comment.id}"
    edited = client.patch(url, json={"body": "登记期限三十日太长，建议十五日。"}, headers=headers)
    assert edited.status_code == 200 and edited.get_json()["revision"] == 2
    assert client.patch(url, json={"participants": -1}, headers=headers).status_code == 422
    withdrawn = client.delete(url, headers=headers)
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"
    revisions = db.session.scalars(
        select(CommentRevision).where(CommentRevision.comment_id == world.comment.id)
        .order_by(CommentRevision.number)
    ).all()  # fmt: skip
    assert [r.action for r in revisions] == ["create", "edit", "withdraw"]
    assert revisions[0].data["body"] == "登记期限三十日太长。"
    db.session.expire_all()
    assert db.session.get(Comment, world.comment.id).status == CommentStatus.WITHDRAWN
    # a withdrawn comment can no longer change, and disappears from the default list
    assert client.patch(url, json={"body": "again"}, headers=headers).status_code == 403
    listing = client.get(f"/api/v1/tasks/{world.task.id}/comments", headers=headers).get_json()
    assert [c["id"] for c in listing["items"]] == [world.comment2.id]


def test_only_the_recorder_or_manager_may_change(client, world):
    other_collector = make_user("caiji.y", Role.COLLECTOR, unit_id=world.unit_a.id)
    db.session.commit()
    url = f"/api/v1/comments/{world.comment.id}"
    assert (
        client.patch(url, json={"body": "x"}, headers=bearer(None, other_collector)).status_code
        == 403
    )
    assert (
        client.patch(
            url, json={"body": "经理修改"}, headers=bearer(None, world.manager)
        ).status_code
        == 200
    )


def test_filters(client, world):
    headers = bearer(None, world.manager)
    url = f"/api/v1/tasks/{world.task.id}/comments"
    for body in ({"body": "甲", "channel": "phone", "collected_on": "2026-11-01"},
                 {"body": "乙", "channel": "letter", "collected_on": "2026-11-15"}):  # fmt: skip
        assert client.post(url, json=body, headers=headers).status_code == 201

    def bodies(query):
        return sorted(
            c["body"] for c in client.get(url + query, headers=headers).get_json()["items"]
        )

    assert bodies("?channel=phone") == ["甲"]
    assert bodies("?from=2026-11-10") == ["乙"]
    assert bodies("?to=2026-11-10") == ["甲"]
    assert bodies(f"?unit_id={world.unit_a.id}") == ["总体赞成。", "登记期限三十日太长。"]
    assert bodies("?mine=1") == ["乙", "甲"]
    assert bodies("?clause=第四条第二款") == ["登记期限三十日太长。"]
    assert bodies("?clause=general") == ["乙", "总体赞成。", "甲"]
    bad = client.get(url + "?channel=x&from=soon", headers=headers)
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"channel", "from"}


def test_manager_hands_out_through_the_api(client, world):
    headers = bearer(None, world.manager)
    url = f"/api/v1/tasks/{world.task.id}/assignments"
    newcomer = make_user("caiji.new", Role.COLLECTOR, unit_id=world.unit_a.id)
    db.session.commit()
    response = client.post(url, json={"user_ids": [newcomer.id]}, headers=headers)
    assert response.status_code == 201 and response.get_json()[0]["user_id"] == newcomer.id
    again = client.post(url, json={"user_ids": [newcomer.id]}, headers=headers)
    assert again.status_code == 201 and again.get_json() == []  # nothing twice
    foreign = client.post(url, json={"user_ids": [world.collector_b.id]}, headers=headers)
    assert foreign.status_code == 422 and "user_ids" in foreign.get_json()["error"]["fields"]
    unit_b = client.post(url, json={"unit_ids": [world.unit_b.id]}, headers=headers)
    assert unit_b.status_code == 422


def test_names_and_phones_only_where_the_point_collects_them(client, world):
    admin = bearer(None, world.admin)
    response = client.patch(
        f"/api/v1/points/{world.point_a.id}", json={"collects_personal_data": True}, headers=admin
    )
    assert response.status_code == 200 and response.get_json()["collects_personal_data"] is True
    url = f"/api/v1/tasks/{world.task.id}/comments"
    body = {"body": "甲", "respondent_name": "张三", "respondent_phone": "13800000000"}
    created = client.post(url, json=body, headers=bearer(None, world.collector))
    assert created.status_code == 201 and created.get_json()["respondent_name"] == "张三"
    # point B still does not collect them
    refused = client.post(url, json=body, headers=bearer(None, world.collector_b))
    assert refused.status_code == 422
