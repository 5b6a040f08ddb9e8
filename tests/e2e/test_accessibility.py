"""axe-core (vendored from npm) on the pages of every demo role, on a desktop and on a
390-px phone: no serious or critical WCAG 2.1 A/AA violation. The pages showing stored
text are also checked by the XSS suite, which runs axe on each of them."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import accessibility_problems
from tests.e2e.test_xss import sign_in

PAGES = {
    None: ["/login", "/"],
    "admin": ["/admin/", "/admin/users", "/admin/users/new", "/admin/points", "/admin/units",
              "/admin/legislatures/new", "/account/password", "/account/tokens"],
    "fgw.li": ["/legislature/", "/drafts/", "/drafts/new", "/tasks/", "/tasks/new", "/inbox/",
               "/stats/", "/search/?q=养犬"],
    "dianzhang": ["/point/", "/tasks/", "/stats/?by=unit", "/notifications/"],
    "zhuanjia1": ["/point/", "/tasks/"],
    "caiji01": ["/collector/", "/tasks/", "/notifications/"],
}  # fmt: skip


def task_pages(page, base: str) -> list[str]:
    """The open demo task's own pages, found by following the task list's link."""
    page.goto(base + "/tasks/")
    link = page.get_by_role("link", name=re.compile("（二审稿）")).first
    task = link.get_attribute("href")
    return [task, task + "/comments", task + "/comments/new", task + "/heatmap", task + "/review"]


@pytest.mark.parametrize("width", [1280, 390])
def test_every_roles_pages_have_no_serious_accessibility_violation(
    live_server, page_factory, width
):
    problems, checked = {}, 0
    for username, paths in PAGES.items():
        page = page_factory(width, 900)
        if username:
            sign_in(page, live_server, username)
        if username in ("dianzhang", "caiji01", "zhuanjia1"):
            paths = paths + task_pages(page, live_server)
        for path in paths:
            response = page.goto(live_server + path)
            if response.status >= 400:  # a page the role may not open (e.g. an expert's
                page.console_errors.clear()  # recording form): its refusal is not checked
                continue
            checked += 1
            found = accessibility_problems(page)
            if found:
                problems[f"{username} {path}"] = found
        assert page.console_errors == []
    assert problems == {} and checked >= 35
