"""The review workspace page: what an expert sees and does, and what a refusal looks like."""

from __future__ import annotations

import pytest

from consult.comments import services as comments
from consult.comments.models import Comment, ReviewState
from consult.extensions import db
from consult.review.models import Suggestion
from tests.conftest import build_world, sign_in


@pytest.fixture
def w(make_app):
    app = make_app(WTF_CSRF_ENABLED=False)
    with app.app_context():
        w = build_world()
        w.dupes = [
            comments.record_comment(w.task, {"clause": "第四条第二款", "body": body}, w.collector)
            for body in ("犬只登记应当网上办理。", "犬只登记应当网上办理！",
                         "<script>alert('x')</script>登记太难")
        ]  # fmt: skip
        db.session.commit()
        w.app = app
        yield w


def page(client, w):
    response = client.get(f"/tasks/{w.task.id}/review")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_comments_by_clause_with_counts_groups_and_escaped_text(w):
    html = page(sign_in(w.app.test_client(), w.expert), w)
    assert html.index("第四条第二款") < html.index("总体意见")  # clause order, general last
    assert "4 条原始 · 3 条不重复" in html  # 第四条第二款: the world's comment and three more
    assert html.count("重复组 1</span>") == 2 and "重复组 1 个" in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_merging_from_the_page_and_a_refusal_that_changes_nothing(w):
    client = sign_in(w.app.test_client(), w.expert)
    a, b, _c = (x.id for x in w.dupes)
    response = client.post(f"/tasks/{w.task.id}/review/suggestions", data={
        "comment_ids": [str(a), str(b)], "proposed_text": "可以网上办理。",
        "rationale": "<p>便民</p><img src=x onerror=alert(1)>",
    }, follow_redirects=True)  # fmt: skip
    html = response.get_data(as_text=True)
    assert "建议已写好" in html and "可以网上办理。" in html and "onerror" not in html
    assert "<ins>" in html and "<del>" in html  # the wording against the clause's text
    with w.app.app_context():
        merged = db.session.get(Comment, a)
        assert merged.review_state == ReviewState.MERGED
        count = db.session.query(Suggestion).count()
    refused = client.post(f"/review/comments/{_c}/set-aside", data={"reason": "other"},
                          follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "请说明搁置这条意见的原因" in refused
    with w.app.app_context():
        assert db.session.get(Comment, _c).review_state == ReviewState.NEW
        assert db.session.query(Suggestion).count() == count


def test_taking_comments_up_marks_them_under_review_and_they_still_stop_a_submission(w):
    client = sign_in(w.app.test_client(), w.expert)
    a = w.dupes[0].id
    html = client.post(f"/tasks/{w.task.id}/review/suggestions",
                       data={"comment_ids": [str(a)], "action": "review"},
                       follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "已标为审读中" in html
    with w.app.app_context():
        assert db.session.get(Comment, a).review_state == ReviewState.REVIEWING
        from consult.review import services as review

        task = db.session.merge(w.task)
        assert a in [c.id for c in review.unaccounted(task, w.point_a.id)]


def test_the_manager_is_told_which_comments_stop_the_submission(w):
    client = sign_in(w.app.test_client(), w.manager)
    html = client.post(f"/tasks/{w.task.id}/review/submit", follow_redirects=True).get_data(
        as_text=True
    )
    for comment in w.dupes:
        assert f"#{comment.id}" in html
    assert "既未归并也未搁置" in html
