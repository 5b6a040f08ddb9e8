"""The start of the workflow in Chromium: legislature staff paste a draft, read it, publish it
and open a task for the point; the manager hands it to a unit; a collector of that unit
finds it on a 390-px phone and records a comment on a clause of the new draft.

(The later steps, on the demo's task: test_review_in_browser.py and
test_adoption_in_browser.py.)
"""

from __future__ import annotations

import re

from tests.e2e.test_collect_on_phone import record_on_phone, sign_in

TITLE = "北碚区社区电动自行车停放充电管理办法（草案）"
TEXT = """北碚区社区电动自行车停放充电管理办法（草案）

第一条　为了规范社区电动自行车停放和充电，预防火灾事故，制定本办法。
第二条　物业服务人应当在小区内设置集中停放和充电场所。
禁止在楼道、楼梯间和安全出口停放电动自行车或者为其充电。
第三条　违反本办法第二条第二款规定的，由街道办事处责令改正。
第四条　本办法自公布之日起施行。
"""
TASK = "关于征求电动自行车停放充电管理办法（草案）意见的通知"


def choose(select, text: str) -> None:
    """Pick the option of ``select`` whose label contains ``text``, as a user would."""
    select.select_option(select.locator("option", has_text=text).first.get_attribute("value"))


def test_staff_publish_and_open_a_task_the_collector_answers_on_a_phone(live_server, page_factory):
    staff = page_factory(1280, 900)
    sign_in(staff, live_server, "fgw.li")
    staff.goto(live_server + "/drafts/new")
    staff.get_by_label("标题").fill(TITLE)
    staff.get_by_label("版本", exact=True).fill("征求意见稿")
    staff.get_by_label("……或粘贴文本").fill(TEXT)
    staff.get_by_role("button", name="读取文本").click()
    assert staff.get_by_text("禁止在楼道、楼梯间和安全出口停放电动自行车").is_visible()
    staff.get_by_role("button", name="发布此版本").click()
    assert staff.get_by_text(re.compile("已发布")).first.is_visible()

    staff.goto(live_server + "/tasks/new")
    choose(staff.get_by_label("草案版本"), "电动自行车")
    staff.get_by_label("标题").fill(TASK)
    staff.get_by_label("截止时间").fill("2099-12-31T18:00")
    choose(staff.get_by_label("联系点"), "基层立法联系点")
    staff.get_by_role("button", name="发起任务").click()
    assert staff.get_by_role("heading", name=TASK).is_visible()
    assert staff.console_errors == []

    manager = page_factory(1280, 900)
    sign_in(manager, live_server, "dianzhang")
    manager.get_by_role("link", name=TASK).click()
    manager.get_by_label("单位").select_option(label="北碚区总工会")
    manager.get_by_role("button", name="分派任务").click()
    assert manager.get_by_text("北碚区总工会").first.is_visible()
    assert manager.console_errors == []

    phone = page_factory(390, 844)
    sign_in(phone, live_server, "caiji01")  # a collector of 北碚区总工会
    phone.get_by_role("link", name=TASK).click()
    record_on_phone(phone, "第二条第二款", "楼道禁止充电要配套建设充电桩，否则难以执行。")
    assert phone.console_errors == []
