"""The PostgreSQL backend, for deployments with several application hosts.

Documents live in ``search_documents`` in the application's own database: a tsvector built
here from the same segmented words and positions as the Whoosh index (PostgreSQL's
'simple' parser cannot segment Chinese, so words are given to it ready-made, as a tsvector
literal) and one GIN index over it. Queries compile from the same parsed tree to a tsquery
literal; ``<->`` keeps phrases exact.

The audience and the filter fields are lexemes of the same tsvector (``=audience:point:3``,
``=channel:forum``; no word contains "="), so that a filtered search is one GIN lookup that
intersects the words' postings with the filters' before a row is read. With the filters as
columns, PostgreSQL fetched every row holding the words (160,000 of 1M for two common words)
to test the filter on it; the page and its total are one statement (``count(*) OVER ()``).
Ranking uses the words alone, so the filter lexemes weigh nothing.

Only one process applies the outbox at a time (a transaction-level advisory lock), in the
same transaction that deletes the applied outbox rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import and_, cast, delete, func, literal, select, tuple_
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from consult.search.analysis import tokens
from consult.search.documents import (
    FACET_FIELDS,
    FILTER_FIELDS,
    INT_FIELDS,
    Hit,
    Result,
    restrictions,
    term,
)
from consult.search.models import SearchDocument
from consult.search.query import Parsed, excluded_tsquery, quote_lexeme, to_tsquery

LOCK_ID = 0x636F6E73  # "cons": the advisory lock of the one outbox applier
MAX_POSITION = 16383  # PostgreSQL's limit on a lexeme position
MAX_POSITIONS = 256  # and on the positions kept per lexeme
MAX_LEXEME = 500  # characters; PostgreSQL refuses lexemes over 2 KB
CHUNK = 1000
COLUMNS = SearchDocument.__table__.columns


FILTER_MARK = "="  # what a filter lexeme starts with: never part of a segmented word


def filter_lexeme(name: str, value: Any) -> str:
    return f"{FILTER_MARK}{name}:{term(value)}"


def filter_lexemes(doc: Mapping[str, Any]) -> list[str]:
    """The document's audience and filter values as lexemes (see the module's note)."""
    found = [filter_lexeme("audience", a) for a in doc["audience"]]
    found += [filter_lexeme(n, doc[n]) for n in FILTER_FIELDS if doc.get(n) is not None]
    return found


def _any_of(name: str, values: Iterable[Any]) -> str:
    return "(" + " | ".join(quote_lexeme(filter_lexeme(name, v)) for v in values) + ")"


def tsvector_literal(text: str, filters: Iterable[str] = ()) -> str:
    """The words of ``text`` with their positions, then ``filters`` (lexemes without
    positions), in tsvector input syntax."""
    positions: dict[str, list[int]] = {}
    slot = positions.setdefault
    for word, position, _start, _end in tokens(text, for_query=False):
        found = slot(word.lower(), [])
        if not found or found[-1] != position + 1:
            found.append(position + 1)
    parts = []
    for word, places in positions.items():
        if len(word) > MAX_LEXEME:
            continue
        if len(places) > MAX_POSITIONS:
            places = places[:MAX_POSITIONS]
        if places[-1] > MAX_POSITION:
            places = sorted({min(p, MAX_POSITION) for p in places})
        lexeme = quote_lexeme(word) if ("'" in word or "\\" in word) else f"'{word}'"
        parts.append(f"{lexeme}:{','.join(map(str, places))}")
    parts += [quote_lexeme(lexeme) for lexeme in filters]
    return " ".join(parts)


def typed(name: str, value: Any) -> Any:
    """A filter value (index terms are text) as its column's type."""
    if value is None:
        return None
    if name in INT_FIELDS:
        return int(value)
    if name == "published":
        return value in (True, "1", 1, "true")
    return str(getattr(value, "value", value))


def row_of(doc: Mapping[str, Any]) -> dict[str, Any]:
    row = {"tsv": tsvector_literal(doc["text"], filter_lexemes(doc)),
           "audience": list(doc["audience"])}  # fmt: skip
    for column in COLUMNS:
        if column.name not in row:
            row[column.name] = typed(column.name, doc.get(column.name))
    return row


class PostgresBackend:
    name = "postgresql"

    @contextmanager
    def writer(self, session: Session, *, wait: bool = False) -> Iterator[_Writer | None]:
        lock = func.pg_advisory_xact_lock if wait else func.pg_try_advisory_xact_lock
        got = session.execute(select(lock(LOCK_ID))).scalar()
        yield _Writer(session) if wait or got else None

    def rebuild(self, session: Session, docs: Iterable[Mapping[str, Any]]) -> None:
        """Replace every document in the caller's transaction (appliers wait for it)."""
        with self.writer(session, wait=True) as writer:
            self.clear(session)
            writer.copy(docs)

    def clear(self, session: Session) -> None:
        session.execute(delete(SearchDocument))

    def signatures(self, session: Session) -> dict[str, str]:
        return {
            key: sig for key, sig in session.execute(select(SearchDocument.key, SearchDocument.sig))
        }

    def count(self, session: Session) -> int:
        return session.scalar(select(func.count()).select_from(SearchDocument)) or 0

    def search(
        self,
        parsed: Parsed,
        *,
        session: Session,
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
        doc = SearchDocument
        words = to_tsquery(parsed)
        # The words, the audience and the filters: one tsquery, one GIN lookup.
        parts = [f"({words})"] if words else []
        parts += [_any_of(name, values) for name, values in restrictions(audiences, filters)]
        conditions = []
        if parts:
            matched = cast(literal(" & ".join(parts)), TSQUERY)
            conditions.append(doc.tsv.bool_op("@@")(matched))
        excluded = excluded_tsquery(parsed)
        if excluded:
            conditions.append(~doc.tsv.bool_op("@@")(cast(literal(excluded), TSQUERY)))
        if day_from:
            conditions.append(doc.day >= int(day_from.strftime("%Y%m%d")))
        if day_to:
            conditions.append(doc.day <= int(day_to.strftime("%Y%m%d")))
        where = and_(*conditions) if conditions else literal(True)
        if words and not newest_first:
            score = func.ts_rank(doc.tsv, cast(literal(words), TSQUERY))
            order = [score.desc(), doc.day.desc(), doc.key.desc()]
        else:
            score = literal(0.0)
            order = [doc.day.desc(), doc.key.desc()]
        rows = session.execute(
            select(doc.key, score, func.count().over()).where(where).order_by(*order)
            .limit(per_page).offset((page - 1) * per_page)
        ).all()  # fmt: skip
        if rows or page == 1:
            total = rows[0][2] if rows else 0
        else:  # past the last page: the total on its own
            total = session.scalar(select(func.count()).select_from(doc).where(where)) or 0
        counted: dict[str, dict[str, int]] = {}
        if facets:
            counted = {name: {} for name in FACET_FIELDS}
            columns = [COLUMNS[name] for name in FACET_FIELDS]
            grouped = session.execute(
                select(*columns, func.count()).where(where)
                .group_by(func.grouping_sets(*[tuple_(c) for c in columns]))
            )  # fmt: skip
            for row in grouped:
                for name, value in zip(FACET_FIELDS, row[:-1], strict=True):
                    if value is not None:
                        counted[name][str(value)] = row[-1]
        return Result(hits=[Hit(key=k, score=float(s or 0)) for k, s, _ in rows], total=total,
                      facets=counted)  # fmt: skip


class _Writer:
    def __init__(self, session: Session):
        self.session = session

    def _insert(self, docs: Iterable[Mapping[str, Any]], *, replace: bool) -> None:
        statement = pg_insert(SearchDocument)
        if replace:
            statement = statement.on_conflict_do_update(
                index_elements=["key"],
                set_={c.name: statement.excluded[c.name] for c in COLUMNS if c.name != "key"},
            )
        batch: list[dict[str, Any]] = []
        for doc in docs:
            batch.append(row_of(doc))
            if len(batch) >= CHUNK:
                self.session.execute(statement, batch)  # executemany: compiled once
                batch = []
        if batch:
            self.session.execute(statement, batch)

    def copy(self, docs: Iterable[Mapping[str, Any]]) -> None:
        """The bulk path of a rebuild: COPY, far cheaper than INSERT per row."""
        names = [c.name for c in COLUMNS]
        connection = self.session.connection().connection.driver_connection
        with connection.cursor() as cursor:
            sql = f"COPY search_documents ({', '.join(names)}) FROM STDIN"
            with cursor.copy(sql) as copy:
                for doc in docs:
                    row = row_of(doc)
                    copy.write_row([row[name] for name in names])

    def upsert(self, docs: Iterable[Mapping[str, Any]]) -> None:
        self._insert(docs, replace=True)

    def add(self, docs: Iterable[Mapping[str, Any]]) -> None:
        self._insert(docs, replace=False)

    def delete(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        if keys:
            self.session.execute(delete(SearchDocument).where(SearchDocument.key.in_(keys)))

    def delete_where(self, kind: str, **filters: Any) -> None:
        conditions = [SearchDocument.kind == kind]
        conditions += [COLUMNS[name] == typed(name, value) for name, value in filters.items()]
        self.session.execute(delete(SearchDocument).where(*conditions))

    def commit(self) -> None:
        """The caller's transaction commits these rows together with the outbox deletion."""
