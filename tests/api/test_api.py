"""The JSON API: tokens, errors in one envelope, pagination, and the OpenAPI document."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from consult.extensions import db
from consult.org.models import ApiToken, Legislature, User
from tests.conftest import PASSWORD, bearer


def error(response) -> dict:
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_token_exchange_and_me(client, world):
    response = client.post(
        "/api/v1/tokens", json={"username": "MANAGER", "password": PASSWORD, "name": "报表脚本"}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["token"].startswith("cst_") and body["name"] == "报表脚本"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.get_json()["point"] == {"id": world.point_a.id, "name": world.point_a.name}
    assert "password_hash" not in me.get_json()


def test_wrong_credentials_are_one_message(client, world):
    unknown = client.post("/api/v1/tokens", json={"username": "ghost", "password": "x" * 12})
    wrong = client.post("/api/v1/tokens", json={"username": "manager", "password": "x" * 12})
    assert unknown.status_code == wrong.status_code == 401
    assert error(unknown)["message"] == error(wrong)["message"]


def test_unknown_field_is_422_naming_it(client, world):
    response = client.post(
        "/api/v1/tokens", json={"username": "manager", "password": PASSWORD, "scope": "all"}
    )
    assert response.status_code == 422
    assert error(response)["fields"] == {"scope": ["Unknown field."]}


def test_body_that_is_not_an_object(client, world):
    response = client.post("/api/v1/tokens", data="[1,2]", content_type="application/json")
    assert response.status_code == 422
    assert "_body" in error(response)["fields"]


def test_unknown_api_path_answers_json_404(client):
    response = client.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.content_type == "application/json"
    assert error(response)["code"] == "not_found"


def test_wrong_method_answers_json_405(client):
    response = client.put("/api/v1/me")
    assert response.status_code == 405
    assert error(response)["code"] == "method_not_allowed"


def test_bad_or_revoked_token_is_401(client, world):
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer cst_nope"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
    headers = bearer(None, world.expert)
    token_id = db.session.scalars(select(ApiToken.id).order_by(ApiToken.id.desc())).first()
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=headers).status_code == 204
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert error(response)["code"] == "authentication_required"


def test_token_of_deactivated_user_stops_working(client, world):
    headers = bearer(None, world.collector)
    world.collector.is_active = False
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_forbidden_is_403_for_other_roles(client, world):
    response = client.get("/api/v1/users", headers=bearer(None, world.manager))
    assert response.status_code == 403
    assert error(response)["code"] == "forbidden"


def test_admin_manages_organisation(client, world):
    headers = bearer(None, world.admin)
    created = client.post(
        "/api/v1/legislatures", json={"name": "  全国人大常委会法制工作委员会  "}, headers=headers
    )
    assert created.status_code == 201
    legislature = created.get_json()
    assert legislature["name"] == "全国人大常委会法制工作委员会"  # surrounding spaces trimmed
    point = client.patch(
        f"/api/v1/points/{world.point_a.id}",
        json={"legislature_ids": [world.city.id, legislature["id"]]},
        headers=headers,
    )
    assert point.status_code == 200
    assert sorted(point.get_json()["legislature_ids"]) == sorted([world.city.id, legislature["id"]])
    duplicate = client.post(
        "/api/v1/legislatures", json={"name": "全国人大常委会法制工作委员会"}, headers=headers
    )
    assert duplicate.status_code == 422
    assert "name" in error(duplicate)["fields"]
    user = client.post(
        "/api/v1/users",
        json={"username": "expert2", "display_name": "新专家", "role": "expert", "point_id": 999},
        headers=headers,
    )
    assert user.status_code == 422 and "point_id" in error(user)["fields"]
    assert db.session.scalar(select(User).where(User.username == "expert2")) is None
    user = client.post(
        "/api/v1/users",
        json={
            "username": "expert2",
            "display_name": "新专家",
            "role": "expert",
            "point_id": world.point_a.id,
        },
        headers=headers,
    )
    assert user.status_code == 201
    assert user.get_json()["must_change_password"] is True
    assert len(user.get_json()["initial_password"]) >= 12
    off = client.patch(
        f"/api/v1/users/{user.get_json()['id']}", json={"is_active": False}, headers=headers
    )
    assert off.status_code == 200 and off.get_json()["is_active"] is False


def test_pagination_envelope(client, world):
    headers = bearer(None, world.admin)
    for n in range(5):
        db.session.add(Legislature(name=f"立法机关{n}"))
    db.session.commit()
    page = client.get("/api/v1/legislatures?per_page=3&page=2", headers=headers).get_json()
    assert {k: page[k] for k in ("page", "per_page", "total", "pages")} == {
        "page": 2,
        "per_page": 3,
        "total": 7,
        "pages": 3,
    }
    assert len(page["items"]) == 3
    huge = client.get("/api/v1/legislatures?per_page=100000", headers=headers).get_json()
    assert huge["per_page"] == 100


def test_filters_validate_their_values(client, world):
    headers = bearer(None, world.admin)
    response = client.get("/api/v1/users?role=king", headers=headers)
    assert response.status_code == 422 and "role" in error(response)["fields"]
    collectors = client.get(
        f"/api/v1/users?role=collector&point_id={world.point_a.id}", headers=headers
    ).get_json()
    assert {u["username"] for u in collectors["items"]} == {"collector", "target"}


def test_openapi_document_is_valid_and_complete(client, app):
    from openapi_spec_validator import validate

    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), m)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for m in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == routes
    token_op = spec["paths"]["/api/v1/tokens"]["post"]
    schema_ref = token_op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body_schema = spec["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert body_schema["additionalProperties"] is False
    assert set(body_schema["required"]) == {"username", "password"}


def test_what_no_database_can_store_is_a_422_naming_the_field(client, world):
    """NUL (PostgreSQL refuses it in text) and lone surrogates (not UTF-8): found by fuzzing."""
    headers = bearer(None, world.admin)
    before = db.session.scalar(select(func.count()).select_from(Legislature))
    for bad in ("名称\u0000", "名称\ud800"):
        body = json.dumps({"name": bad})  # ASCII, with the escape: \u0000, \ud800
        response = client.post(
            "/api/v1/legislatures", data=body, content_type="application/json", headers=headers
        )
        assert response.status_code == 422, bad
        assert list(error(response)["fields"]) == ["name"]
    nested = client.post(
        f"/api/v1/tasks/{world.task.id}/suggestions",
        json={"comment_ids": [world.comment.id], "rationale": "ok", "x": ["fine", "\u0000"]},
        headers=bearer(None, world.expert),
    )
    assert nested.status_code == 422 and list(error(nested)["fields"]) == ["x.1"]
    query = client.get("/api/v1/search?q=%00", headers=headers)
    assert query.status_code == 422 and list(error(query)["fields"]) == ["q"]
    assert db.session.scalar(select(func.count()).select_from(Legislature)) == before


def test_ids_past_the_column_range_are_not_found_or_invalid(client, world):
    """A 20-digit id used to reach the database driver and fail there (a 500)."""
    headers = bearer(None, world.admin)
    huge = "32589158477190044731"
    for method in ("get", "patch"):
        response = getattr(client, method)(f"/api/v1/users/{huge}", headers=headers, json={})
        assert response.status_code == 404, method
    body = {"name": "新联系点", "legislature_ids": [int(huge)]}
    response = client.post("/api/v1/points", json=body, headers=headers)
    assert response.status_code == 422 and list(error(response)["fields"]) == ["legislature_ids.0"]
    page = client.get(f"/api/v1/legislatures?page={huge}", headers=headers)
    assert page.status_code == 200 and page.get_json()["items"] == []


def test_an_empty_optional_text_is_no_text(client, world):
    """ "" for an optional field with a length limit is None, not a crash in the validator."""
    response = client.post(
        f"/api/v1/tasks/{world.task.id}/comments",
        json={"body": "建议增加公示。", "place": "", "reason": "  "},
        headers=bearer(None, world.collector),
    )
    assert response.status_code == 201
    assert response.get_json()["place"] is None and response.get_json()["reason"] is None
