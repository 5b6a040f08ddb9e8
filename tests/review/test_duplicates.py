"""Duplicate groups: exact copies, templates with a personal sentence, small rewrites."""

from __future__ import annotations

from consult.review.duplicates import group

TEMPLATE = (
    "我们社区的居民普遍反映，第十二条第二款中“犬只应当牵引”的表述过于原则，建议明确牵引绳的"
    "长度不超过一点五米，并规定在电梯、楼道等公共区域应当怀抱或者收紧牵引绳，便于基层执法。"
)


def test_exact_copies_group_whatever_the_width_script_or_punctuation():
    grouping = group([
        (1, "建议养犬登记免费办理。"),
        (2, "建议養犬登記免費辦理！"),
        (3, "建议 养犬登记 免费办理"),
        (4, "烈性犬目录应当向社会公开。"),
    ])  # fmt: skip
    assert [(g.ids, g.exact) for g in grouping.groups] == [([1, 2, 3], True)]
    assert grouping.raw == 4 and grouping.distinct == 2


def test_a_template_with_a_personal_sentence_joins_its_template():
    personal = "我母亲今年八十岁了，每天傍晚在小区散步时都被没有牵绳的大型犬吓到过好几次，很担心。"
    grouping = group([(10, TEMPLATE), (11, TEMPLATE + personal), (12, personal + TEMPLATE)])
    assert [(g.ids, g.exact) for g in grouping.groups] == [([10, 11, 12], False)]


def test_small_rewrites_join_and_different_comments_on_the_same_clause_do_not():
    rewrite = TEMPLATE.replace("普遍", "大都").replace("便于", "以便")
    other = (
        "第十二条第二款规定犬只应当牵引，但没有区分农村和城市。农村散养犬只较多，建议授权区县"
        "政府根据实际划定重点管理区域，其他区域可以适当放宽，避免一刀切。"
    )
    grouping = group([(1, TEMPLATE), (2, rewrite), (3, other)])
    assert [g.ids for g in grouping.groups] == [[1, 2]]
    assert grouping.distinct == 2


def test_no_comment_is_lost_or_counted_twice():
    texts = [TEMPLATE, TEMPLATE, "总体赞成。", "总体赞成。", "没有意见", "建议增加罚则。"]
    grouping = group(list(enumerate(texts, start=1)))
    grouped = [i for g in grouping.groups for i in g.ids]
    assert len(grouped) == len(set(grouped))
    assert sorted(grouped) == [1, 2, 3, 4]
    assert grouping.distinct == 4 and group([]).distinct == 0
