"""One-term searches read a block at a time (``whoosh_scan``) answer as Whoosh's own search.

The scan scores a term's postings by table lookups instead of Whoosh's per-document calls;
these tests compare every answer, score, total and facet count of the two ways, on an index
of several segments with deleted and replaced documents, with and without restrictions.
"""

from __future__ import annotations

import pytest

from consult.search.documents import make_document
from consult.search.query import parse
from consult.search.whoosh_backend import WhooshBackend, fields_of

WORDS = ["建议", "充电", "电动自行车", "养犬", "登记", "物业", "收费", "公开", "楼道", "管理"]


def comment(number: int) -> dict:
    # Texts of differing lengths and repeated words: scores tie and differ by frequency.
    picked = [WORDS[(number * k) % len(WORDS)] for k in range(1, 2 + number % 6)]
    text = "，".join(picked) + ("。养犬登记应当免费" if number % 4 == 0 else "。")
    return make_document(
        "comment", number, text, day=20260101 + number % 28,
        audience=[f"point:{number % 3}"] + (["public"] if number % 5 == 0 else []),
        task_id=number % 4, point_id=number % 3, unit_id=None if number % 2 else 7,
        channel=("forum", "visit", "online")[number % 3], status="recorded",
        citation=None,
    )  # fmt: skip


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    found = WhooshBackend(str(tmp_path_factory.mktemp("scan")))
    found.rebuild(None, [comment(n) for n in range(1, 401)])
    # Two more segments, the second replacing and deleting documents of the first.
    for added, replaced, deleted in (
        (range(401, 441), (), ()),
        (range(441, 481), range(10, 30), range(100, 160)),
    ):
        writer = found.index.writer()
        for doc in [comment(n) for n in added] + [
            {**comment(n), "text": "物业收费公开"} for n in replaced
        ]:
            writer.update_document(**fields_of(doc))
        for n in deleted:
            writer.delete_by_term("key", f"comment:{n}")
        writer.commit(merge=False)
    with found.index.reader() as reader:
        assert len(reader.leaf_readers()) >= 3
    return found


def both(backend, text, **kwargs):
    answers = []
    for mode in ("always", "never"):
        backend.scan = mode
        try:
            answers.append(backend.search(parse(text), **{"per_page": 7, **kwargs}))
        finally:
            backend.scan = "auto"
    return answers


QUERIES = [
    "建议",
    "登记",
    '"养犬登记"',
    "物业",
    "楼道",
    "没有的词",
    '"公开收费"',
    "建议 充电",
    "登记 登记",
    '"养犬登记" 物业',
    "楼道 没有的词",
    "管理 收费",
]
SCOPES = [
    {"audiences": None},
    {"audiences": ["point:0", "point:1"]},
    {"audiences": ["public"]},
    {"audiences": ["point:0", "point:1", "point:2"], "filters": {"channel": ["forum", "visit"]}},
    {"audiences": None, "filters": {"unit_id": 7}},
]


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: str(sorted(s.items())))
@pytest.mark.parametrize("text", QUERIES)
def test_scanned_answers_are_whooshs_own(backend, text, scope):
    for page in (1, 2, 5):
        for facets in (False, True):
            scanned, whoosh = both(backend, text, page=page, facets=facets, **scope)
            assert scanned == whoosh


def test_the_comparison_covers_ties_frequencies_and_several_pages(backend):
    """Guards the test above: its answers have ties at a page's edge, terms more than once in
    a document, more matches than three pages, and facet counts."""
    scanned, _ = both(backend, "建议", page=1, facets=True, audiences=None)
    assert scanned.total > 21
    scores = [hit.score for hit in scanned.hits]
    assert len(set(scores)) < len(scores)
    assert scanned.facets["channel"] and scanned.facets["unit_id"] == {
        "7": scanned.facets["unit_id"]["7"]
    }
    repeated, _ = both(backend, "登记", audiences=None)
    once = {hit.key for hit in both(backend, '"养犬登记"', audiences=None)[0].hits}
    assert repeated.total and once


def test_deleted_and_replaced_documents_are_not_found(backend):
    scanned, _ = both(backend, "物业", audiences=None, per_page=500)
    keys = {hit.key for hit in scanned.hits}
    assert not keys & {f"comment:{n}" for n in range(100, 160)}
    assert {f"comment:{n}" for n in range(10, 30)} <= keys


def test_facet_counts_follow_changes_to_the_index(tmp_path):
    """Facet columns are read once per segment: a change (a new segment, a merge) is counted."""
    backend = WhooshBackend(str(tmp_path))
    backend.rebuild(None, [comment(n) for n in range(1, 61)])
    before, _ = both(backend, "建议", facets=True, audiences=None)
    with backend.writer(wait=True) as writer:
        writer.upsert([{**comment(n), "channel": "visit"} for n in range(1, 61)])
    after, whoosh = both(backend, "建议", facets=True, audiences=None)
    assert after == whoosh
    assert after.facets["channel"] == {"visit": after.total} != before.facets["channel"]
