"""Drafts in the app: upload, check, publish, read, cite, compare — pages and API."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from consult.drafts.models import Clause, Draft, DraftVersion
from consult.extensions import db
from consult.org.models import Role
from tests.conftest import bearer, csrf_token, make_user, sign_in
from tests.drafts.test_files import numbered_docx
from tests.drafts.texts import DOG_V1, DOG_V2


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def upload_page(client, data, path="/drafts/new"):
    token = csrf_token(client, path)
    return client.post(path, data=data | {"csrf_token": token}, content_type="multipart/form-data")


def api_upload(client, headers, text=DOG_V1, **extra):
    return client.post("/api/v1/drafts", json={"text": text, **extra}, headers=headers)


def test_staff_upload_check_and_publish(client, world):
    sign_in(client, world.legislature)
    response = upload_page(client, {"text": DOG_V1, "version_label": "征求意见稿"})
    assert response.status_code == 302
    draft = db.session.scalar(select(Draft).order_by(Draft.id.desc()))
    assert response.headers["Location"] == f"/drafts/{draft.id}/v/1"
    assert draft.title == "重庆市养犬管理条例（草案）"
    assert draft.legislature_id == world.city.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "发布此版本" in page and "未发布" in page
    assert "7 条" in page and "3 章" in page
    # Nobody else sees an unpublished draft.
    other = client.application.test_client()
    assert other.get(f"/drafts/{draft.id}/v/1").status_code == 404
    assert other.get(f"/api/v1/drafts/{draft.id}").status_code == 404
    publish = client.post(
        f"/drafts/{draft.id}/v/1/publish", data={"csrf_token": csrf_token(client, "/drafts/")}
    )
    assert publish.status_code == 302
    public = other.get(f"/drafts/{draft.id}/v/1").get_data(as_text=True)
    assert 'id="c-第四条第二款第（三）项"' in public
    assert "提供犬只照片。" in public and "发布此版本" not in public
    assert "第二章" in public and "养犬登记" in public  # table of contents and headings
    assert other.get(f"/drafts/{draft.id}/v/1/print").status_code == 200


def test_citation_link_jumps_to_the_clause(client, world):
    sign_in(client, world.legislature)
    api = api_upload(client, bearer(None, world.legislature)).get_json()
    draft_id = api["id"]
    response = client.get(f"/drafts/{draft_id}/v/1/cite?c=第4条第2款第3项")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        "#c-%E7%AC%AC%E5%9B%9B%E6%9D%A1%E7%AC%AC%E4%BA%8C%E6%AC%BE%E7%AC%AC%EF%BC%88%E4%B8%89%EF%BC%89%E9%A1%B9"
    )
    missing = client.get(f"/drafts/{draft_id}/v/1/cite?c=第五条第二款")
    assert missing.status_code == 404
    assert "第五条只有一款" in missing.get_data(as_text=True)


def test_docx_upload_through_the_page(client, world):
    sign_in(client, world.legislature)
    response = upload_page(client, {"file": (io.BytesIO(numbered_docx()), "草案.docx")})
    assert response.status_code == 302
    version = db.session.scalar(select(DraftVersion).order_by(DraftVersion.id.desc()))
    assert version.source_filename == "草案.docx"
    assert version.counts["article"] == 3


def test_bad_uploads_are_refused_and_nothing_is_stored(make_app, world_factory):
    app = make_app(MAX_CONTENT_LENGTH=64 * 1024)
    with app.app_context():
        world = world_factory()
        before = (count(Draft), count(DraftVersion), count(Clause))
        client = sign_in(app.test_client(), world.legislature)
        cases = [
            ({"file": (io.BytesIO(b""), "empty.txt")}, 422, "文件是空的"),
            ({"file": (io.BytesIO(bytes(range(256)) * 8), "data.txt")}, 422, "不是文本文件"),
            ({"file": (io.BytesIO(b"not a zip"), "draft.docx")}, 422, "不是 zip"),
            ({"file": (io.BytesIO(b"x"), "draft.pdf")}, 422, "txt"),
            ({"text": "   "}, 422, "请上传文件或粘贴文本"),
            ({"file": (io.BytesIO(b"a" * 70 * 1024), "big.txt")}, 413, "超过允许的 64 KB"),
        ]
        for data, status, message in cases:
            response = upload_page(client, data)
            assert response.status_code == status, data
            assert message in response.get_data(as_text=True), message
        assert (count(Draft), count(DraftVersion), count(Clause)) == before


def test_published_versions_never_change_and_versions_compare(client, world):
    headers = bearer(None, world.legislature)
    draft = api_upload(client, headers, version_label="征求意见稿").get_json()
    draft_id = draft["id"]
    assert draft["version"]["counts"]["article"] == 7
    assert (
        client.post(f"/api/v1/drafts/{draft_id}/versions/1/publish", headers=headers).status_code
        == 200
    )
    again = client.post(f"/api/v1/drafts/{draft_id}/versions/1/publish", headers=headers)
    assert again.status_code == 409
    sign_in(client, world.legislature)
    replace = upload_page(client, {"text": DOG_V2}, path=f"/drafts/{draft_id}/v/1/replace")
    assert replace.status_code == 409
    second = client.post(
        f"/api/v1/drafts/{draft_id}/versions",
        json={"text": DOG_V2, "version_label": "二审稿"},
        headers=headers,
    )
    assert second.status_code == 201 and second.get_json()["number"] == 2
    # only one pending version at a time
    third = client.post(
        f"/api/v1/drafts/{draft_id}/versions", json={"text": DOG_V2}, headers=headers
    )
    assert third.status_code == 409
    diff = client.get(f"/api/v1/drafts/{draft_id}/versions/1/diff/2", headers=headers).get_json()
    by_new = {c["new"]: c for c in diff["changes"] if c["new"]}
    assert by_new["第三条"]["status"] == "added"
    assert by_new["第四条"]["status"] == "moved" and by_new["第四条"]["old"] == "第三条"
    changed = by_new["第五条"]
    assert changed["status"] == "changed" and changed["old"] == "第四条" and changed["renumbered"]
    # 三十日 → 十五日: the characters that changed, no more
    assert {"op": "delete", "text": "三"} in changed["diff"]
    assert {"op": "insert", "text": "五"} in changed["diff"]
    assert any(c["status"] == "removed" and c["old"] == "第五条" for c in diff["changes"])
    assert diff["summary"]["added"] == 1 and diff["summary"]["removed"] == 1
    page = client.get(f"/drafts/{draft_id}/compare?old=1&new=2").get_data(as_text=True)
    assert "<del>三</del><span>十</span><ins>五</ins>" in page


def test_api_resolve_and_tree(client, world):
    headers = bearer(None, world.legislature)
    draft_id = api_upload(client, headers).get_json()["id"]
    client.post(f"/api/v1/drafts/{draft_id}/versions/1/publish", headers=headers)
    ok = client.get(f"/api/v1/drafts/{draft_id}/versions/1/resolve?cite=第四条第二款第（二）项")
    assert ok.status_code == 200
    assert ok.get_json()["text"] == "提供养犬人的身份证明；"
    missing = client.get(f"/api/v1/drafts/{draft_id}/versions/1/resolve?cite=第四条第三款")
    assert missing.status_code == 404
    assert "第四条只有二款" in missing.get_json()["error"]["message"]
    empty = client.get(f"/api/v1/drafts/{draft_id}/versions/1/resolve")
    assert empty.status_code == 422 and "cite" in empty.get_json()["error"]["fields"]
    tree = client.get(f"/api/v1/drafts/{draft_id}/versions/1").get_json()["tree"]
    assert [n["citation"] for n in tree] == ["第一章", "第二章", "第三章"]
    article = tree[1]["children"][0]
    assert article["citation"] == "第四条"
    assert article["children"][1]["children"][2]["citation"] == "第四条第二款第（三）项"


def test_api_multipart_upload_and_errors(client, world):
    headers = bearer(None, world.legislature)
    before = count(Draft)
    response = client.post(
        "/api/v1/drafts",
        data={
            "file": (io.BytesIO(DOG_V1.encode("gb18030")), "草案.txt"),
            "version_label": "征求意见稿",
        },
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    assert response.get_json()["title"] == "重庆市养犬管理条例（草案）"
    bad = client.post(
        "/api/v1/drafts",
        data={"file": (io.BytesIO(b"PK\x03\x04broken"), "x.docx")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "file" in bad.get_json()["error"]["fields"]
    unknown = client.post("/api/v1/drafts", json={"text": DOG_V1, "colour": "red"}, headers=headers)
    assert unknown.status_code == 422 and "colour" in unknown.get_json()["error"]["fields"]
    assert count(Draft) == before + 1


def test_only_the_drafts_legislature_may_change_it(client, world):
    draft_id = api_upload(client, bearer(None, world.legislature)).get_json()["id"]
    outsider = make_user("sichuan", Role.LEGISLATURE, legislature_id=world.other.id)
    db.session.commit()
    response = client.post(
        f"/api/v1/drafts/{draft_id}/versions/1/publish", headers=bearer(None, outsider)
    )
    assert response.status_code == 404  # not even visible to another legislature
    response = client.post(
        "/api/v1/drafts", json={"text": DOG_V1}, headers=bearer(None, world.collector)
    )
    assert response.status_code == 403
    assert client.post("/api/v1/drafts", json={"text": DOG_V1}).status_code == 401
