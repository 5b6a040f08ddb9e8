"""Answering a one-term search by reading the term's postings a block at a time.

Whoosh scores a match through a chain of Python calls per document (matcher, scorer, field
length, collector): about 5 µs each. A two-word phrase is one term of the pairs field, and
the commonest ones (具体|要求) are in 70 % of all comments, so an unrestricted phrase
search at 100k comments spent ~350 ms scoring matches one by one, as did a common word.

For a single term the BM25 score of a document depends only on the term's frequency in it
and the one-byte code of its field length, so here a block of postings is scored by table
lookups in one list comprehension, the top documents kept by a heap, and the facet counts
read from the columns' raw references. Answers, scores and their order are Whoosh's own
(ties go to the lower document number, as in ``TopCollector``); a test compares the two.

A restriction (the audience, filters) is a set of document numbers per segment, read from
its terms' postings: worth it when it is broad; a narrow one is left to Whoosh, whose
intersection leapfrogs over the few restricted documents (see :func:`worth_scanning`).
"""

from __future__ import annotations

import sys
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from heapq import heappush, heapreplace

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.columns import RefBytesColumn
from whoosh.scoring import BM25F, bm25
from whoosh.util.numeric import byte_to_length

# Measured at 100k comments (2 cores): scanning costs ~0.35 µs a posting of the term and
# ~0.2 µs a posting of the restriction; Whoosh's intersection ~5 µs a document it scores
# and ~1 µs a restricted document it steps over.
SCAN_POSTING = 0.35
SCAN_RESTRICTION = 0.2
WHOOSH_MATCH = 5.0
WHOOSH_STEP = 1.0


@dataclass
class Scanned:
    total: int
    top: list[tuple[float, int]]  # (score, document number), best first
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def _blocks(reader, fieldname: str, btext: bytes) -> Iterator[tuple[Sequence[int], object]]:
    """(document numbers, weights or None when all are 1) of each posting block of a term in
    one segment, deleted documents included."""
    if (fieldname, btext) not in reader:
        return
    matcher = reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format)
    while matcher.is_active():
        matcher._read_ids()
        if matcher._data[1] is None:  # every weight 1.0 (a term once in each document)
            yield matcher._ids, None
        else:
            matcher._read_weights()
            yield matcher._ids, matcher._weights
        matcher._next_block()


def _restricted(reader, restriction: list[tuple[str, list[bytes]]]) -> set[int]:
    """The documents of one segment matching every (field, any of these terms)."""
    found: set[int] | None = None
    for fieldname, terms in sorted(restriction, key=lambda r: _frequency(reader, *r)):
        ids: set[int] = set()
        for btext in terms:
            for block, _weights in _blocks(reader, fieldname, btext):
                ids.update(block)
        found = ids if found is None else found & ids
        if not found:
            return set()
    return found or set()


def _frequency(reader, fieldname: str, terms: list[bytes]) -> int:
    return sum(reader.doc_frequency(fieldname, t) for t in terms)


def worth_scanning(searcher, fieldname: str, btext: bytes,
                   restriction: list[tuple[str, list[bytes]]]) -> bool:  # fmt: skip
    """Whether scanning beats Whoosh's intersection, by the measured costs above: the scan
    reads every posting of the term and of the restriction; Whoosh scores the documents in
    both and steps over the restricted ones."""
    if not restriction:
        return True
    matching = searcher.doc_frequency(fieldname, btext)
    narrowest = min(_frequency(searcher.reader(), name, terms) for name, terms in restriction)
    share = matching / max(1, searcher.doc_count_all())
    scan = SCAN_POSTING * matching + SCAN_RESTRICTION * narrowest
    whoosh = narrowest * (WHOOSH_MATCH * share + WHOOSH_STEP)
    return scan < whoosh


def _lengths(reader, fieldname: str) -> bytes | None:
    """Each document's field length code (one byte) in one segment, as stored."""
    column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return None
    count = reader.doc_count_all()
    stored = column._dbfile.get(column._basepos, min(column._count, count))
    return stored + bytes(count - len(stored))


def references(reader, name: str, cache: dict) -> tuple[Sequence[int], list[bytes]] | None:
    """A facet column of one segment as a reference per document into its distinct values.

    Read once per segment (segments never change but for deletions) and kept in ``cache``:
    Whoosh's own grouping reads the column document by document on every search.
    """
    if not reader.has_column(name):
        return None
    key = (reader.segment().segment_id(), name, reader.doc_count_all())
    found = cache.get(key)
    if found is None:
        column = reader.column_reader(name, translate=False)
        if isinstance(column, RefBytesColumn.Reader):
            size = column._doccount * column._itemsize
            refs: Sequence[int] = column._dbfile.get(column._basepos, size)
            if column._typecode != "B":
                refs = array("H", refs)
                if sys.byteorder == "little":
                    refs.byteswap()  # stored big-endian
            found = (refs, list(column._uniques))
        else:
            numbered: dict[bytes, int] = {}
            refs = array("I", (numbered.setdefault(v, len(numbered)) for v in column))
            found = (refs, list(numbered))
        cache[key] = found
    return found


def scan_term(searcher, fieldname: str, btext: bytes, limit: int, *,
              restriction: list[tuple[str, list[bytes]]] = (), constant: float = 0.0,
              facets: Sequence[str] = (), cache: dict | None = None) -> Scanned:  # fmt: skip
    """The ``limit`` best documents for one term of a scorable field (BM25F, as the
    searcher's weighting), the number of matches and their facet counts.

    ``constant`` is added to every score: what the restriction adds in Whoosh's query.
    ``cache`` keeps the facet columns read (see :func:`references`).
    """
    weighting = searcher.weighting
    if type(weighting) is not BM25F:
        raise TypeError("scan_term scores as BM25F only")
    idf = searcher.idf(fieldname, btext)
    avgfl = searcher.avg_field_length(fieldname) or 1
    b, k1 = weighting._field_B.get(fieldname, weighting.B), weighting.K1

    def score(weight: float, code: int) -> float:
        # Whoosh's dfl(): a stored code of 0 reads as None, a missing column as 1.
        return constant + bm25(idf, weight, byte_to_length(code) if code else 1, avgfl, b, k1)

    once = [score(1.0, code) for code in range(256)]  # frequency 1: the common case
    heap: list[tuple[float, int]] = []
    total = 0
    counted: dict[str, Counter] = {name: Counter() for name in facets}
    limit = max(1, limit)
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        if (fieldname, btext) not in reader:
            continue
        lengths = _lengths(reader, fieldname) or bytes([1]) * reader.doc_count_all()
        deleted = reader.deleted_docs_set if reader.has_deletions() else frozenset()
        allowed = _restricted(reader, list(restriction)) if restriction else None
        if allowed is not None and not allowed:
            continue
        columns = {name: references(reader, name, {} if cache is None else cache)
                   for name in facets}  # fmt: skip
        matched: list[int] = []
        for ids, weights in _blocks(reader, fieldname, btext):
            if deleted or allowed is not None:
                keep = [i for i, d in enumerate(ids) if d not in deleted
                        and (allowed is None or d in allowed)]  # fmt: skip
                if len(keep) < len(ids):
                    ids = [ids[i] for i in keep]
                    weights = None if weights is None else [weights[i] for i in keep]
            if not ids:
                continue
            total += len(ids)
            if facets:
                matched.extend(ids)
            if weights is None:
                scores = [once[lengths[d]] for d in ids]
            else:
                scores = [once[lengths[d]] if w == 1.0 else score(w, lengths[d])
                          for d, w in zip(ids, weights, strict=True)]  # fmt: skip
            if len(heap) >= limit and max(scores) <= heap[0][0]:
                continue  # nothing in this block beats the worst kept (ties: lower wins)
            for s, d in zip(scores, ids, strict=True):
                if len(heap) < limit:
                    heappush(heap, (s, -(d + offset)))
                elif s > heap[0][0]:
                    heapreplace(heap, (s, -(d + offset)))
        for name, column in columns.items():
            if column is None or not matched:
                continue
            refs, values = column
            for ref, count in Counter(map(refs.__getitem__, matched)).items():
                counted[name][values[ref]] += count
    heap.sort(reverse=True)
    found = {}
    for name in facets:
        decode = searcher.schema[name].from_column_value
        found[name] = {str(decode(value)): n for value, n in counted[name].items() if value}
    return Scanned(total=total, top=[(s, -negated) for s, negated in heap], facets=found)
