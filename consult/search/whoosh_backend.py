"""The Whoosh backend (the embedded default): one index directory for the whole site.

The index stores no text: snippets are cut from the rows SQL returns. It stores each
document's key and signature (so ``search verify`` can compare it with the database), and
indexes the filter fields as IDs and the audience as keywords.

Speed, after SEARCH.md: a searcher is opened once per process and again after each change
to the index, never per request; filters and the audience join the query as constant-score
terms; phrases are looked up as adjacent word pairs; only one process writes at a time (the
index lock), and it never waits for it.
"""

from __future__ import annotations

import itertools
import logging
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

from whoosh import query, sorting
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.index import LockError
from whoosh.util.filelock import try_for
from whoosh.writing import CLEAR

from consult.search import whoosh_scan
from consult.search.analysis import PAIR, ChineseAnalyzer, PairTokenizer
from consult.search.documents import (
    FACET_FIELDS,
    FILTER_FIELDS,
    Hit,
    Result,
    restrictions,
    term,
)
from consult.search.query import Parsed, Unit
from consult.search.whoosh_bulk import write_index

TEXT_FIELD = "text"
# Segments as separate files, not one compound file: Whoosh reads a compound segment's term
# table by copying it into memory (BytesIO of the mapped file) each time a reader opens it,
# which is after every index change. At 100k comments, opening a searcher took 356 ms that
# way and 0.8 ms with separate files, at the same query speed.
COMPOUND = False
# What a restriction adds to each score: it joins the query as a constant score of 0, which
# Whoosh's ListMatcher reads as a weight of 1 (``weight() or 1.0``). The order is the same.
RESTRICTED_SCORE = 1.0
logger = logging.getLogger(__name__)


def schema() -> Schema:
    return Schema(
        key=ID(unique=True, stored=True),  # "comment:12"
        sig=STORED(),
        text=TEXT(analyzer=ChineseAnalyzer(), phrase=True),
        # Adjacent word pairs: a phrase is looked up as pairs instead of checking the
        # positions of every document holding its (often very common) words.
        pairs=TEXT(analyzer=PairTokenizer(), phrase=False),
        citation=ID(),
        audience=KEYWORD(scorable=False),
        day=NUMERIC(int, bits=32, sortable=True),  # yyyymmdd
        **{name: ID(sortable=name in FACET_FIELDS) for name in FILTER_FIELDS},
    )


def _unit_query(unit: Unit) -> query.Query:
    if len(unit.words) == 1:
        return query.Term(TEXT_FIELD, unit.words[0])
    if unit.phrase:
        words = unit.words
        found = [query.Term("pairs", f"{a}{PAIR}{b}") for a, b in itertools.pairwise(words)]
        if len(words) == 2:
            return found[0]
        # Longer phrases: documents holding every pair, then their positions checked.
        return query.And([*found, query.Phrase(TEXT_FIELD, list(words))])
    return query.And([query.Term(TEXT_FIELD, w) for w in unit.words])


def compile_query(parsed: Parsed) -> query.Query:
    positive: query.Query = (
        query.And([
            _unit_query(g[0]) if len(g) == 1 else query.Or([_unit_query(u) for u in g])
            for g in parsed.groups
        ])
        if parsed.groups
        else query.Every()
    )  # fmt: skip
    if parsed.excluded:
        return query.AndNot(positive, query.Or([_unit_query(u) for u in parsed.excluded]))
    return positive


def fields_of(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A document as Whoosh fields: no empty values, the audience as keywords."""
    found = {name: value for name, value in doc.items() if value is not None}
    found["audience"] = " ".join(doc["audience"])
    found["pairs"] = doc["text"]
    return found


class WhooshBackend:
    name = "whoosh"

    def __init__(self, path: str | None = None):
        if path is None:
            self.index = RamStorage().create_index(schema())
        else:
            storage = FileStorage(path).create()
            wanted = schema()
            self.index = storage.open_index() if storage.index_exists() else None
            if self.index is None or set(self.index.schema.names()) != set(wanted.names()):
                if self.index is not None:
                    logger.warning("search index %s has an older schema: recreated empty; "
                                   "run `flask consult search rebuild`", path)  # fmt: skip
                self.index = storage.create_index(wanted)
        self._lock = threading.Lock()
        # Searches of one or two terms through ``whoosh_scan``: "auto" where its cost model
        # says it is faster, "always" or "never" (the tests compare the two).
        self.scan = "auto"
        self._columns: dict = {}  # facet columns by segment (whoosh_scan.references)
        # This process's searcher (see _current), in a list the finaliser shares: its files
        # are closed with the backend.
        self._open: list[Any] = [None]
        weakref.finalize(self, _close_searcher, self._open)

    # -- writing ---------------------------------------------------------------------------

    @contextmanager
    def writer(self, session=None, *, wait: bool = False) -> Iterator[_Writer | None]:
        """The index's single writer, or None at once when another process holds it."""
        try:
            writer = self.index.writer(
                timeout=30.0 if wait else 0.0, compound=COMPOUND, codec=_incremental_codec()
            )
        except LockError:
            yield None
            return
        try:
            yield _Writer(writer)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def rebuild(self, session, docs: Iterable[Mapping[str, Any]], *, procs: int = 0) -> int:
        """Replace the whole index through the bulk path (``whoosh_bulk``): a segment per
        writing process (``procs``; 0: one per CPU), swapped in by one commit."""
        lock = self.index.lock("WRITELOCK")
        if not try_for(lock.acquire, timeout=600.0, delay=0.1):
            raise LockError("search rebuild: the index writer stayed busy for 10 minutes")
        try:
            return write_index(self.index, map(fields_of, docs), text_field=TEXT_FIELD,
                               pairs_field="pairs", procs=procs)  # fmt: skip
        finally:
            lock.release()

    def clear(self, session=None) -> None:
        self.index.writer(timeout=30.0).commit(mergetype=CLEAR)

    def signatures(self, session=None) -> dict[str, str]:
        with self.index.searcher() as searcher:
            return {fields["key"]: fields.get("sig", "") for fields in searcher.all_stored_fields()}

    def count(self, session=None) -> int:
        return self.index.doc_count()

    # -- searching -------------------------------------------------------------------------

    def _current(self):
        """This process's searcher, opened again when the index has a new generation.

        Not ``Searcher.refresh()``: it reuses the reader of every segment that is still
        there, with the deletions it had when first read, so a document deleted or replaced
        since (a comment withdrawn or edited, a rebuilt index) would still be found.
        The old searcher is closed (its segment files): searches hold ``_lock``, so no
        other thread is reading it.
        """
        searcher = self._open[0]
        if searcher is None or not searcher.up_to_date():
            if searcher is not None:
                searcher.close()
            searcher = self._open[0] = self.index.searcher()
            segments = (sub.reader().segment() for sub, _ in searcher.leaf_searchers())
            present = {segment.segment_id() for segment in segments if segment is not None}
            for key in [k for k in self._columns if k[0] not in present]:
                del self._columns[key]  # of segments merged away
        return searcher

    def search(
        self,
        parsed: Parsed,
        *,
        session=None,
        audiences: list[str] | None,
        filters: Mapping[str, Any] | None = None,
        day_from: date | None = None,
        day_to: date | None = None,
        newest_first: bool = False,
        page: int = 1,
        per_page: int = 20,
        facets: bool = False,
    ) -> Result:
        if audiences is not None and not audiences:
            return Result.nothing(facets)
        # Filters join the query as constant-score terms: the intersection then leapfrogs
        # over the sparse audience and filter postings instead of visiting every match of
        # common words and testing it against a set (measured: about 2x faster).
        restriction = restrictions(audiences, filters)
        conditions: list[query.Query] = []
        for name, values in restriction:
            terms = [query.Term(name, term(v)) for v in values]
            conditions.append(terms[0] if len(terms) == 1 else query.Or(terms))
        if day_from or day_to:
            start = int(day_from.strftime("%Y%m%d")) if day_from else None
            end = int(day_to.strftime("%Y%m%d")) if day_to else None
            conditions.append(query.NumericRange("day", start, end))
        final = compile_query(parsed)
        scored = final
        while type(scored) is query.And and len(scored.subqueries) == 1:
            scored = scored.subqueries[0]  # Whoosh matches a one-part AND as its part
        if conditions:
            restrict = conditions[0] if len(conditions) == 1 else query.And(conditions)
            final = query.And([query.ConstantScoreQuery(restrict, 0.0), final])
        sorted_by_date = newest_first or not parsed.groups
        limit = page * per_page
        with self._lock:
            searcher = self._current()
            terms = self._scannable(scored)
            if self.scan != "never" and terms and not sorted_by_date and not (day_from or day_to):
                found = self._scanned(searcher, terms, restriction, limit, facets)
                if found is not None:
                    total, top, counted = found
                    hits = [Hit(key=searcher.stored_fields(docnum)["key"], score=score)
                            for score, docnum in top[(page - 1) * per_page : limit]]  # fmt: skip
                    return Result(hits=hits, total=total, facets=counted)
            kwargs: dict[str, Any] = {}
            if sorted_by_date:
                kwargs["sortedby"] = [
                    sorting.FieldFacet("day", reverse=True),
                    sorting.FieldFacet("key", reverse=True),
                ]
            if facets:
                kwargs["groupedby"] = {name: sorting.FieldFacet(name) for name in FACET_FIELDS}
            # Block-quality skipping ("optimize") costs more than it saves on short texts.
            results = searcher.search(final, limit=limit, optimize=False, **kwargs)
            start = (page - 1) * per_page
            # Sorted by date, Whoosh's "score" is the sort key (a tuple): no relevance then.
            hits = [
                Hit(key=results[i]["key"], score=0.0 if sorted_by_date else results.score(i) or 0.0)
                for i in range(start, min(len(results.top_n), limit))
            ]
            counted: dict[str, dict[str, int]] = {}
            if facets:
                for name in FACET_FIELDS:
                    groups = results.groups(name)
                    counted[name] = {str(k): len(v) for k, v in groups.items() if k}
            return Result(hits=hits, total=len(results), facets=counted)

    def _scannable(self, scored: query.Query) -> list[tuple[str, bytes]] | None:
        """The (field, term) of a query of one term, or an AND of two, that ``whoosh_scan``
        can answer; None for any other query."""
        parts = scored.subqueries if type(scored) is query.And else [scored]
        if not 1 <= len(parts) <= 2 or scored.boost != 1.0:
            return None
        schema = self.index.schema
        found = []
        for part in parts:
            if type(part) is not query.Term or part.boost != 1.0:
                return None
            if not schema[part.fieldname].scorable:
                return None
            found.append((part.fieldname, schema[part.fieldname].to_bytes(part.text)))
        return found

    def _scanned(self, searcher, terms, restriction, limit: int, facets: bool):
        """A search answered by ``whoosh_scan`` (the same answers, read a block at a time),
        or None where Whoosh's own search is as fast."""
        schema = self.index.schema
        encoded = [(name, [schema[name].to_bytes(term(v)) for v in values])
                   for name, values in restriction]  # fmt: skip
        if self.scan == "auto" and not whoosh_scan.worth_scanning(searcher, terms, encoded):
            return None
        found = whoosh_scan.scan(searcher, terms, limit, restriction=encoded,
                                 constant=RESTRICTED_SCORE if encoded else 0.0,
                                 facets=FACET_FIELDS if facets else (),
                                 cache=self._columns)  # fmt: skip
        return found.total, found.top, found.facets


def _incremental_codec() -> W3Codec:
    """Whoosh's codec for the applier's commits and the merges they make, without block
    length statistics: Whoosh fills those by reading back each posting's document length
    (a fifth of its writing time, measured) for block-quality skipping, which this backend
    never uses (``optimize=False``); such blocks record no lengths."""
    codec = W3Codec()
    codec.length_stats = False
    return codec


def _close_searcher(holder: list[Any]) -> None:
    if holder[0] is not None:
        holder[0].close()
        holder[0] = None


class _Writer:
    """Upserts and deletions inside one Whoosh writer (committed by its owner)."""

    def __init__(self, writer):
        self.writer = writer

    def upsert(self, docs: Iterable[Mapping[str, Any]]) -> None:
        for doc in docs:
            self.writer.update_document(**fields_of(doc))

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.writer.delete_by_term("key", key)

    def delete_where(self, kind: str, **filters: Any) -> None:
        terms = [query.Term("kind", kind)]
        terms += [query.Term(name, term(value)) for name, value in filters.items()]
        self.writer.delete_by_query(query.And(terms))

    def commit(self) -> None:
        self.writer.commit()
