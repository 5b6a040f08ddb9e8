"""A collector records comments on a 390-px phone; the manager sees them on a desktop."""

from __future__ import annotations

import re

from playwright.sync_api import expect

PASSWORD = "consult-demo"


def sign_in(page, base, username):
    page.goto(base + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def record_on_phone(phone, clause, body, *, channel=None, people=None):
    """From a task's page: record a comment on ``clause``; the form fits the phone's width."""
    phone.get_by_role("link", name="录入意见").click()
    phone.get_by_label("条款").fill(clause)
    phone.get_by_label("意见内容").fill(body)
    if channel:
        phone.get_by_label("收集方式").select_option(channel)
    if people:
        phone.get_by_label("代表人数").fill(str(people))
    phone.get_by_role("button", name="保存").click()
    assert phone.get_by_text(f"已录入（{clause}）").is_visible()
    # nothing on the page needs more than the phone's width
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"


def test_collector_records_on_a_phone_and_manager_sees_it(live_server, page_factory):
    phone = page_factory(390, 844)
    sign_in(phone, live_server, "caiji01")
    assert phone.url.endswith("/collector/")
    # the home lists the task handed to the collector's unit; open it
    phone.get_by_role("link", name=re.compile("养犬管理条例（草案）》（二审稿）")).click()
    assert phone.get_by_text("截止时间").first.is_visible()
    body = "十五日太短，建议改为三十日，方便老年人办理。"
    record_on_phone(phone, "第九条第一款", body, channel="visit", people=4)
    # the navigation menu opens on a phone (Bootstrap's script runs under the CSP)
    phone.get_by_role("button", name="显示或隐藏菜单").click()
    assert phone.get_by_role("link", name="征求意见任务").is_visible()
    assert phone.console_errors == []

    desk = page_factory(1280, 900)
    sign_in(desk, live_server, "dianzhang")
    desk.get_by_role("link", name=re.compile("养犬管理条例（草案）》（二审稿）")).click()
    desk.get_by_role("link", name=re.compile("本联系点的意见")).click()
    assert desk.get_by_text("十五日太短，建议改为三十日，方便老年人办理。").is_visible()
    assert desk.console_errors == []


def test_keyboard_only_sign_in(live_server, page_factory):
    page = page_factory(1280, 900)
    page.goto(live_server + "/")
    page.keyboard.press("Tab")  # the skip link comes first, and shows itself
    assert page.evaluate("document.activeElement.textContent.trim()") == "跳到主要内容"
    assert page.get_by_text("跳到主要内容").is_visible()
    page.goto(live_server + "/login")
    # the user name field takes the focus by itself; Chromium moves an autofocus at its
    # next rendering update, which may come after the load event, so wait for it (up to
    # the usual 5 s) rather than type into whatever has the focus at load
    expect(page.get_by_label("用户名")).to_be_focused()
    page.keyboard.type("zhuanjia1")
    page.keyboard.press("Tab")
    expect(page.get_by_label("密码")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/point/$"))
    assert page.console_errors == []
