"""Segmentation, positions and folding: what makes Chinese phrase search work."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.qparser import QueryParser

from consult.search.analysis import ChineseAnalyzer, fold, tokens, words


def test_fine_words_share_the_position_of_their_word():
    found = [(w, p) for w, p, _s, _e in tokens("电动自行车充电", for_query=False)]
    assert found[:1] == [("电动", 0)]
    assert ("自行车", 1) in found and ("自行", 1) in found and ("行车", 1) in found
    assert ("充电", 2) in found
    assert [w for w, _p, _s, _e in tokens("电动自行车", for_query=True)] == ["电动", "自行车"]


def test_traditional_and_full_width_fold():
    assert fold("養犬登記") == "养犬登记"
    assert fold("ＡＢＣ１２３") == "ABC123"
    assert words("養犬登記，") == words("养犬登记")


def make_index(texts):
    schema = Schema(id=ID(stored=True), body=TEXT(analyzer=ChineseAnalyzer(), phrase=True))
    index = RamStorage().create_index(schema)
    with index.writer() as writer:
        for number, text in enumerate(texts):
            writer.add_document(id=str(number), body=text)
    return index


def search(index, query):
    parser = QueryParser("body", index.schema)
    parser.schema["body"].multitoken_query = "and"
    with index.searcher() as searcher:
        return sorted(hit["id"] for hit in searcher.search(parser.parse(query), limit=None))


def test_phrases_words_fragments_and_traditional_queries():
    index = make_index([
        "建议规范电动自行车充电管理。",  # 0
        "楼道里不得停放自行车，电动车充电要有专门场所。",  # 1
        "養犬登記應當簡化。",  # 2 (traditional)
        "犬只登记和养犬管理。",  # 3
    ])  # fmt: skip
    assert search(index, '"电动自行车充电"') == ["0"]
    assert search(index, '"电动自行车"') == ["0"]
    assert search(index, "自行车") == ["0", "1"]
    assert search(index, "行车") == ["0", "1"]  # a fragment finds the longer word
    assert search(index, "充电") == ["0", "1"]
    assert search(index, '"养犬登记"') == ["2"]  # simplified phrase, traditional text
    assert search(index, "养犬登记") == ["2", "3"]  # words: AND, anywhere in the text
    assert search(index, "養犬") == ["2", "3"]  # traditional query, both texts
    assert search(index, '"养犬管理"') == ["3"]
    assert search(index, "登记 NOT 简化") == ["3"]


def test_fold_equals_nfkc_then_simplified_on_every_kind_of_character():
    import unicodedata

    from consult.search.analysis import _converter

    samples = [
        "Ｈｅｌｌｏ　ＷＯＲＬＤ，１２３。",  # full-width ASCII and the ideographic space
        "①②㈠㊀ﬁ™㎏",  # compatibility characters only NFKC maps
        "Ａ\u0301e\u0301",  # a full-width letter before a combining accent composes
        "養犬登記：電動自行車應當集中充電",
        "",
    ]
    for text in samples:
        assert fold(text) == _converter().convert(unicodedata.normalize("NFKC", text)), text


def test_one_segmentation_gives_the_accurate_words_and_their_parts():
    import rjieba

    from consult.search.analysis import analyse

    text = "中华人民共和国电动自行车管理条例，与相关法规保持一致。第十二条"
    found, accurate = analyse(text)
    # The accurate words are exactly what accurate mode gives on its own.
    assert accurate == [w for w, _s, _e in rjieba.tokenize(text) if w not in "，。"]
    # Each finer part follows its word, at its position and inside its characters.
    words_at = {}
    for word, position, start, end in found:
        if position not in words_at:
            words_at[position] = (word, start, end)
            continue
        owner, owner_start, owner_end = words_at[position]
        assert owner_start <= start and end <= owner_end and word in owner, (word, owner)
    # Search mode yields 保持 and 一致 before 保持一致: they are still its parts.
    assert [w for w, p, _s, _e in found if p == 7] == ["保持一致", "保持", "一致"]


LAWCORPUS = Path(__file__).resolve().parents[3] / "shared" / "lawcorpus"


def test_index_words_gives_what_analyse_gives_on_real_laws():
    """The bulk writer's reading of a text (accurate words, finer words learnt once per word)
    is the analyser's: the same words at the same positions, on every line of the law corpus."""
    from consult.search.analysis import analyse, index_words

    texts = [
        "中华人民共和国电动自行车管理条例，与相关法规保持一致。第十二条",
        "養犬登記：電動自行車應當集中充電 ＡＢＣ abc",
        "哈哈哈哈哈哈，管理条例管理条例",
        "",
    ]
    files = sorted(LAWCORPUS.glob("*/*.txt")) + sorted(LAWCORPUS.glob("*/*.md"))
    for path in files:
        texts += path.read_text(encoding="utf-8").splitlines()
    if not files:
        pytest.skip(f"the law corpus is not at {LAWCORPUS} (it comes with ../shared)")
    for text in texts:
        tokens_, accurate = analyse(text)
        words_, parts = index_words(text)
        assert words_ == accurate, text
        rebuilt = []
        for position, word in enumerate(words_):
            rebuilt += [(word, position)] + [(part, position) for part in parts[word]]
        assert rebuilt == [(word, position) for word, position, _s, _e in tokens_], text
    assert len(texts) > 1000
