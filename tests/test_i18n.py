"""The interface is Chinese first; every message has a Chinese translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "consult/translations/zh_Hans/LC_MESSAGES/messages.po"


def test_every_message_in_the_code_is_translated(tmp_path):
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            str(ROOT),
        ]
    )
    with pot.open("rb") as fh:
        extracted = {m.id for m in read_po(fh) if m.id}
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(str(m) for m in extracted - translated)
    assert not missing, "untranslated (run `make extract-messages` and translate): " + repr(missing)


def test_front_page_is_chinese_by_default(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html
    assert "基层立法联系点工作平台" in html
    assert "登录" in html


def test_api_errors_follow_the_language_too(client):
    assert client.get("/api/v1/nope").get_json()["error"]["message"] == "您要找的页面或对象不存在。"
