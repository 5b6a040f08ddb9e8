"""Task and comment pages: what a legislature, a manager and a collector on a phone see."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from consult.comments.models import Comment
from consult.consultations.models import ConsultationTask
from consult.core.types import utcnow
from consult.extensions import db
from consult.org.models import Role
from tests.conftest import csrf_token, make_user, sign_in


def post(client, path, data, page=None):
    return client.post(path, data=data | {"csrf_token": csrf_token(client, page or path)})


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_legislature_opens_a_task_in_beijing_time(client, world):
    sign_in(client, world.legislature)
    response = post(client, "/tasks/new", {
        "draft_version_id": world.version1_id, "title": "二次征求意见",
        "deadline": "2099-05-01T18:00", "point_ids": [world.point_a.id],
        "instructions": "请重点关注**登记**。",
    })  # fmt: skip
    assert response.status_code == 302
    task = db.session.scalar(select(ConsultationTask).order_by(ConsultationTask.id.desc()))
    assert task.deadline.isoformat() == "2099-05-01T10:00:00+00:00"  # 18:00 in Beijing
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2099-05-01 18:00" in page and "二次征求意见" in page


def test_task_form_errors_name_the_field(client, world):
    sign_in(client, world.legislature)
    before = count(ConsultationTask)
    response = post(client, "/tasks/new", {
        "draft_version_id": world.version1_id, "title": "过期任务",
        "deadline": "2001-01-01T09:00", "point_ids": [world.point_a.id],
    })  # fmt: skip
    assert response.status_code == 422
    assert "截止时间必须晚于现在" in response.get_data(as_text=True)
    assert count(ConsultationTask) == before


def test_collector_records_a_comment_from_the_phone_form(client, world):
    sign_in(client, world.collector)
    task_page = client.get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert "录入意见" in task_page and "天" in task_page  # time left is shown
    assert "<script>" not in task_page and "<b>养犬登记</b>" in task_page  # sanitised instructions
    form_page = client.get(f"/tasks/{world.task.id}/comments/new").get_data(as_text=True)
    assert 'list="clauses"' in form_page and 'value="第四条第二款第（三）项"' in form_page
    assert "respondent_name" not in form_page  # the point does not collect names
    response = post(
        client,
        f"/tasks/{world.task.id}/comments/new",
        {"clause": "第4条第2款", "body": "建议延长到六十日。", "channel": "visit",
         "participants": "3", "collected_on": "2026-11-20", "place": "天生街道"},
    )  # fmt: skip
    assert response.status_code == 302
    comment = db.session.scalar(select(Comment).order_by(Comment.id.desc()))
    assert (comment.body, comment.participants, comment.unit_id) == (
        "建议延长到六十日。",
        3,
        world.unit_a.id,
    )
    assert comment.clause.citation == "第四条第二款"
    listing = client.get(f"/tasks/{world.task.id}/comments?mine=1").get_data(as_text=True)
    assert "建议延长到六十日。" in listing


def test_bad_comment_input_is_named_and_nothing_stored(client, world):
    sign_in(client, world.collector)
    before = count(Comment)
    path = f"/tasks/{world.task.id}/comments/new"
    bad_clause = post(
        client, path, {"clause": "第九十九条", "body": "x", "channel": "forum", "participants": "1"}
    )
    assert bad_clause.status_code == 422 and "没有第九十九条" in bad_clause.get_data(as_text=True)
    no_body = post(
        client, path, {"clause": "", "body": "", "channel": "forum", "participants": "0"}
    )
    assert no_body.status_code == 422
    assert count(Comment) == before


def test_after_the_deadline_the_form_says_so(client, world):
    world.task.deadline = utcnow() - timedelta(minutes=5)
    db.session.commit()
    sign_in(client, world.collector)
    before = count(Comment)
    response = post(client, f"/tasks/{world.task.id}/comments/new",
                    {"body": "迟到", "channel": "forum", "participants": "1"},
                    page=f"/tasks/{world.task.id}")  # fmt: skip
    assert response.status_code == 409
    assert "已过截止时间" in response.get_data(as_text=True)
    assert count(Comment) == before


def test_heatmap_counts_only_the_own_point(client, world):
    sign_in(client, world.manager)
    page = client.get(f"/tasks/{world.task.id}/heatmap").get_data(as_text=True)
    assert 'aria-label="第四条第二款 有 1 条意见，不重复 1 条"' in page
    assert page.count('class="heat-count"') == 1  # point A has one clause comment; B's are not here
    sign_in(client, world.collector_b)
    page_b = client.get(f"/tasks/{world.task.id}/heatmap").get_data(as_text=True)
    assert page_b.count('class="heat-count"') == 1
    assert 'id="c-第六条"' in page_b


def test_points_never_reach_each_others_comments(client, world):
    sign_in(client, world.collector_b)
    assert client.get(f"/comments/{world.comment.id}").status_code == 404
    assert client.get(f"/comments/{world.comment.id}/edit").status_code == 404
    listing = client.get(f"/tasks/{world.task.id}/comments").get_data(as_text=True)
    assert "登记期限三十日太长" not in listing and "烈性犬目录要公开" in listing


def test_manager_hands_out_and_collectors_see_only_what_they_were_given(client, world):
    other_unit_collector = make_user("caiji.z", Role.COLLECTOR, unit_id=None or world.unit_a.id)
    db.session.commit()
    sign_in(client, world.manager)
    page = client.get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert "分派任务" in page
    sign_in(client, other_unit_collector)
    assert client.get(f"/tasks/{world.task.id}").status_code == 200  # the whole unit was given it


def test_edit_and_withdraw_through_the_pages(client, world):
    sign_in(client, world.collector)
    path = f"/comments/{world.comment.id}/edit"
    response = post(
        client,
        path,
        {
            "clause": "第四条第二款",
            "body": "修改后的意见。",
            "channel": "forum",
            "participants": "2",
        },
    )
    assert response.status_code == 302
    response = post(client, f"/comments/{world.comment.id}/withdraw", {"reason": "重复"},
                    page=f"/comments/{world.comment.id}")  # fmt: skip
    assert response.status_code == 302
    page = client.get(f"/comments/{world.comment.id}").get_data(as_text=True)
    assert "已撤回" in page and "重复" in page and "登记期限三十日太长。" in page


def test_heatmap_shows_raw_and_distinct_counts_side_by_side(client, world):
    from consult.comments import services as comments

    for body in ("犬只登记应当网上办理。", "犬只登记應當網上辦理！"):
        comments.record_comment(world.task, {"clause": "第四条第二款", "body": body},
                                world.collector)  # fmt: skip
    db.session.commit()
    sign_in(client, world.manager)
    page = client.get(f"/tasks/{world.task.id}/heatmap").get_data(as_text=True)
    assert '3<span class="small">（2 条不重复）</span>' in page
    assert 'aria-label="第四条第二款 有 3 条意见，不重复 2 条"' in page
