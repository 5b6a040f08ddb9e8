"""Admin pages: create, edit and deactivate legislatures, points, units and users."""

from __future__ import annotations

from sqlalchemy import select

from consult.core.audit import AuditEvent
from consult.extensions import db
from consult.org.models import ContactPoint, Unit, User
from tests.conftest import csrf_token, sign_in


def post(client, path, data):
    return client.post(path, data=data | {"csrf_token": csrf_token(client, path)})


def test_admin_creates_a_point_serving_two_legislatures(client, world):
    sign_in(client, world.admin)
    response = post(
        client,
        "/admin/points/new",
        {
            "name": "江北联系点",
            "address": "江北区",
            "legislature_ids": [world.city.id, world.other.id],
        },
    )
    assert response.status_code == 302
    point = db.session.scalar(select(ContactPoint).where(ContactPoint.name == "江北联系点"))
    assert {leg.id for leg in point.legislatures} == {world.city.id, world.other.id}
    listing = client.get("/admin/points").get_data(as_text=True)
    assert "江北联系点" in listing


def test_duplicate_name_is_refused_naming_the_field(client, world):
    sign_in(client, world.admin)
    response = post(client, "/admin/points/new", {"name": world.point_a.name})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "已被使用" in html and 'aria-invalid="true"' in html
    assert db.session.scalar(select(db.func.count()).select_from(ContactPoint)) == 2


def test_created_user_gets_a_generated_password_shown_once(client, world):
    sign_in(client, world.admin)
    response = post(
        client,
        "/admin/users/new",
        {
            "username": "New.Collector",
            "display_name": "新采集员",
            "role": "collector",
            "unit_id": str(world.unit_a.id),
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "只显示这一次" in html
    user = db.session.scalar(select(User).where(User.username == "new.collector"))
    assert user.must_change_password and user.point_id == world.point_a.id
    password = html.split('id="password" class="form-control font-monospace" readonly value="')[1]
    password = password.split('"')[0]
    assert len(password) >= 12 and password not in user.password_hash


def test_collector_needs_a_unit(client, world):
    sign_in(client, world.admin)
    response = post(
        client,
        "/admin/users/new",
        {"username": "lost", "display_name": "无单位", "role": "collector"},
    )
    assert response.status_code == 422
    assert "此项为必填项" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "lost")) is None


def test_deactivate_and_reactivate_a_user(client, world):
    sign_in(client, world.admin)
    path = f"/admin/users/{world.target.id}/active"
    assert post(client, path, {}).status_code == 302
    db.session.expire_all()
    assert world.target.is_active is False
    # Deactivated users leave the default list but are never deleted.
    cell = f"<td>{world.target.username}</td>"
    assert cell not in client.get("/admin/users").get_data(as_text=True)
    assert cell in client.get("/admin/users?state=inactive").get_data(as_text=True)
    assert post(client, path, {}).status_code == 302
    db.session.expire_all()
    assert world.target.is_active is True
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == world.target.id)
    ).all()
    assert "user.deactivate" in actions and "user.activate" in actions


def test_admin_cannot_deactivate_self(client, world):
    sign_in(client, world.admin)
    response = post(client, f"/admin/users/{world.admin.id}/active", {})
    assert response.status_code == 409
    assert "不能停用自己的账号" in response.get_data(as_text=True)
    db.session.expire_all()
    assert world.admin.is_active


def test_edit_unit_keeps_its_point(client, world):
    sign_in(client, world.admin)
    path = f"/admin/units/{world.unit_a.id}/edit"
    response = post(client, path, {"name": "北碚区总工会（新）", "kind": "collection_point"})
    assert response.status_code == 302
    unit = db.session.get(Unit, world.unit_a.id)
    db.session.refresh(unit)
    assert unit.name == "北碚区总工会（新）" and unit.point_id == world.point_a.id


def test_reset_password_revokes_tokens_and_forces_change(client, world):
    from tests.conftest import bearer

    headers = bearer(None, world.target)
    sign_in(client, world.admin)
    response = post(client, f"/admin/users/{world.target.id}/password", {})
    assert response.status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    db.session.expire_all()
    assert world.target.must_change_password


def test_list_is_paginated_and_searchable(client, world):
    from tests.conftest import make_user

    for n in range(30):
        make_user(f"bulk{n:02d}", "collector", unit_id=world.unit_a.id)
    db.session.commit()
    sign_in(client, world.admin)
    first = client.get("/admin/users").get_data(as_text=True)
    total = db.session.scalar(select(db.func.count()).select_from(User))
    assert total >= 38 and f"共 {total} 条" in first  # the world's users and 30 more
    assert "bulk29" not in first
    second = client.get("/admin/users?page=2").get_data(as_text=True)
    assert "bulk29" in second
    found = client.get("/admin/users?q=bulk07").get_data(as_text=True)
    assert "bulk07" in found and "bulk08" not in found


def test_the_audit_trail_is_append_only_for_everyone(client, world):
    """No session — a page's, the API's, a command's — may change or remove an audit row."""
    import pytest
    from sqlalchemy import delete, update

    from consult.core.audit import AuditTampering

    sign_in(client, world.admin)
    client.post(f"/admin/users/{world.target.id}/active", data={"active": "0"})
    entry = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert entry is not None
    kept = (entry.id, entry.action, entry.reason)
    entry.reason = "rewritten"
    with pytest.raises(AuditTampering):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, kept[0]))
    with pytest.raises(AuditTampering):
        db.session.flush()
    db.session.rollback()
    for statement in (update(AuditEvent).values(reason="x"), delete(AuditEvent)):
        with pytest.raises(AuditTampering):
            db.session.execute(statement)
        db.session.rollback()
    again = db.session.get(AuditEvent, kept[0])
    assert (again.id, again.action, again.reason) == kept
