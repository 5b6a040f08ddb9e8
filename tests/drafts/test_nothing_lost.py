"""Property: whatever the input, every non-whitespace character ends up in exactly one place."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consult.drafts.legal_text import int_to_cn, parse, resolve


def non_space(text: str) -> Counter:
    return Counter(ch for ch in text if not ch.isspace())


def check(text: str) -> None:
    document = parse(text)
    assert non_space("".join(document.pieces())) == non_space(text)
    for node in document.walk():
        assert resolve(document, node.citation) is node


numbers = st.integers(min_value=1, max_value=130)
cjk = st.text(
    alphabet="养犬人应当依法登记管理部门规定的情形和要求本条例市区县政府", min_size=1, max_size=30
)
spaces = st.sampled_from(["", " ", "　", "　　", "\t", " \u3000 "])
ends = st.sampled_from(["。", "；", "：", "", "，", "”"])


@st.composite
def lines(draw) -> str:
    kind = draw(st.sampled_from(
        ["chapter", "section", "part", "article", "article_ar", "insert", "item", "subitem",
         "subitem2", "enum", "plain", "quoted", "toc", "annex", "history", "markdown", "html",
         "blank", "glued", "caption", "date", "page", "enum_in_article"]
    ))  # fmt: skip
    n = draw(numbers)
    cn = int_to_cn(n)
    body = draw(cjk) + draw(ends)
    sp = draw(spaces)
    return {
        "chapter": f"第{cn}章{sp}{draw(cjk)}",
        "section": f"{sp}第{cn}节{sp}{draw(cjk)}",
        "part": f"第{cn}编{sp}{draw(cjk)}",
        "article": f"第{cn}条{sp or '　'}{body}",
        "article_ar": f"第{n}条 {body}",
        "insert": f"第{cn}条之{int_to_cn(draw(st.integers(1, 3)))}　{body}",
        "item": f"（{int_to_cn(draw(st.integers(1, 12)))}）{body}",
        "subitem": f"{draw(st.integers(1, 9))}{draw(st.sampled_from(['.', '．', '、']))}{body}",
        "subitem2": f"（{draw(st.integers(1, 9))}）{body}",
        "enum": f"{int_to_cn(draw(st.integers(1, 12)))}、{body}",
        "plain": body,
        "quoted": f"“第{cn}条　{body}",
        "toc": "目　　录",
        "annex": f"附件{draw(st.sampled_from(['', '1', '：', '一：']))}{draw(cjk)}",
        "history": f"（{2000 + n % 25}年{n % 12 + 1}月1日通过）",
        "markdown": f"{draw(st.sampled_from(['#', '##', '###', '>']))} {draw(cjk)}",
        "html": f"<p>{body}</p><!-- 注 -->",
        "blank": "",
        "glued": f"{body}第{cn}条　{draw(cjk)}。",
        "caption": f"第{cn}条（{draw(cjk)[:8]}）{body}",
        "date": f"{2000 + n % 25}年{n % 12 + 1}月{n % 28 + 1}日",
        "page": draw(st.sampled_from([f"- {n} -", f"第 {n} 页", f"第{n}页 共{n + 3}页"])),
        "enum_in_article": f"{int_to_cn(draw(st.integers(1, 9)))}、{body}",
    }[kind]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines(), max_size=40), st.booleans(), st.booleans())
def test_generated_documents(body, bom, crlf):
    newline = "\r\n" if crlf else "\n"
    check(("\ufeff" if bom else "") + newline.join(body))


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list(
                "第一二三十百条章节编款项目之（）()、．.1２：；。“”【】#<>*_- \n\u3000附件目录甲乙"
            )
        ),
        max_size=200,
    )
)
def test_arbitrary_text(text):
    check(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_any_unicode(text):
    check(text)
