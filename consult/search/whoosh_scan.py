"""Answering a search of one or two terms by reading their postings a block at a time.

Whoosh scores a match through a chain of Python calls per document (matcher, scorer, field
length, collector): about 5 µs each. A two-word phrase is one term of the pairs field, and
the commonest ones (具体|要求) are in 70 % of all comments, so an unrestricted phrase
search at 100k comments spent ~350 ms scoring matches one by one, as did a common word.

For a single term the BM25 score of a document depends only on the term's frequency in it
and the one-byte code of its field length, so here a block of postings is scored by table
lookups in one list comprehension, the top documents kept by a heap, and the facet counts
read from the columns' references. Two terms (two words; a phrase and a word): their
documents intersected as sets, their scores summed as Whoosh's intersection sums them.
Answers, scores and their order are Whoosh's own (ties go to the lower document number, as
in ``TopCollector``); a test compares the two.

A restriction (the audience, filters) is a set of document numbers per segment, read from
its terms' postings: worth it when it is broad; a narrow one is left to Whoosh, whose
intersection leapfrogs over the few restricted documents (see :func:`worth_scanning`).
"""

from __future__ import annotations

import math
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

# Measured at 100k comments (2 cores): scanning costs ~1 µs a posting of the terms (most of
# it unpickling Whoosh's blocks, positions included; ~0.4 µs for the pairs field) and
# ~0.2 µs a posting of the restriction; Whoosh's intersection ~5 µs a document it scores
# and ~1 µs a posting it steps over, and it first lists every restricted document through
# a tree of unions (~1 µs a document per level: ~450 ms for an audience of 100 points).
SCAN_POSTING = 1.0
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


def worth_scanning(searcher, terms: list[tuple[str, bytes]],
                   restriction: list[tuple[str, list[bytes]]]) -> bool:  # fmt: skip
    """Whether scanning beats Whoosh's intersection, by the measured costs above: the scan
    reads every posting of the terms and of the restriction; Whoosh lists the restricted
    documents, steps over the postings of the rarest part and scores the documents
    matching all (estimated as if the parts were independent)."""
    count = max(1, searcher.doc_count_all())
    sizes = [searcher.doc_frequency(name, btext) for name, btext in terms]
    scan = SCAN_POSTING * sum(sizes)
    whoosh = 0.0
    if restriction:
        reader = searcher.reader()
        restricted, values = min(
            (_frequency(reader, name, bt), len(bt)) for name, bt in restriction
        )
        scan += SCAN_RESTRICTION * restricted
        whoosh += WHOOSH_STEP * restricted * (1 + math.log2(max(1, values)))
        sizes.append(restricted)
    matches = count
    for size in sizes:
        matches *= size / count
    return scan < whoosh + WHOOSH_MATCH * matches + WHOOSH_STEP * min(sizes)


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


class _Scored:
    """One term's BM25F scores (as the searcher's weighting), plus ``constant``: a table by
    field-length code for each frequency met (a word repeated, or with its finer parts at
    one position, has a weight above 1: a third of a common word's postings)."""

    def __init__(self, searcher, fieldname: str, btext: bytes, constant: float = 0.0):
        weighting = searcher.weighting
        if type(weighting) is not BM25F:
            raise TypeError("whoosh_scan scores as BM25F only")
        self.fieldname, self.btext = fieldname, btext
        self.idf = searcher.idf(fieldname, btext)
        self.avgfl = searcher.avg_field_length(fieldname) or 1
        self.b = weighting._field_B.get(fieldname, weighting.B)
        self.k1 = weighting.K1
        self.constant = constant
        self.tables: dict[float, list[float]] = {}
        self.once = self.table(1.0)

    def table(self, weight: float) -> list[float]:
        found = self.tables.get(weight)
        if found is None:
            found = self.tables[weight] = [self.score(weight, code) for code in range(256)]
        return found

    def score(self, weight: float, code: int) -> float:
        # Whoosh's dfl(): a stored code of 0 reads as None, a missing column as 1.
        length = byte_to_length(code) if code else 1
        return self.constant + bm25(self.idf, weight, length, self.avgfl, self.b, self.k1)

    def postings(self, reader) -> tuple[list[int], dict[int, float]]:
        """The term's documents in one segment and the weights that are not 1."""
        ids: list[int] = []
        weights: dict[int, float] = {}
        for block, block_weights in _blocks(reader, self.fieldname, self.btext):
            ids.extend(block)
            if block_weights is not None:
                weights.update((d, w) for d, w in zip(block, block_weights, strict=True)
                               if w != 1.0)  # fmt: skip
        return ids, weights

    def scores(self, docs: Sequence[int], lengths: bytes, weights: dict[int, float]) -> list:
        """Scores of ``docs``, whose weights are 1 but for those in ``weights``."""
        once = self.once
        if not weights:
            return [once[lengths[d]] for d in docs]
        tables = {w: self.table(w) for w in set(weights.values())}
        return [once[lengths[d]] if d not in weights else tables[weights[d]][lengths[d]]
                for d in docs]  # fmt: skip

    def block_scores(self, docs: Sequence[int], lengths: bytes, weights) -> list:
        """Scores of a block's ``docs`` with their ``weights`` (None: all 1)."""
        once = self.once
        if weights is None:
            return [once[lengths[d]] for d in docs]
        tables = {w: self.table(w) for w in set(weights)}
        return [tables[w][lengths[d]] for d, w in zip(docs, weights, strict=True)]


class _Top:
    """The ``limit`` best (score, document number), ties to the lower number, as Whoosh's
    ``TopCollector`` keeps them (a heap of (score, negated number))."""

    def __init__(self, limit: int):
        self.limit = max(1, limit)
        self.heap: list[tuple[float, int]] = []

    def add(self, scores: Sequence[float], docs: Sequence[int], offset: int) -> None:
        heap, limit = self.heap, self.limit
        for start in range(0, len(docs), 128):
            chunk = scores[start : start + 128]
            if len(heap) >= limit and max(chunk) <= heap[0][0]:
                continue  # nothing here beats the worst kept (and ties go to the lower)
            for s, d in zip(chunk, docs[start : start + 128], strict=True):
                if len(heap) < limit:
                    heappush(heap, (s, -(d + offset)))
                elif s > heap[0][0]:
                    heapreplace(heap, (s, -(d + offset)))

    def best(self) -> list[tuple[float, int]]:
        return [(s, -negated) for s, negated in sorted(self.heap, reverse=True)]


def scan(searcher, terms: list[tuple[str, bytes]], limit: int, *,
         restriction: list[tuple[str, list[bytes]]] = (), constant: float = 0.0,
         facets: Sequence[str] = (), cache: dict | None = None) -> Scanned:  # fmt: skip
    """The ``limit`` best documents holding every one of ``terms`` (one or two terms of
    scorable fields; a document's score is the sum of theirs, as Whoosh's intersection adds
    them), the number of matches and their facet counts.

    ``constant`` is added to every score: what the restriction adds in Whoosh's query.
    ``cache`` keeps the facet columns read (see :func:`references`).
    """
    if not 1 <= len(terms) <= 2:
        raise ValueError("whoosh_scan scans one or two terms")
    # One term: the constant joins its score; two: their sum (as Whoosh adds them).
    single = _Scored(searcher, *terms[0], constant) if len(terms) == 1 else None
    scored = [single] if single is not None else [_Scored(searcher, *t) for t in terms]
    cache = {} if cache is None else cache
    top = _Top(limit)
    total = 0
    counted: dict[str, Counter] = {name: Counter() for name in facets}
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        if any((name, btext) not in reader for name, btext in terms):
            continue
        deleted = reader.deleted_docs_set if reader.has_deletions() else frozenset()
        allowed = _restricted(reader, restriction) if restriction else None
        if allowed is not None and not allowed:
            continue
        count = reader.doc_count_all()
        # No length column: every code 0, which scores as a length of 1 (Whoosh's default).
        lengths = {t.fieldname: _lengths(reader, t.fieldname) or bytes(count)
                   for t in scored}  # fmt: skip
        matched: list[int] = []
        if single is not None:  # block by block: no list of every posting
            field_lengths = lengths[single.fieldname]
            for ids, weights in _blocks(reader, single.fieldname, single.btext):
                if deleted or allowed is not None:
                    keep = [i for i, d in enumerate(ids) if d not in deleted
                            and (allowed is None or d in allowed)]  # fmt: skip
                    if len(keep) < len(ids):
                        ids = [ids[i] for i in keep]
                        weights = None if weights is None else [weights[i] for i in keep]
                if not ids:
                    continue
                top.add(single.block_scores(ids, field_lengths, weights), ids, offset)
                total += len(ids)
                if facets:
                    matched.extend(ids)
        else:
            (first_ids, first_odd), (second_ids, second_odd) = (t.postings(reader) for t in scored)
            common = set(first_ids).intersection(second_ids)
            if deleted:
                common -= deleted
            if allowed is not None:
                common &= allowed
            matched = sorted(common)
            first, second = scored
            scores = [a + b for a, b in zip(
                first.scores(matched, lengths[first.fieldname], first_odd),
                second.scores(matched, lengths[second.fieldname], second_odd), strict=True,
            )]  # fmt: skip
            if constant:
                scores = [constant + s for s in scores]
            top.add(scores, matched, offset)
            total += len(matched)
        for name in facets:
            column = references(reader, name, cache)
            if column is None or not matched:
                continue
            refs, values = column
            for ref, n in Counter(map(refs.__getitem__, matched)).items():
                counted[name][values[ref]] += n
    found = {}
    for name in facets:
        decode = searcher.schema[name].from_column_value
        found[name] = {str(decode(value)): n for value, n in counted[name].items() if value}
    return Scanned(total=total, top=top.best(), facets=found)
