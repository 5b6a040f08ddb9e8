"""The public channel: anonymous comments, moderation by the chosen point, abuse limits."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from consult.comments import services as comments
from consult.comments.models import Channel, Comment, CommentStatus
from consult.core.types import utcnow
from consult.extensions import db
from tests.conftest import csrf_token, sign_in


def post_public(client, task_id, data):
    path = f"/public/tasks/{task_id}/comment"
    return client.post(path, data=data | {"csrf_token": csrf_token(client, path)})


def moderate(client, comment_id, decision, **extra):
    data = {"decision": decision, "csrf_token": csrf_token(client, "/tasks/"), **extra}
    return client.post(f"/comments/{comment_id}/moderate", data=data)


def count(*where) -> int:
    return db.session.scalar(select(func.count()).select_from(Comment).where(*where))


def test_anonymous_comment_waits_for_the_chosen_point(client, world):
    sixth = comments.clause_for(world.task, "第六条").id
    counted_before = comments.counts_by_clause(world.task, world.point_b.id).get(sixth, 0)
    draft_page = client.get(f"/drafts/{world.draft.id}/v/1").get_data(as_text=True)
    assert f"/public/tasks/{world.task.id}/comment" in draft_page
    before = count()
    response = post_public(client, world.task.id, {
        "clause": "第六条", "body": "烈性犬的认定标准应公开。", "point_id": str(world.point_b.id),
        "respondent_area": "渝中区",
    })  # fmt: skip
    assert response.status_code == 302 and count() == before + 1
    comment = db.session.scalar(select(Comment).order_by(Comment.id.desc()))
    assert (comment.status, comment.channel, comment.point_id) == (
        CommentStatus.PENDING, Channel.ONLINE, world.point_b.id)  # fmt: skip
    assert comment.collector_id is None and comment.respondent_name is None
    # not counted until accepted, and only point B may moderate it
    assert comments.counts_by_clause(world.task, world.point_b.id).get(sixth, 0) == counted_before
    sign_in(client, world.manager)
    response = moderate(client, comment.id, "accept")
    assert response.status_code == 404
    sign_in(client, world.manager_b)
    queue = client.get(f"/tasks/{world.task.id}/moderation").get_data(as_text=True)
    assert "烈性犬的认定标准应公开。" in queue
    no_reason = moderate(client, comment.id, "reject")
    assert no_reason.status_code == 422
    accepted = moderate(client, comment.id, "accept")
    assert accepted.status_code == 302
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).status == CommentStatus.ACTIVE
    assert comments.counts_by_clause(world.task, world.point_b.id)[sixth] == counted_before + 1


def test_pending_comments_are_not_counted(world):
    counts = comments.counts_by_clause(world.task, world.point_a.id)
    assert counts.get(world.public_comment.clause_id, 0) == 0  # two pending on 第五条


def test_rejecting_needs_a_reason_and_keeps_it(client, world):
    sign_in(client, world.manager)
    response = client.post(f"/comments/{world.public_comment.id}/moderate", data={
        "decision": "reject", "reason": "与本草案无关", "csrf_token": csrf_token(client, "/tasks/"),
    })  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    comment = db.session.get(Comment, world.public_comment.id)
    assert comment.status == CommentStatus.REJECTED and comment.moderation_reason == "与本草案无关"


def test_honeypot_stores_nothing(client, world):
    before = count()
    response = post_public(client, world.task.id, {
        "body": "买便宜药", "point_id": str(world.point_a.id), "website": "http://spam.example",
    })  # fmt: skip
    assert response.status_code == 302 and count() == before


def test_rate_limited_per_address(make_app, world_factory):
    app = make_app(PUBLIC_COMMENT_RATE_LIMIT="3 per hour")
    with app.app_context():
        world = world_factory()
        task_id, point_id = world.task.id, world.point_a.id
    client = app.test_client()
    for n in range(3):
        assert (
            post_public(
                client, task_id, {"body": f"意见{n}", "point_id": str(point_id)}
            ).status_code
            == 302
        )
    response = post_public(client, task_id, {"body": "第四条", "point_id": str(point_id)})
    assert response.status_code == 429


def test_closed_or_private_tasks_refuse(client, world):
    world.task.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    before = count()
    response = post_public(
        client, world.task.id, {"body": "迟到", "point_id": str(world.point_a.id)}
    )
    assert response.status_code == 409 and count() == before
    world.task.public_channel = False
    db.session.commit()
    assert client.get(f"/public/tasks/{world.task.id}/comment").status_code == 404


def test_bad_input_names_the_field(client, world):
    response = post_public(
        client,
        world.task.id,
        {"clause": "第八十条", "body": "甲", "point_id": str(world.point_a.id)},
    )
    assert response.status_code == 422 and "没有第八十条" in response.get_data(as_text=True)
    response = post_public(
        client, world.task.id, {"body": "x" * 2001, "point_id": str(world.point_a.id)}
    )
    assert response.status_code == 422
