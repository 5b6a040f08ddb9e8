"""Signing in and out, forced password change, rate limits, CSRF and redirects."""

from __future__ import annotations

import pytest

from consult.extensions import db
from consult.org import services
from consult.org.models import Role
from tests.conftest import PASSWORD, csrf_token, make_user


def login(client, username, password=PASSWORD, next_url=None):
    token = csrf_token(client)
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"username": username, "password": password, "csrf_token": token})


@pytest.mark.parametrize(
    ("role", "home"),
    [
        ("admin", "/admin/"),
        ("legislature", "/legislature/"),
        ("manager", "/point/"),
        ("expert", "/point/"),
        ("collector", "/collector/"),
    ],
)
def test_each_role_lands_on_its_home(client, world, role, home):
    user = getattr(world, role)
    response = login(client, user.username)
    assert response.status_code == 302
    response = client.get(response.headers["Location"])
    assert response.headers["Location"] == home
    page = client.get(home)
    assert page.status_code == 200
    assert user.display_name in page.get_data(as_text=True)


def test_same_message_for_unknown_user_and_wrong_password(client, world):
    unknown = login(client, "nobody-here", "whatever-password")
    wrong = login(client, world.manager.username, "wrong-password")
    assert unknown.status_code == wrong.status_code == 401
    assert "用户名或密码错误" in unknown.get_data(as_text=True)
    assert unknown.get_data(as_text=True).count("用户名或密码错误") == 1
    assert "用户名或密码错误" in wrong.get_data(as_text=True)


def test_deactivated_user_cannot_sign_in_and_loses_session(client, world):
    assert login(client, world.collector.username).status_code == 302
    services.set_active(world.collector, False, world.admin)
    db.session.commit()
    assert client.get("/collector/").status_code == 302  # the session no longer loads a user
    response = login(client, world.collector.username)
    assert response.status_code == 401
    assert "此账号已停用" in response.get_data(as_text=True)


def test_ten_failures_then_429_per_account(make_app):
    app = make_app()
    with app.app_context():
        make_user("victim", Role.ADMIN)
        db.session.commit()
    client = app.test_client()
    for _ in range(10):
        assert login(client, "victim", "wrong-password").status_code == 401
    response = login(client, "victim", PASSWORD)  # even the right password waits now
    assert response.status_code == 429
    assert "尝试次数过多" in response.get_data(as_text=True)
    # The API token endpoint shares the same allowance.
    api = client.post("/api/v1/tokens", json={"username": "victim", "password": PASSWORD})
    assert api.status_code == 429
    assert api.get_json()["error"]["code"] == "too_many_requests"


def test_ten_failures_from_one_address_then_429_for_any_account(make_app):
    app = make_app()
    client = app.test_client()
    for number in range(10):
        assert login(client, f"guess{number}", "wrong-password").status_code == 401
    assert login(client, "someone-else", "wrong-password").status_code == 429


def test_successful_logins_do_not_count(make_app):
    app = make_app()
    with app.app_context():
        make_user("regular", Role.ADMIN)
        db.session.commit()
    for _ in range(12):
        client = app.test_client()
        assert login(client, "regular").status_code == 302


def test_form_without_csrf_token_is_refused_with_a_clear_page(client, world):
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400
    assert "安全令牌" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"],
)
def test_next_never_leaves_the_site(client, world, target):
    response = login(client, world.admin.username, next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"


def test_next_within_the_site_is_followed(client, world):
    response = login(client, world.admin.username, next_url="/admin/users")
    assert response.headers["Location"] == "/admin/users"


def test_forced_password_change_for_admin_created_accounts(client, world):
    user, password = services.create_user(
        {
            "username": "newbie",
            "display_name": "新人",
            "role": "collector",
            "unit_id": world.unit_a.id,
        },
        world.admin,
    )
    db.session.commit()
    assert user.must_change_password and password
    assert login(client, "newbie", password).status_code == 302
    # Every page sends the user to the password form until it is changed.
    for path in ("/home", "/collector/", "/account/tokens"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == "/account/password"
    form = {
        "current_password": password,
        "new_password": "my-own-secret-1",
        "confirm_password": "my-own-secret-1",
        "csrf_token": csrf_token(client, "/account/password"),
    }
    response = client.post("/account/password", data=form)
    assert response.status_code == 302
    assert client.get("/collector/").status_code == 200


def test_password_change_errors_name_the_field(client, world):
    login(client, world.expert.username)
    form = {
        "current_password": "not-my-password",
        "new_password": "short",
        "confirm_password": "short",
        "csrf_token": csrf_token(client, "/account/password"),
    }
    response = client.post("/account/password", data=form)
    assert response.status_code == 422
    assert "当前密码不正确" in response.get_data(as_text=True)
    form["current_password"] = PASSWORD
    response = client.post("/account/password", data=form)
    assert response.status_code == 422
    assert "至少使用 10 个字符" in response.get_data(as_text=True)


def test_password_change_ends_other_sessions(make_app, world):
    app = make_app()
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, world.manager.username)
    login(phone, world.manager.username)
    form = {
        "current_password": PASSWORD,
        "new_password": "a-brand-new-one-2",
        "confirm_password": "a-brand-new-one-2",
        "csrf_token": csrf_token(laptop, "/account/password"),
    }
    assert laptop.post("/account/password", data=form).status_code == 302
    assert laptop.get("/point/").status_code == 200  # the session that changed it stays
    assert phone.get("/point/").status_code == 302  # the other one must sign in again


def test_logout(client, world):
    login(client, world.manager.username)
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/point/")})
    assert response.status_code == 302
    assert client.get("/point/").status_code == 302


def test_tokens_page_shows_token_once_and_revokes(client, world):
    login(client, world.collector.username)
    token = csrf_token(client, "/account/tokens")
    created = client.post("/account/tokens", data={"name": "手机脚本", "csrf_token": token})
    html = created.get_data(as_text=True)
    assert created.status_code == 200 and "cst_" in html
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert "手机脚本" in listing
    raw = html.split('value="cst_')[1].split('"')[0]
    assert "cst_" + raw not in listing  # never shown again
    api = client.get("/api/v1/me", headers={"Authorization": f"Bearer cst_{raw}"})
    assert api.status_code == 200
    token_id = world.collector.tokens[0].id if world.collector.tokens else None
    db.session.expire_all()
    token_id = world.collector.tokens[0].id
    response = client.post(
        f"/account/tokens/{token_id}/revoke",
        data={"csrf_token": csrf_token(client, "/account/tokens")},
    )
    assert response.status_code == 302
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer cst_{raw}"}).status_code == 401
    )


def test_language_switch(client, world):
    home = client.get("/").get_data(as_text=True)
    assert 'lang="zh-Hans"' in home and "基层立法联系点工作平台" in home
    token = csrf_token(client)
    client.post("/language", data={"lang": "en", "next": "/", "csrf_token": token})
    english = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in english and "Grassroots legislative contact point platform" in english
