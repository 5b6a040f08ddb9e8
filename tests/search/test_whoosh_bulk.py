"""The rebuild's bulk path writes the index Whoosh's own writer would: posting for posting.

The bulk path (``consult.search.whoosh_bulk``) fills the codec's posting blocks itself, so
these tests compare what a reader sees in an index written each way: every term of every
field with its postings and statistics, every document's stored fields, field lengths and
sort columns, and the answers to the same searches.
"""

from __future__ import annotations

import pytest

from consult.search.documents import make_document
from consult.search.query import parse
from consult.search.whoosh_backend import WhooshBackend, fields_of

SENTENCES = [
    "建议规范电动自行车充电管理，楼道里不得充电。",
    "電動自行車應當集中充電，養犬登記也應當網上辦理。",
    "养犬登记应当免费，登记 登记 登记。",
    "第十二条第二款第（三）项的表述不够明确，与相关法规保持一致。",
    "ＡＢＣ abc Abc 物业服务企业应当公开收费标准。",
    "中华人民共和国电动自行车管理条例",
    "",
]


def documents(count: int) -> list[dict]:
    found = []
    for number in range(1, count + 1):
        a, b = SENTENCES[number % 7], SENTENCES[(number * 3) % 7]
        # a word of this document alone, sometimes twice: terms of one posting, of weight 1
        # and more
        own = f"第{number}号意见" * (1 + number % 2)
        text = "\n".join(p for p in (a, b, own) if p)
        found.append(make_document(
            "comment", number, text, day=20260101 + number % 28,
            audience=[f"point:{number % 3}"] + (["public"] if number % 5 == 0 else []),
            task_id=number % 4, point_id=number % 3, unit_id=None if number % 2 else 7,
            channel=("forum", "visit", "online")[number % 3], status="active",
            citation=None,
        ))  # fmt: skip
    return found


def whoosh_written(path, docs):
    backend = WhooshBackend(str(path))
    with backend.index.writer() as writer:
        for doc in docs:
            writer.add_document(**fields_of(doc))
    return backend


def bulk_written(path, docs, procs):
    backend = WhooshBackend(str(path))
    assert backend.rebuild(None, docs, procs=procs) == len(docs)
    return backend


def everything(reader):
    """What a reader sees: terms with postings and statistics, and each document."""
    schema = reader.schema
    terms = {}
    for field in schema.names():
        if not schema[field].indexed:
            continue
        for term in reader.lexicon(field):
            info = reader.term_info(field, term)
            postings = reader.postings(field, term)
            listed = []
            while postings.is_active():
                listed.append((postings.id(), postings.weight(), postings.value()))
                postings.next()
            stats = (
                info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
                info.max_weight(), info.min_id(), info.max_id(),
            )  # fmt: skip
            terms[(field, term)] = (stats, listed)
    docs = []
    for docnum in range(reader.doc_count_all()):
        lengths = {f: reader.doc_field_length(docnum, f) for f in ("text", "pairs")}
        columns = {
            f: reader.column_reader(f)[docnum]
            for f in schema.names()
            if schema[f].column_type is not None
        }
        docs.append((reader.stored_fields(docnum), lengths, columns))
    return terms, docs


def answers(backend, queries):
    """Totals, facets, scores, and the keys found (where every match is on the page: among
    equal scores, which make the page depends on the order documents were written in)."""
    found = []
    for text in queries:
        result = backend.search(parse(text), audiences=None, per_page=500)
        scores = sorted(round(h.score, 5) for h in result.hits)
        keys = sorted(h.key for h in result.hits) if result.total <= 500 else None
        found.append((result.total, scores, keys))
        filtered = backend.search(parse(text), audiences=["point:1"], per_page=500,
                                  filters={"channel": "visit"}, facets=True)  # fmt: skip
        keys = sorted(h.key for h in filtered.hits) if filtered.total <= 500 else None
        found.append((filtered.total, keys, filtered.facets))
    return found


QUERIES = ["电动自行车", "登记", '"养犬登记"', '"保持一致"', "abc", "充电 -楼道",
           "第十二条", "中华人民共和国", '"电动自行车管理条例"', "应当 OR 免费"]  # fmt: skip


def test_bulk_written_index_equals_whooshs_own_posting_for_posting(tmp_path):
    docs = documents(300)  # common terms span several 128-posting blocks
    ours = bulk_written(tmp_path / "bulk", docs, procs=1)
    theirs = whoosh_written(tmp_path / "whoosh", docs)
    with ours.index.reader() as mine, theirs.index.reader() as reference:
        got, expected = everything(mine), everything(reference)
    assert len(got[0]) == len(expected[0]) > 300
    assert got[0] == expected[0]
    assert got[1] == expected[1]
    assert answers(ours, QUERIES) == answers(theirs, QUERIES)
    blocks = max(stats[1] for stats, _postings in got[0].values())
    assert blocks > 128  # the comparison covered terms of more than one block


def test_several_writing_processes_give_the_same_answers(tmp_path):
    docs = documents(5000)
    ours = bulk_written(tmp_path / "bulk", docs, procs=2)
    assert len(ours.index._segments()) == 2
    theirs = whoosh_written(tmp_path / "whoosh", docs)
    assert ours.count() == theirs.count() == len(docs)
    assert answers(ours, QUERIES) == answers(theirs, QUERIES)
    assert ours.signatures() == theirs.signatures()


def test_a_bulk_written_index_takes_later_changes(tmp_path):
    docs = documents(50)
    ours = bulk_written(tmp_path / "bulk", docs, procs=1)
    changed = make_document("comment", 3, "改成关于停车位的意见", day=20260301,
                            audience=["point:0"], point_id=0, channel="forum")  # fmt: skip
    with ours.writer(wait=True) as writer:
        writer.upsert([changed])
        writer.delete(["comment:4"])
    assert [h.key for h in ours.search(parse("停车位"), audiences=None).hits] == ["comment:3"]
    keys = {h.key for h in ours.search(parse("登记"), audiences=None, per_page=100).hits}
    assert "comment:3" not in keys and "comment:4" not in keys and keys
    assert ours.count() == 49
    # Separate files, not compound ones: a compound segment's term table is copied into
    # memory whenever a reader opens it, which is after every change.
    assert not any(segment.compound for segment in ours.index._segments())


def test_a_failing_writing_process_fails_the_rebuild_and_leaves_the_index(tmp_path, monkeypatch):
    import consult.search.whoosh_bulk as bulk

    monkeypatch.setattr(bulk, "BATCH", 5)
    docs = documents(20)
    ours = bulk_written(tmp_path / "bulk", docs, procs=1)
    broken = {"key": "comment:99", "text": "坏文档", "audience": ["point:1"], "no_such_field": "x"}
    # Failing at the end (the others have written their segments) and at the start (the
    # others are still being sent documents), in this process and in writing processes.
    for stream in ([*documents(6), broken], [broken, *documents(3000)]):
        for procs in (1, 2):
            with pytest.raises((ValueError, RuntimeError)) as failed:
                ours.rebuild(None, stream, procs=procs)
            assert "no_such_field" in str(failed.value)
            assert ours.count() == 20  # the previous index is still the one read
            assert ours.search(parse("登记"), audiences=None).total > 0
    assert sorted(ours.signatures()) == sorted(d["key"] for d in docs)
    ours.rebuild(None, docs[:5], procs=2)  # and the next rebuild succeeds
    assert ours.count() == 5
    kept = tuple(s.segment_id() for s in ours.index._segments())
    leftovers = [n for n in ours.index.storage.list() if n.startswith("MAIN_") and
                 not n.startswith(kept) and n != "MAIN_WRITELOCK"]  # fmt: skip
    assert leftovers == []  # the failed rebuilds' segments are cleaned up


def test_documents_are_dealt_to_processes_in_batches(tmp_path, monkeypatch):
    import consult.search.whoosh_bulk as bulk

    monkeypatch.setattr(bulk, "BATCH", 7)
    docs = documents(40)
    ours = bulk_written(tmp_path / "bulk", docs, procs=3)
    counts = sorted(s.doc_count_all() for s in ours.index._segments())
    assert counts == [12, 14, 14]  # 6 batches of 7 and one of 5, dealt in turn
    assert sorted(ours.signatures()) == sorted(d["key"] for d in docs)
    theirs = whoosh_written(tmp_path / "whoosh", docs)
    assert answers(ours, QUERIES) == answers(theirs, QUERIES)


def test_a_process_holding_too_many_postings_starts_another_segment(tmp_path, monkeypatch):
    import consult.search.whoosh_bulk as bulk

    monkeypatch.setattr(bulk, "MAX_HELD", 2000)  # postings: about 50 of these documents
    docs = documents(400)
    for procs in (1, 2):
        ours = bulk_written(tmp_path / f"bulk{procs}", docs, procs=procs)
        assert len(ours.index._segments()) >= 6
        assert sorted(ours.signatures()) == sorted(d["key"] for d in docs)
    theirs = whoosh_written(tmp_path / "whoosh", docs)
    assert answers(ours, QUERIES) == answers(theirs, QUERIES)


def test_long_documents_are_written_as_whooshs_own_writer_writes_them(tmp_path):
    # A word 1,200 times (pickle appends 1,000 list items at a time), 100 times (a value
    # over 255 bytes), and positions past 255 and 65,535 (each opcode of pickle's ints).
    docs = [
        *documents(20),
        make_document("comment", 21, "登记 " * 1200, day=20260101, audience=["public"]),
        make_document("comment", 22, "充电" * 100 + "意见", day=20260101, audience=["public"]),
        make_document("comment", 23, "楼道 物业 " * 33000 + "结尾", day=20260102,
                      audience=["public"]),
    ]  # fmt: skip
    ours = bulk_written(tmp_path / "bulk", docs, procs=1)
    theirs = whoosh_written(tmp_path / "whoosh", docs)
    with ours.index.reader() as mine, theirs.index.reader() as reference:
        got, expected = everything(mine), everything(reference)
    assert got == expected
    positions = theirs.index.reader().postings("text", "登记".encode())
    while positions.id() != 20:
        positions.next()
    assert len(positions.value_as("positions")) == 1200  # the case was reached
    assert answers(ours, ["登记", '"楼道 物业 楼道"', "结尾"]) == answers(
        theirs, ["登记", '"楼道 物业 楼道"', "结尾"]
    )


@pytest.mark.parametrize("value", [0, 1, 255, 256, 65535, 65536, 2**31 - 1])
def test_numbers_and_lengths_are_coded_as_pickle_codes_them(value):
    import pickle

    import numpy as np

    from consult.search.whoosh_bulk import _BYTES, _coded

    rows, used = _coded(np.array([value]))
    assert rows[0, : used[0]].tobytes() == pickle.dumps(value, 2)[2:-1]  # after PROTO, STOP
    if value <= 65536:  # a bytes value of this length, as pickle's header for it
        rows, used = _coded(np.array([value]), _BYTES)
        assert rows[0, : used[0]].tobytes() == pickle.dumps(b"x" * value, 3)[2:][: used[0]]
    with pytest.raises(OverflowError):
        _coded(np.array([2**31]))


@pytest.mark.parametrize("largest", [1000, 2**40])  # packed in one key; too big to pack
def test_columns_are_sorted_together_row_by_row(largest):
    import numpy as np

    from consult.search.whoosh_bulk import _sorted_together

    generator = np.random.default_rng(5)
    columns = [generator.integers(0, high, 5000) for high in (50, largest, 7)]
    rows = sorted(zip(*(column.tolist() for column in columns), strict=True))
    found = _sorted_together(*columns)
    assert list(zip(*(column.tolist() for column in found), strict=True)) == rows


def test_values_indexed_as_no_term_or_one_shared_are_written_as_whooshs_own(tmp_path):
    # An empty audience is a value that indexes to no term; a citation and an audience of
    # several terms are shared by many documents, each of whom gets every term of its value.
    docs = documents(40)
    for number, doc in enumerate(docs):
        doc["audience"] = [] if number % 4 == 0 else doc["audience"] + ["leg:1", "public"]
        doc["citation"] = "第十二条 第三条" if number % 3 else None
    ours = bulk_written(tmp_path / "bulk", docs, procs=1)
    theirs = whoosh_written(tmp_path / "whoosh", docs)
    with ours.index.reader() as mine, theirs.index.reader() as reference:
        got, expected = everything(mine), everything(reference)
    assert got == expected
    assert len(got[0][("audience", b"leg:1")][1]) == 30  # every document with the term


def test_a_word_holding_the_pairs_separator_is_refused(tmp_path):
    # Pairs are sorted as numbers on the promise that no word holds "|" (the analysis drops
    # it as punctuation): were one to, the pairs' order could be wrong, so it stops.
    import numpy as np

    from consult.search.analysis import index_words
    from consult.search.whoosh_bulk import SegmentBuilder

    assert "|" not in index_words("养犬|登记 a|b")[0]
    segment = SegmentBuilder(WhooshBackend(str(tmp_path)).index, "text", "pairs")
    with pytest.raises(ValueError, match="separator"):
        segment._pairs([b"a", b"a|b"], np.array([0]), np.array([1]), np.array([0]))
    segment.cancel()
