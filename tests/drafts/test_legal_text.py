"""The parser on texts written to show each defect real files have."""

from __future__ import annotations

from collections import Counter

import pytest

from consult.drafts.legal_text import CitationError, cn_to_int, int_to_cn, parse, resolve


def non_space(text: str) -> Counter:
    return Counter(ch for ch in text if not ch.isspace())


def lossless(text: str):
    document = parse(text)
    assert non_space("".join(document.pieces())) == non_space(text)
    return document


def codes(document) -> list[str]:
    return [w.code for w in document.warnings]


@pytest.mark.parametrize(
    ("text", "value"),
    [("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("一百零一", 101), ("一百一十", 110),
     ("一千二百六十", 1260), ("两千", 2000), ("12", 12), ("１２", 12), ("一万零一", 10001)],
)  # fmt: skip
def test_numerals_both_ways(text, value):
    assert cn_to_int(text) == value
    if not text.isdigit() and "两" not in text:
        assert int_to_cn(value) == text


def test_national_law_as_published():
    text = (
        "\ufeff\r\n中华人民共和国示范法\r\n\r\n（2021年8月20日第十三届全国人民代表大会常务委员会"
        "第三十次会议通过）\r\n\r\n目　　录\r\n第一章　总　　则\r\n第二章　登记管理\r\n"
        "　　第一节　一般规定\r\n第三章　附　　则\r\n\r\n第一章　总　　则\r\n\r\n"
        "第一条　为了规范登记管理，制定本法。\r\n"
        "第二章　登记管理\r\n第一节　一般规定\r\n"
        "第二条　养犬人应当遵守下列规定：\r\n（一）办理登记；\r\n（二）按时免疫。\r\n"
        "违反前款规定的，依法处理。\r\n"
        "第三章　附　　则\r\n第三条　本法自2022年1月1日起施行。\r\n"
    )
    document = lossless(text)
    assert document.title == "中华人民共和国示范法"
    assert document.history[0].text.startswith("（2021年8月20日")
    assert len(document.toc) == 5  # 目录 and four headings, no nodes
    counts = document.counts()
    assert (counts["chapter"], counts["section"], counts["article"]) == (3, 1, 3)
    chapter = document.nodes[0]
    assert (chapter.label, chapter.heading, chapter.citation) == ("第一章", "总则", "第一章")
    section = resolve(document, "第二章第一节")
    assert section.heading == "一般规定" and section.citation == "第二章第一节"
    item = resolve(document, "第二条第一款第（二）项")
    assert item.text == "按时免疫。"
    assert resolve(document, "第二条第二款").text == "违反前款规定的，依法处理。"
    assert document.warnings == []


def test_heading_without_separator_and_markdown():
    text = (
        "# 某市养犬管理条例\n\n2020年4月7日 某市人民代表大会常务委员会通过\n\n<!-- INFO END -->\n\n"
        "## 第一章总则\n\n**第一条** 为了规范养犬行为，制定本条例。\n\n"
        "## 第二章 <b>养犬登记</b>\n\n第2条 犬只应当登记。<br>\n"
    )
    document = lossless(text)
    assert document.title == "某市养犬管理条例"
    assert [n.heading for n in document.nodes] == ["总则", "养犬登记"]
    assert resolve(document, "第2条").children[0].text == "犬只应当登记。"
    assert document.history and not document.preamble


def test_title_wrapped_over_two_lines():
    text = (
        "全国人民代表大会常务委员会关于加强\n经济工作监督的决定\n\n（2000年3月1日通过）\n\n"
        "为更好地履行职责，作如下决定：\n一、加强监督。\n二、加强审查：\n"
        "（一）初步审查；\n（二）跟踪监督。\n"
    )
    document = lossless(text)
    assert document.title == "全国人民代表大会常务委员会关于加强经济工作监督的决定"
    assert document.preamble[0].text.startswith("为更好地履行职责")
    assert document.counts()["enum_section"] == 2
    assert document.counts()["article"] == 0
    # Sections numbered 一、二、 are cited as articles of the decision.
    assert resolve(document, "第二条第（二）项").text == "跟踪监督。"


def test_amendment_quotes_are_instruction_text_not_articles():
    text = (
        "某法修正案\n\n"
        "一、将第五条修改为：“第五条　国家保护公民权利。\n“有关部门应当依法履职。”\n"
        "二、在第十二条后增加一条，作为第十二条之一：\n“第十二条之一　禁止虐待动物。”\n"
        "三、本修正案自公布之日起施行。\n"
    )
    document = lossless(text)
    counts = document.counts()
    assert counts["article"] == 0 and counts["enum_section"] == 3
    second = document.nodes[1]
    assert "“第十二条之一　禁止虐待动物。”" in second.full_text()


def test_article_inserts_and_captions():
    text = (
        "第一条（立法目的）为了保护动物，制定本条例。\n"
        "第二条　【适用范围】本条例适用于本市。\n"
        "第二条之一　本市设立动物保护基金。\n第二条之二　基金依法使用。\n"
        "第三条　本条例自公布之日起施行。\n"
    )
    document = lossless(text)
    first = resolve(document, "第一条")
    assert first.heading == "立法目的" and first.children[0].text == "为了保护动物，制定本条例。"
    assert resolve(document, "第二条").heading == "适用范围"
    insert = resolve(document, "第二条之一")
    assert (insert.number, insert.insert, insert.citation) == (2, 1, "第二条之一")
    counts = document.counts()
    assert (counts["article"], counts["article_insert"]) == (5, 2)
    assert document.warnings == []


def test_items_and_subitems_in_every_written_form():
    text = (
        "第一条　收费标准如下：\n（一）财产案件：\n1.不超过1万元的，每件交纳50元；\n"
        "2．超过1万元的部分，按照2.5%交纳；\n（二）补偿费：\n1、幼龄林补偿；\n2、中龄林补偿：\n"
        "（1）按出材量计算；\n（2）按市场价格计算。\n(三)其他费用。\n"
    )
    document = lossless(text)
    assert [n.label for n in document.walk() if n.kind == "item"] == ["（一）", "（二）", "(三)"]
    assert resolve(document, "第一条第一款第（一）项第2目").text.startswith("超过1万元")
    nested = resolve(document, "第一条第（二）项第2目第2目")
    assert nested.text == "按市场价格计算。"
    assert "2.5%" in resolve(document, "第一条第（一）项第2目").text  # 2.5 is not a sub-item
    assert document.warnings == []


def test_parts_restart_chapter_numbers():
    text = (
        "第一编　总则\n第一章　基本规定\n第一条　一。\n第二章　自然人\n第二条　二。\n"
        "第二编　物权\n第一分编　通则\n第一章　一般规定\n第三条　三。\n"
    )
    document = lossless(text)
    assert document.warnings == []
    chapter = resolve(document, "第二编第一分编第一章")
    assert chapter.heading == "一般规定"
    assert chapter.citation == "第二编第一分编第一章"
    with pytest.raises(CitationError, match="不止一处"):
        resolve(document, "第一章")
    assert resolve(document, "第三条").parent is chapter


def test_annex_after_the_last_article():
    text = (
        "第一条　国歌的歌词和曲谱见附件。\n第二条　本法自公布之日起施行。\n\n"
        "附件：中华人民共和国国歌（五线谱版、简谱版）\n一、五线谱版\n二、简谱版\n"
    )
    document = lossless(text)
    assert [a.title for a in document.annexes] == [
        "附件：中华人民共和国国歌（五线谱版、简谱版）".rstrip("：")
    ]
    assert document.counts()["article"] == 2 and document.counts()["enum_section"] == 0
    assert "简谱版" in document.annexes[0].text


def test_recovers_an_article_glued_to_the_previous_paragraph():
    text = (
        "第一条　第一条的内容。\n第二条　第二条的内容。第三条　第三条的内容。\n第四条　第四条。\n"
    )
    document = lossless(text)
    assert document.counts()["article"] == 4
    assert resolve(document, "第三条").children[0].text == "第三条的内容。"
    assert "recovered_glued_article" in codes(document)
    # a reference to an article inside a sentence is not split
    text = "第一条　依照第二条 规定执行。\n第二条　内容。\n"
    assert parse(text).counts()["article"] == 2


def test_recovers_a_space_inside_the_article_number():
    document = lossless("第十四条　甲。\n第十五 条　乙。\n第十六条　丙。\n")
    assert resolve(document, "第十五条").children[0].text == "乙。"
    warning = next(w for w in document.warnings if w.code == "recovered_spaced_number")
    assert warning.line == 2


def test_gap_in_numbering_is_a_precise_warning():
    document = lossless("第二十九条　甲。\n第三十条　乙。\n第三十二条　丙。\n")
    warning = next(w for w in document.warnings if w.code == "numbering_gap" and w.line == 3)
    assert (warning.expected, warning.found) == ("第三十一条", "第三十二条")
    assert "第三十条之后应为第三十一条" in warning.message


def test_heading_out_of_order_warns():
    document = lossless("第一节　一般规定\n第一条　甲。\n")
    assert "heading_out_of_order" in codes(document)


def test_text_that_fits_nowhere_is_kept_and_flagged():
    document = lossless("第一章　总则\n本章说明文字。\n第一条　甲。\n")
    assert document.unplaced[0].text == "本章说明文字。"
    warning = next(w for w in document.warnings if w.code == "unplaced_text")
    assert warning.line == 2


def test_wrapped_lines_are_joined():
    document = lossless(
        "第一条　为了规范养犬行为，保障公民健康\n和人身安全，制定本条例。\n第二条　乙。\n"
    )
    assert (
        resolve(document, "第一条第一款").text
        == "为了规范养犬行为，保障公民健康和人身安全，制定本条例。"
    )
    assert "joined_wrapped_line" in codes(document)


def test_continuation_lines_of_an_item():
    text = (
        "第一条　在下列场合，应当奏唱国歌：\n（一）全国人民代表大会会议的开幕、闭幕；\n"
        "中国人民政治协商会议全国委员会会议的开幕、闭幕；\n（二）宪法宣誓仪式。\n"
    )
    document = lossless(text)
    assert document.warnings == []
    first = resolve(document, "第一条第（一）项")
    assert "中国人民政治协商会议" in first.text
    assert resolve(document, "第一条第一款第（二）项").text == "宪法宣誓仪式。"


def test_citation_forms():
    text = "第十二条　甲：\n（一）一；\n（二）二；\n（三）三。\n第二款内容。\n第十二条之一　乙。\n"
    document = parse(text)
    item = resolve(document, "第十二条第一款第（三）项")
    for form in (
        "第十二条第一款第三项",
        "第12条第1款第3项",
        "第十二条第（三）项",
        " 第 十二 条 第 (三) 项 ",
    ):
        assert resolve(document, form) is item
    assert resolve(document, "第十二条之一").insert == 1


@pytest.mark.parametrize(
    ("cite", "reason"),
    [
        ("第十二条第三款", "第十二条只有二款"),
        ("第十三条", "没有第十三条"),
        ("第十二条第二款第（一）项", "没有分项"),
        ("第二章", "没有第二章"),
        ("第十二条第一款第（九）项", "只有三项"),
        ("第十二", "无法识别"),
        ("第一款第十二条", "顺序不对"),
        ("", "引用为空"),
    ],
)
def test_citation_errors_say_why(cite, reason):
    document = parse("第十二条　甲：\n（一）一；\n（二）二；\n（三）三。\n第二款内容。\n")
    with pytest.raises(CitationError, match=reason):
        resolve(document, cite)


def test_single_paragraph_article_error_names_one():
    document = parse("第十二条　只有一款。\n")
    with pytest.raises(CitationError, match="第十二条只有一款"):
        resolve(document, "第十二条第二款")


def test_empty_and_structureless_text():
    assert parse("").counts()["article"] == 0
    document = lossless("根据有关法律，作如下决定。\n本决定自公布之日起施行。\n")
    assert document.counts() == {k: 0 for k in document.counts()}


def test_constitution_style_preface_goes_to_the_preamble():
    text = (
        "中华人民共和国宪法\n\n（1982年12月4日第五届全国人民代表大会第五次会议通过）\n\n"
        "目　　录\n序　　言\n第一章　总　　纲\n\n序　　言\n\n中国是世界上历史最悠久的国家之一。\n"
        "本宪法以法律的形式确认了中国各族人民奋斗的成果。\n\n第一章　总　　纲\n\n"
        "第一条　中华人民共和国是社会主义国家。\n"
    )
    document = lossless(text)
    assert [b.text for b in document.preamble][1].startswith("中国是世界上")
    assert document.counts()["chapter"] == 1 and document.warnings == []


def test_heading_on_the_line_after_the_number():
    document = lossless("第一章\n总则\n第一条　甲。\n第二章\n附则\n第二条　乙。\n")
    assert [n.heading for n in document.nodes] == ["总则", "附则"]
    assert document.unplaced == [] and document.warnings == []


def test_items_numbered_like_sections_inside_an_article():
    document = lossless(
        "第一条　本条例下列用语的含义：\n一、养犬人，是指饲养犬只的人；\n二、烈性犬，是指大型犬。\n"
    )
    items = [n for n in document.walk() if n.kind == "item"]
    assert [i.label for i in items] == ["一、", "二、"]
    assert resolve(document, "第一条第二项") is items[1]


def test_closing_signature_and_date_stay_out_of_the_last_article():
    text = (
        "第一条　甲。\n第二条　本条例自公布之日起施行。\n\n"
        "重庆市人民代表大会常务委员会\n2021年3月31日\n"
    )
    document = lossless(text)
    assert [b.text for b in document.closing] == ["重庆市人民代表大会常务委员会", "2021年3月31日"]
    assert resolve(document, "第二条").full_text() == "本条例自公布之日起施行。"


def test_page_numbers_from_printed_copies_are_dropped_and_paragraphs_rejoined():
    text = (
        "第一条　为了规范养犬行为，保障公民\n- 3 -\n健康，制定本条例。\n"
        "第 2 页 共 9 页\n第二条　乙。\n"
    )
    document = lossless(text)
    assert resolve(document, "第一条第一款").text == "为了规范养犬行为，保障公民健康，制定本条例。"
    assert document.counts()["article"] == 2
