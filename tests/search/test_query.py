"""The search language, and how it compiles for each engine (no database needed)."""

from __future__ import annotations

from consult.search.documents import make_document
from consult.search.postgres_backend import tsvector_literal
from consult.search.query import Unit, excluded_tsquery, parse, quote_lexeme, to_tsquery
from consult.search.whoosh_backend import WhooshBackend


def test_words_are_anded_and_a_run_of_chinese_is_segmented():
    parsed = parse("养犬登记  充电")
    assert parsed.groups == [[Unit(("养犬", "登记"))], [Unit(("充电",))]]
    assert to_tsquery(parsed) == "(('养犬' & '登记')) & (('充电'))"


def test_phrases_or_and_exclusions():
    parsed = parse('“电动自行车” OR 充电桩 -楼道 NOT "集中充电" 或 停车')
    assert parsed.groups == [[
        Unit(("电动", "自行车"), phrase=True), Unit(("充电", "桩")), Unit(("停车",)),
    ]]  # fmt: skip
    assert parsed.excluded == [Unit(("楼道",)), Unit(("集中", "充电"), phrase=True)]
    assert excluded_tsquery(parsed) == "('楼道') | ('集中' <-> '充电')"


def test_traditional_full_width_and_case_fold_to_the_index_form():
    assert parse("養犬 ＡＢＣ").groups == [[Unit(("养犬",))], [Unit(("abc",))]]


def test_punctuation_alone_and_empty_queries_mean_no_words():
    assert parse("，。！ - OR").empty and parse("").empty
    assert to_tsquery(parse("，。")) is None


def test_quotes_in_a_lexeme_cannot_break_the_tsquery():
    assert quote_lexeme("it's") == "'it''s'" and quote_lexeme("a\\b") == "'a\\\\b'"


def test_tsvector_positions_follow_accurate_words_with_fragments_beside_them():
    literal = tsvector_literal("电动自行车充电")
    # 电动(1) 自行车(2) with its fragments 自行/行车 at 2, then 充电(3)
    assert "'电动':1" in literal and "'自行车':2" in literal and "'自行':2" in literal
    assert "'充电':3" in literal


def test_an_empty_filter_set_finds_nothing_rather_than_everything(tmp_path):
    backend = WhooshBackend(str(tmp_path))
    with backend.writer() as writer:
        writer.upsert([make_document("comment", 1, "噪声扰民", day=20261101,
                                     audience=["point:1"], point_id=1)])  # fmt: skip
    found = backend.search(parse("噪声"), audiences=["point:1"], filters={"point_id": 2})
    assert found.total == 0 and found.hits == []
    assert backend.search(parse("噪声"), audiences=["point:2"]).total == 0
    reopened = WhooshBackend(str(tmp_path)).search(parse("噪声"), audiences=["point:1"])
    assert [hit.key for hit in reopened.hits] == ["comment:1"]
