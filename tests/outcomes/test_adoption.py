"""The legislature's inbox, assisted outcomes, the outcome sheet, feedback and the public
outcome page."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from consult.comments import services as comments
from consult.drafts import services as drafts
from consult.extensions import db
from consult.outcomes import assist
from consult.outcomes.models import Notification, Outcome, SuggestionOutcome
from consult.review import services as review
from tests.conftest import bearer, csrf_token, sign_in

# 第四条第二款 of the consulted text; the second reading changed 三十日 to 十五日 (now 第五条).
OLD = "养犬人应当在取得犬只之日起三十日内办理养犬登记，并遵守下列规定："
NEW = "养犬人应当在取得犬只之日起十五日内办理养犬登记，并遵守下列规定："


@pytest.fixture
def w(world, app):
    """Point A's report: as the second reading has it, half of it, and not at all."""
    w = world
    w.comment.respondent_name = "张三丰"
    more = [comments.record_comment(w.task, {"clause": cite, "body": body, "channel": "forum"},
                                    w.collector) for cite, body in
            (("第四条第二款", "建议可以网上办理。"), ("第六条", "本条没有必要。"))]  # fmt: skip
    w.partly = review.create_suggestion(w.task, {
        "comment_ids": [more[0].id], "clause": "第四条第二款",
        "proposed_text": NEW.replace("办理养犬登记，", "办理养犬登记，可以在网上办理，")},
        w.expert)  # fmt: skip
    review.update_suggestion(w.suggestion2, {"proposed_text": NEW, "clause": "第四条第二款"},
                             w.expert)  # fmt: skip
    w.unchanged = review.create_suggestion(w.task, {"comment_ids": [more[1].id], "clause": "第六条",
        "proposed_text": "建议删除本条。"}, w.expert)  # fmt: skip
    for s in (w.suggestion, w.suggestion2, w.partly, w.unchanged):
        review.approve(s, w.manager)
    review.submit(w.task, w.manager)
    drafts.publish(w.draft.versions[1], w.legislature)
    db.session.commit()
    w.client = app.test_client()
    return w


def recorded() -> int:
    return db.session.scalar(select(func.count()).select_from(SuggestionOutcome))


def test_proposals_follow_the_article_into_the_later_version_and_record_nothing(w):
    found = assist.proposals([w.suggestion, w.suggestion2, w.partly, w.unchanged])
    assert w.suggestion.id not in found  # a general suggestion: nothing to compare
    adopted, partly, unchanged = found[w.suggestion2.id], found[w.partly.id], found[w.unchanged.id]
    assert adopted.outcome == Outcome.ADOPTED and adopted.landed_in.citation == "第五条第二款"
    assert (adopted.old_text, adopted.new_text) == (OLD, NEW)
    assert partly.outcome == Outcome.PARTIALLY_ADOPTED and 0.2 <= partly.share < 0.9
    assert partly.landed_in.citation == "第五条第二款"
    assert unchanged.outcome == Outcome.NOT_ADOPTED and unchanged.landed_in is None
    assert recorded() == 0
    # The page shows them side by side and pre-selects them; still nothing is recorded.
    sign_in(w.client, w.legislature)
    html = w.client.get(f"/inbox/tasks/{w.task.id}").get_data(as_text=True)
    assert html.count("data-proposal=") == 3 and "<del>三</del>十<ins>五</ins>" in html
    form = html[html.index(f'id="s{w.suggestion2.id}"') :]
    assert re.search(r'<option value="adopted" selected', form[: form.index("</form>")])
    assert recorded() == 0


def test_staff_record_and_correct_outcomes_on_the_page_with_history(w):
    sign_in(w.client, w.legislature)
    inbox = w.client.get("/inbox/").get_data(as_text=True)
    assert w.task.title in inbox and 'data-awaiting="4"' in inbox
    token = csrf_token(w.client, f"/inbox/tasks/{w.task.id}")
    url = f"/inbox/suggestions/{w.partly.id}/outcome"
    response = w.client.post(url, data={"csrf_token": token, "outcome": "partially_adopted"},
                             follow_redirects=True)  # fmt: skip
    assert "explanation" in response.get_data(as_text=True) and recorded() == 0
    w.client.post(
        url,
        data={
            "csrf_token": token,
            "outcome": "partially_adopted",
            "explanation": "期限采纳，网上办理另行规定。",
            "landed_in": "第五条第二款",
        },
    )
    response = w.client.post(
        url,
        data={"csrf_token": token, "outcome": "adopted", "explanation": "全部采纳。"},
        follow_redirects=True,
    )
    assert response.status_code == 200 and recorded() == 2
    html = response.get_data(as_text=True)
    assert "期限采纳，网上办理另行规定。" in html and "第五条第二款" in html  # the history
    db.session.refresh(w.partly)
    assert w.partly.outcome == "adopted"
    # Another legislature's staff cannot reach it, nor can the point.
    sign_in(w.client, w.manager)
    assert w.client.post(url, data={"csrf_token": token, "outcome": "adopted"}).status_code == 403


def sheet_with(w, rows: dict[int, tuple]) -> bytes:
    """The outcome sheet as downloaded, with the given rows filled in."""
    sign_in(w.client, w.legislature)
    response = w.client.get(f"/inbox/tasks/{w.task.id}/outcomes.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book.active
    assert [c.value for c in sheet[1]][:4] == ["建议编号", "办理结果", "说明", "落实条款"]
    ids = [sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)]
    assert sorted(ids) == sorted([w.suggestion.id, w.suggestion2.id, w.partly.id, w.unchanged.id])
    for row_number, values in rows.items():
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row_number, column=column, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(w, data: bytes):
    token = csrf_token(w.client, f"/inbox/tasks/{w.task.id}/import")
    return w.client.post(f"/inbox/tasks/{w.task.id}/import",
                         data={"csrf_token": token, "file": (io.BytesIO(data), "结果.xlsx")},
                         content_type="multipart/form-data")  # fmt: skip


def test_the_outcome_sheet_is_checked_whole_previewed_and_confirmed(w):
    bad = sheet_with(w, {
        2: (999999, "采纳"), 3: (w.partly.id, "大概采纳"), 4: (w.unchanged.id, "未采纳", None),
        5: (w.suggestion2.id, "采纳", None, "第九十九条"), 6: (w.partly.id, "采纳"),
    })  # fmt: skip
    response = upload(w, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and recorded() == 0
    for row in ("2", "3", "4", "5", "6"):
        assert re.search(rf"<tr><td>{row}</td>", html), row
    good = sheet_with(w, {
        2: (w.suggestion2.id, "采纳", "已采纳。", "第五条第二款"),
        3: (w.partly.id, "部分采纳", "期限已采纳。"),
        4: (w.unchanged.id, "未采纳", "与上位法不一致。"),
        5: (w.suggestion.id, None),
    })  # fmt: skip
    response = upload(w, good)
    assert response.status_code == 200 and recorded() == 0  # a preview only
    html = response.get_data(as_text=True)
    action = re.search(r'action="(/inbox/tasks/\d+/import/\d+/confirm)"', html).group(1)
    token = csrf_token(w.client, f"/inbox/tasks/{w.task.id}/import")
    w.client.post(action, data={"csrf_token": token})
    db.session.refresh(w.suggestion2)
    assert recorded() == 3 and w.suggestion2.outcome == "adopted"
    assert w.client.post(action, data={"csrf_token": token}).status_code == 409
    # The same sheet again changes nothing.
    html = upload(w, good).get_data(as_text=True)
    assert "data-rows" not in html and recorded() == 3
    # The API takes the same sheet: a dry run checks, a real run records what changed.
    headers = bearer(w.client.application, w.legislature)
    again = sheet_with(w, {3: (w.partly.id, "采纳", "后经研究全部采纳。")})
    url = f"/api/v1/tasks/{w.task.id}/outcomes/import"
    response = w.client.post(url + "?dry_run=1", data={"file": (io.BytesIO(again), "a.xlsx")},
                             headers=headers, content_type="multipart/form-data")  # fmt: skip
    assert response.get_json() == {"dry_run": True, "valid_rows": 1, "unchanged": 2,
                                   "recorded": 0}  # fmt: skip
    response = w.client.post(url, data={"file": (io.BytesIO(again), "a.xlsx")},
                             headers=headers, content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 201 and response.get_json()["recorded"] == 1
    response = w.client.post(url, data={"file": (io.BytesIO(bad), "a.xlsx")},
                             headers=headers, content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 422 and "row 2" in response.get_json()["error"]["fields"]
    assert recorded() == 4


def test_everyone_who_took_part_hears_of_the_outcome(w, app):
    other = comments.record_comment(
        w.task, {"clause": "第六条", "body": "另一个点的意见。", "channel": "visit"}, w.collector_b
    )
    db.session.commit()
    client = app.test_client()
    headers = bearer(app, w.legislature)
    response = client.put(f"/api/v1/suggestions/{w.suggestion2.id}/outcome",
                          json={"outcome": "adopted"}, headers=headers)  # fmt: skip
    assert response.status_code == 200
    told = {n.user_id: n for n in db.session.scalars(select(Notification))}
    assert set(told) == {w.collector.id, w.expert.id}  # the comment's collector, the author
    assert told[w.collector.id].comments == 1 and told[w.expert.id].comments == 0
    sign_in(client, w.collector)
    home = client.get("/notifications/").get_data(as_text=True)
    assert 'id="unread">1' in home and 'data-comments="1"' in home
    assert w.task.title in home
    page = client.get(f"/comments/{w.comment.id}").get_data(as_text=True)
    assert 'data-outcome="adopted"' in page
    listed = client.get(f"/tasks/{w.task.id}/comments").get_data(as_text=True)
    assert 'data-outcome="adopted"' in listed
    client.post("/notifications/read", data={"csrf_token": csrf_token(client, "/notifications/")})
    assert 'id="unread"' not in client.get("/notifications/").get_data(as_text=True)
    sign_in(client, w.collector_b)
    assert 'id="unread"' not in client.get("/notifications/").get_data(as_text=True)
    assert other.suggestion is None


def test_the_public_outcome_page_tells_what_was_done_and_names_nobody(w, app):
    client = app.test_client()
    headers = bearer(app, w.legislature)
    client.put(f"/api/v1/suggestions/{w.partly.id}/outcome", headers=headers,
               json={"outcome": "partially_adopted", "explanation": "登记期限已缩短。",
                     "landed_in": "第五条第二款"})  # fmt: skip
    html = client.get(f"/public/tasks/{w.task.id}/outcomes").get_data(as_text=True)
    assert "登记期限已缩短。" in html and "第五条第二款" in html
    assert 'data-outcome="partially_adopted"' in html and 'data-total="suggestions">4' in html
    for private in ("张三丰", w.collector.display_name, w.expert.display_name, "Collector"):
        assert private not in html
    unpublished = drafts.create_draft({"text": "测试条例\n第一条　测试。"}, w.legislature)
    db.session.commit()
    from consult.consultations.models import ConsultationTask

    hidden = ConsultationTask(legislature_id=w.city.id, draft_version_id=unpublished.versions[0].id,
                              title="未发布", deadline=w.task.deadline,
                              created_by_id=w.legislature.id)  # fmt: skip
    db.session.add(hidden)
    db.session.commit()
    assert client.get(f"/public/tasks/{hidden.id}/outcomes").status_code == 404
