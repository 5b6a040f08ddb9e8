"""The Whoosh backend: one schema for clauses, comments and suggestions; index and query.

This module knows the engine; the rest of consult talks to it in plain dictionaries
(documents in, ids and highlights out). Rows themselves always come from SQL, in rank order,
with permissions applied there too; the filters given here (``point_id`` above all) make
totals and facet counts reveal nothing a user may not see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from whoosh import highlight, query, sorting
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.qparser import QueryParser
from whoosh.writing import CLEAR

from consult.search.analysis import ChineseAnalyzer, fold

FILTER_FIELDS = (
    "kind", "task_id", "draft_id", "version_id", "point_id", "unit_id", "collector_id",
    "clause_id", "channel", "status", "outcome", "published",
)  # fmt: skip
FACET_FIELDS = ("kind", "channel", "status", "unit_id", "outcome")


def schema() -> Schema:
    ids = {name: ID(stored=False) for name in FILTER_FIELDS}
    return Schema(
        key=ID(unique=True, stored=True),  # "comment:12"
        object_id=STORED(),
        text=TEXT(analyzer=ChineseAnalyzer(), phrase=True, stored=True),
        citation=ID(stored=True),
        day=NUMERIC(int, bits=32, sortable=True),  # yyyymmdd, for ranges and "newest first"
        **{name: ID(sortable=name in FACET_FIELDS) for name in ids},
    )


@dataclass
class Hit:
    key: str
    kind: str
    object_id: int
    score: float
    snippet: str


@dataclass
class Result:
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def document(kind: str, object_id: int, text: str, *, day: date | None = None,
             citation: str | None = None, **filters: Any) -> dict[str, Any]:  # fmt: skip
    """A document for the index; filter values become strings (IDs)."""
    doc: dict[str, Any] = {
        "key": f"{kind}:{object_id}",
        "object_id": object_id,
        "kind": kind,
        "text": text,
        "day": int(day.strftime("%Y%m%d")) if day else 0,
    }
    if citation:
        doc["citation"] = citation
    for name, value in filters.items():
        if name not in FILTER_FIELDS:
            raise ValueError(f"unknown filter field {name}")
        if value is not None:
            doc[name] = _term(value)
    return doc


def _term(value: Any) -> str:
    """Filter values as the index keeps them: booleans as 1/0, the rest as text."""
    return str(int(value)) if isinstance(value, bool) else str(value)


class WhooshBackend:
    """One index on disk (or in memory for tests). Writers wait for the lock, never lose work."""

    def __init__(self, path: str | None = None):
        if path is None:
            self.index = RamStorage().create_index(schema())
        else:
            storage = FileStorage(path).create()
            self.index = (
                storage.open_index() if storage.index_exists() else storage.create_index(schema())
            )

    def apply(self, upserts: Iterable[Mapping[str, Any]], deletes: Iterable[str] = (),
              *, timeout: float = 30.0) -> None:  # fmt: skip
        """Write documents (replacing those with the same key) and delete keys, in one commit."""
        writer = self.index.writer(timeout=timeout)
        try:
            for key in deletes:
                writer.delete_by_term("key", key)
            for doc in upserts:
                writer.update_document(**doc)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def clear(self) -> None:
        self.index.writer(timeout=30.0).commit(mergetype=CLEAR)

    def keys(self) -> set[str]:
        with self.index.searcher() as searcher:
            return {fields["key"] for fields in searcher.all_stored_fields()}

    def search(
        self,
        text: str,
        *,
        filters: Mapping[str, Any] | None = None,
        day_from: date | None = None,
        day_to: date | None = None,
        newest_first: bool = False,
        page: int = 1,
        per_page: int = 20,
        facets: bool = False,
    ) -> Result:
        """Words are ANDed, "quoted" text is a phrase, OR and NOT work; filters are exact."""
        parser = QueryParser("text", self.index.schema)
        parser.schema["text"].multitoken_query = "and"
        parsed = parser.parse(fold(text)) if text.strip() else query.Every()
        clauses = [parsed]
        for name, value in (filters or {}).items():
            if value is None:
                continue
            values = value if isinstance(value, list | tuple | set) else [value]
            clauses.append(query.Or([query.Term(name, _term(v)) for v in values]))
        if day_from or day_to:
            start = int(day_from.strftime("%Y%m%d")) if day_from else None
            end = int(day_to.strftime("%Y%m%d")) if day_to else None
            clauses.append(query.NumericRange("day", start, end))
        final = query.And(clauses) if len(clauses) > 1 else parsed
        with self.index.searcher() as searcher:
            kwargs: dict[str, Any] = {}
            if newest_first:
                kwargs["sortedby"] = sorting.FieldFacet("day", reverse=True)
            if facets:
                kwargs["groupedby"] = {name: sorting.FieldFacet(name) for name in FACET_FIELDS}
            results = searcher.search_page(final, page, pagelen=per_page, terms=True, **kwargs)
            results.results.fragmenter = highlight.ContextFragmenter(maxchars=120, surround=30)
            results.results.formatter = highlight.HtmlFormatter(tagname="mark", classname="hit")
            hits = [
                Hit(
                    key=hit["key"],
                    kind=hit["key"].split(":", 1)[0],
                    object_id=hit["object_id"],
                    score=hit.score or 0.0,
                    snippet=hit.highlights("text") or hit["text"][:120],
                )
                for hit in results
            ]
            counted: dict[str, dict[str, int]] = {}
            if facets:
                for name in FACET_FIELDS:
                    groups = results.results.groups(name)
                    counted[name] = {str(k): len(v) for k, v in groups.items() if k}
            return Result(hits=hits, total=results.total, facets=counted)
