"""An expert merges the point's comments into a suggestion; the manager approves, submits
and downloads the report; search finds the suggestion — in Chromium, against gunicorn."""

from __future__ import annotations

import io
import re
import zipfile

from docx import Document

from tests.e2e.test_collect_on_phone import sign_in


def open_review(page, base):
    page.goto(base + "/tasks/")
    page.get_by_role("link", name=re.compile("养犬管理条例（草案）》（二审稿）")).click()
    page.get_by_role("link", name="审读与建议").click()
    assert page.get_by_role("heading", name="审读与建议").is_visible()


def test_review_submit_and_download_the_report(live_server, page_factory):
    expert = page_factory(1280, 900)
    sign_in(expert, live_server, "zhuanjia1")
    open_review(expert, live_server)
    boxes = expert.locator("input[name=comment_ids]")
    assert boxes.count() >= 12
    for index in range(boxes.count()):
        boxes.nth(index).check()
    expert.get_by_label("条款", exact=True).fill("第九条第一款")
    expert.get_by_label("修改建议").fill("犬只登记可以在网上办理，有效期为三年。")
    rationale = "<p>方便群众</p><script>document.title='x'</script>"
    expert.get_by_label("理由", exact=True).fill(rationale)
    expert.get_by_role("button", name="写成建议").click()
    assert expert.get_by_text("建议已写好。").is_visible()
    assert expert.locator("del, ins").count() > 0  # the wording as a diff of the clause
    assert expert.title() != "x"
    assert expert.console_errors == []

    manager = page_factory(1280, 900)
    sign_in(manager, live_server, "dianzhang")
    open_review(manager, live_server)
    manager.get_by_role("button", name="审定").click()
    assert manager.get_by_text("建议已审定。").is_visible()
    manager.get_by_role("button", name="报送汇总表").click()
    assert manager.get_by_text("汇总表已报送。").is_visible()
    assert manager.get_by_text(re.compile("编号 \\d{8}-T")).is_visible()
    with manager.expect_download() as download:
        manager.get_by_role("link", name="汇总表（Word）").click()
    with open(download.value.path(), "rb") as fh:
        data = fh.read()
    assert zipfile.is_zipfile(io.BytesIO(data))
    document = Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "犬只登记可以在网上办理，有效期为三年。" in cells

    # the legislature's staff now find the submitted suggestion by searching
    staff = page_factory(1280, 900)
    sign_in(staff, live_server, "fgw.li")
    staff.goto(live_server + "/search/?q=有效期+三年&kind=suggestion")
    assert staff.locator("mark.hit").first.is_visible()
    assert staff.console_errors == []
