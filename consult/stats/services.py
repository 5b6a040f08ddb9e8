"""Statistics: what was collected and what became of it, grouped and filtered by period.

Read-only aggregate queries. Two kinds of fact are counted, each on its own date:

- **comments** — active comments (withdrawn, rejected and unmoderated ones do not count),
  dated by the day they were recorded (``recorded_on``, in the legislature's time zone):
  raw, distinct (``duplicate_of_id`` is NULL: each
  near-duplicate group counted once, as of the point's last grouping) and the people they
  speak for;
- **suggestions** — submitted suggestions, dated by their report's submission: their number
  and their outcomes (the newest recording of each).

A group's *tasks* are the distinct tasks in which it has either kind of fact. The adoption
rate is (adopted + partially adopted) / decided, where decided excludes those under study
and those without an outcome yet; it is ``None`` while nothing is decided.

Groupings by unit and collector count a suggestion once for every unit (collector) whose
comments it merges; by expert, once for each of its authors. So their suggestion totals
can exceed the point's: they answer "how far did this unit's words go", not a partition.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, case, func, select

from consult.comments.models import Comment, CommentStatus
from consult.consultations.models import ConsultationTask
from consult.drafts.models import Draft, DraftVersion
from consult.extensions import db
from consult.org.models import ContactPoint, Legislature, Role, Unit, User
from consult.outcomes.models import Outcome
from consult.review.models import Submission, Suggestion, suggestion_authors
from consult.stats.models import SuggestionSource

GROUPINGS = ("legislature", "point", "unit", "collector", "expert", "draft", "task", "month",
             "year")  # fmt: skip
COUNTS = ("tasks", "comments", "distinct", "people", "suggestions", "adopted",
          "partially_adopted", "not_adopted", "pending")  # fmt: skip


@dataclass
class Row:
    key: Any
    label: str
    tasks: int = 0
    comments: int = 0
    distinct: int = 0
    people: int = 0
    suggestions: int = 0
    adopted: int = 0
    partially_adopted: int = 0
    not_adopted: int = 0
    pending: int = 0  # under study, or no outcome recorded yet

    @property
    def decided(self) -> int:
        return self.adopted + self.partially_adopted + self.not_adopted

    @property
    def rate(self) -> float | None:
        """(adopted + partially adopted) / decided, to four places."""
        if not self.decided:
            return None
        return round((self.adopted + self.partially_adopted) / self.decided, 4)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "decided": self.decided, "rate": self.rate}


@dataclass
class Scope:
    """What the asking user may count: one legislature's tasks, one point, or everything."""

    legislature_id: int | None = None
    point_id: int | None = None
    task_id: int | None = None
    start: date | None = None
    end: date | None = None
    # Set by ``_tasks``: the legislature's tasks are not all tasks, so the passes summed
    # over tasks in SQL are restricted to them (otherwise no condition is needed).
    narrowed: bool = field(default=False, compare=False, repr=False)


@dataclass
class Table:
    by: str
    scope: Scope
    rows: list[Row] = field(default_factory=list)
    total: Row = field(default_factory=lambda: Row(key=None, label=""))


def scope_for(user: User, *, point_id: int | None = None, start=None, end=None) -> Scope:
    """Legislature staff see their legislature's tasks (optionally one point of them); a
    point's people see their point; administrators see everything."""
    if user.role == Role.LEGISLATURE:
        return Scope(legislature_id=user.legislature_id, point_id=point_id, start=start, end=end)
    if user.role in (Role.MANAGER, Role.EXPERT, Role.COLLECTOR):
        return Scope(point_id=user.point_id, start=start, end=end)
    return Scope(point_id=point_id, start=start, end=end)


# -- dates ----------------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _bounds(scope: Scope) -> tuple[datetime | None, datetime | None]:
    """The period's local days as UTC instants: [start 00:00, the day after end 00:00)."""
    zone = _zone()
    low = datetime.combine(scope.start, time(), zone).astimezone(UTC) if scope.start else None
    high = (
        datetime.combine(scope.end + timedelta(days=1), time(), zone).astimezone(UTC)
        if scope.end
        else None
    )
    return low, high


# -- the two fact queries ----------------------------------------------------------------------
#
# Each kind of fact is read in one pass, grouped by task and the columns the grouping needs,
# in the order of an index that covers the pass (``ix_comments_stats*``), so that neither the
# table is read nor any sorting done. What follows from those columns — the task's
# legislature and draft, a day's month and year — is worked out here from a few thousand
# grouped rows, and the large tables are never joined to the tasks. By unit, collector and
# expert (``KEYED``), the passes are grouped by the group itself instead, each group's tasks
# coming back as one list, so that a few hundred rows come back rather than one per task
# and group; the comment pass is split over threads by ranges of the task (or the key).

# Groupings in which each fact falls in exactly one group: the scope's totals are their sums.
COMMENT_PARTITIONS = ("legislature", "point", "unit", "collector", "draft", "task", "month",
                      "year", "total")  # fmt: skip
SUGGESTION_PARTITIONS = ("legislature", "point", "draft", "task", "month", "year", "total")
SOURCE_KINDS = ("unit", "collector", "expert")  # read from ``suggestion_sources``
COMMENT_COLUMNS = {
    "point": (Comment.point_id,),
    "month": (Comment.recorded_on,),
    "year": (Comment.recorded_on,),
}
# Groupings with hundreds of groups each present in most tasks: one row per (task, group)
# would be tens of thousands of rows, so these passes are grouped by the group in SQL (in
# the order of an index led by it) and bring each group's tasks back as one list.
# Each with the column its comment pass is grouped (unit, collector) or split (expert: the
# merged comments, per suggestion) on.
KEYED = {"unit": Comment.unit_id, "collector": Comment.collector_id,
         "expert": Comment.suggestion_id}  # fmt: skip


Part = tuple[Any, int | None, int | None] | None  # (column, low, high): one thread's range


def _in_part(query: Select, part: Part) -> Select:
    """One range of a column's values, when the pass is split across threads (the values
    NULL, for a part without bounds)."""
    if part is None:
        return query
    column, low, high = part
    return query.where(column.is_(None) if low is None else column.between(low, high))


def _comment_filters(query: Select, scope: Scope, part: Part) -> Select:
    query = _in_part(query.where(Comment.status == CommentStatus.ACTIVE), part)
    if scope.point_id is not None:
        query = query.where(Comment.point_id == scope.point_id)
    if scope.task_id is not None:
        query = query.where(Comment.task_id == scope.task_id)
    if scope.start is not None:
        query = query.where(Comment.recorded_on >= scope.start)
    if scope.end is not None:
        query = query.where(Comment.recorded_on <= scope.end)
    return query


def _counts():
    # count(*) - count(duplicate_of_id): the distinct ones, cheaper per row than a CASE
    return (
        func.count(),
        func.count() - func.count(Comment.duplicate_of_id),
        func.coalesce(func.sum(Comment.participants), 0),
    )


def _comment_query(by: str, scope: Scope, part: Part = None) -> Select:
    """(task_id, *the grouping's columns, raw, distinct, people)."""
    columns = COMMENT_COLUMNS.get(by, ())
    query = _comment_filters(select(Comment.task_id, *columns, *_counts()), scope, part)
    return query.group_by(Comment.task_id, *columns)


def _task_list(column, *, distinct: bool = False):
    """A group's task ids as one value: PostgreSQL's array, SQLite's comma-separated text."""
    value = column.distinct() if distinct else column
    if db.engine.dialect.name == "postgresql":
        return func.array_agg(value)
    return func.group_concat(value)


def _task_ids(value: Any) -> set[int]:
    if not value:
        return set()
    if isinstance(value, str):
        return set(map(int, value.split(",")))
    return set(value)


def _keyed_comment_query(by: str, scope: Scope, part: Part) -> Select:
    """(key, its tasks, raw, distinct, people): one row per unit, collector or author.

    Its rows are summed over tasks in SQL, so another legislature's tasks are left out
    there (the passes by task leave them out as their rows are read)."""
    names = ("raw", "distinct", "people")
    counts = [c.label(n) for c, n in zip(_counts(), names, strict=True)]

    def filters(query: Select) -> Select:
        query = _comment_filters(query, scope, part)
        if scope.narrowed:
            query = query.where(Comment.task_id.in_(_scope_tasks(scope)))
        return query

    if by == "expert":  # the comments merged into each suggestion, then its authors
        merged = filters(
            select(Comment.suggestion_id, func.max(Comment.task_id).label("task_id"), *counts)
            .where(Comment.suggestion_id.is_not(None))
        ).group_by(Comment.suggestion_id).subquery()  # fmt: skip
        return (
            select(suggestion_authors.c.user_id, _task_list(merged.c.task_id, distinct=True),
                   *(func.sum(merged.c[n]) for n in names))
            .join(suggestion_authors, suggestion_authors.c.suggestion_id == merged.c.suggestion_id)
            .group_by(suggestion_authors.c.user_id)
        )  # fmt: skip
    column = KEYED[by]
    inner = (
        filters(select(column.label("key"), Comment.task_id, *counts))
        .group_by(column, Comment.task_id)
        .subquery()
    )
    return select(
        inner.c.key, _task_list(inner.c.task_id), *(func.sum(inner.c[n]) for n in names)
    ).group_by(inner.c.key)


def _outcome_counts(column):
    def count(test):  # count(CASE … THEN 1 END): cheaper per row than sum(CASE … ELSE 0)
        return func.count(case((test, 1)))

    return (
        func.count(),
        count(column == Outcome.ADOPTED.value),
        count(column == Outcome.PARTIALLY_ADOPTED.value),
        count(column == Outcome.NOT_ADOPTED.value),
        count(column.is_(None) | (column == Outcome.PENDING.value)),  # under study, or none yet
    )


def _suggestion_query(by: str, scope: Scope) -> Select:
    """(task_id, *the grouping's columns, submitted, adopted, partly, not adopted, pending)."""
    low, high = _bounds(scope)
    if by in SOURCE_KINDS:  # once for each unit, collector or author it draws on
        return _keyed_source_query(by, scope)
    dated = low is not None or high is not None or by in ("month", "year")
    columns: tuple = ()
    query = select(Suggestion.task_id)
    if by == "point":
        columns = (Suggestion.point_id,)
    elif by in ("month", "year"):
        columns = (Submission.submitted_at,)
    if dated:
        query = query.join(Submission, Submission.id == Suggestion.submission_id)
    query = query.add_columns(*columns, *_outcome_counts(Suggestion.outcome)).where(
        Suggestion.submission_id.is_not(None)
    )
    if scope.point_id is not None:
        query = query.where(Suggestion.point_id == scope.point_id)
    if scope.task_id is not None:
        query = query.where(Suggestion.task_id == scope.task_id)
    if low is not None:
        query = query.where(Submission.submitted_at >= low)
    if high is not None:
        query = query.where(Submission.submitted_at < high)
    return query.group_by(Suggestion.task_id, *columns)


def _keyed_source_query(by: str, scope: Scope) -> Select:
    """(key, its tasks, submitted, adopted, partly, not adopted, pending) from the sources
    of the submitted suggestions, one row per unit, collector or author."""
    low, high = _bounds(scope)
    source = SuggestionSource
    query = select(
        source.key_id, _task_list(source.task_id, distinct=True), *_outcome_counts(source.outcome)
    ).where(source.kind == by)
    if scope.narrowed:
        query = query.where(source.task_id.in_(_scope_tasks(scope)))
    for column, value in ((source.point_id, scope.point_id), (source.task_id, scope.task_id)):
        if value is not None:
            query = query.where(column == value)
    if low is not None:
        query = query.where(source.submitted_at >= low)
    if high is not None:
        query = query.where(source.submitted_at < high)
    return query.group_by(source.key_id)


def _scope_tasks(scope: Scope) -> Select:
    return select(ConsultationTask.id).where(
        ConsultationTask.legislature_id == scope.legislature_id
    )


def _tasks(scope: Scope) -> dict[int, tuple[int, int]]:
    """Task id → (legislature id, draft id), for the tasks in scope."""
    query = select(
        ConsultationTask.id, ConsultationTask.legislature_id, DraftVersion.draft_id
    ).join(DraftVersion, DraftVersion.id == ConsultationTask.draft_version_id)
    if scope.legislature_id is not None:
        query = query.where(ConsultationTask.legislature_id == scope.legislature_id)
    found = {task_id: (legislature_id, draft_id) for task_id, legislature_id, draft_id in
             db.session.execute(query)}  # fmt: skip
    scope.narrowed = scope.legislature_id is not None and len(found) < (
        db.session.scalar(select(func.count()).select_from(ConsultationTask)) or 0
    )
    return found


def _keyer(by: str, tasks: dict[int, tuple[int, int]]):
    """The group of a grouped row (task_id, *columns) of either pass."""
    zone = _zone()
    if by == "legislature":
        return lambda task_id, columns: tasks[task_id][0]
    if by == "draft":
        return lambda task_id, columns: tasks[task_id][1]
    if by == "task":
        return lambda task_id, columns: task_id
    if by == "total":
        return lambda task_id, columns: 0
    if by in ("month", "year"):
        fmt = "%Y-%m" if by == "month" else "%Y"

        def period(task_id, columns):
            moment = columns[0]
            if isinstance(moment, datetime):  # a submission's time: its local day
                moment = moment.astimezone(zone) if moment.tzinfo else moment.replace(
                    tzinfo=UTC).astimezone(zone)  # fmt: skip
            return moment.strftime(fmt) if moment is not None else None

        return period
    return lambda task_id, columns: columns[-1]


def _add(found: dict[Any, list], rows, key_of, tasks, width: int, offset: int) -> None:
    """Sum the grouped rows into ``found``: key → [tasks (a set), 8 counts]."""
    for task_id, *rest in rows:
        if task_id not in tasks:
            continue  # another legislature's task
        values = rest[len(rest) - width :]
        key = key_of(task_id, rest[: len(rest) - width])
        entry = found.get(key)
        if entry is None:
            entry = found[key] = [set(), 0, 0, 0, 0, 0, 0, 0, 0]
        entry[0].add(task_id)
        for index, value in enumerate(values, start=offset):
            entry[index] += int(value or 0)


def _add_keyed(found: dict[Any, list], rows, key_of, tasks, width: int, offset: int) -> None:
    """Sum rows (key, its task list, counts) into ``found`` (a key's rows from several parts
    are merged: their tasks joined, their counts added)."""
    for key, task_list, *values in rows:
        entry = found.get(key)
        if entry is None:
            entry = found[key] = [set(), 0, 0, 0, 0, 0, 0, 0, 0]
        entry[0] |= _task_ids(task_list)
        for index, value in enumerate(values, start=offset):
            entry[index] += int(value or 0)


FIELDS = ("comments", "distinct", "people", "suggestions", "adopted", "partially_adopted",
          "not_adopted", "pending")  # fmt: skip


def _parts(by: str, scope: Scope, tasks: dict[int, tuple[int, int]]) -> list[Part]:
    """Ranges that split the comment pass in about equal parts, one a thread: of task ids,
    or for the keyed groupings of the key (the order of their index), with a part of its
    own for comments without one."""
    threads = current_app.config.get("STATS_THREADS", 2)
    if threads <= 1 or scope.task_id is not None:
        return [None]
    if by in KEYED:
        column = KEYED[by]
        low, high = (  # each its own subquery: one step down the index, not a scan
            db.session.scalar(select(bound(column)).where(Comment.status == CommentStatus.ACTIVE))
            for bound in (func.min, func.max)
        )
        parts: list[Part] = [] if by == "expert" else [(column, None, None)]
        if low is None:
            return parts or [None]
        size = -(-(high - low + 1) // threads)
        return parts + [(column, start, min(high, start + size - 1))
                        for start in range(low, high + 1, size)]  # fmt: skip
    ids = sorted(tasks)
    if len(ids) < 2:
        return [None]
    size = -(-len(ids) // threads)
    return [
        (Comment.task_id, chunk[0], chunk[-1])
        for chunk in (ids[i : i + size] for i in range(0, len(ids), size))
    ]


def _run(queries: list[Select]) -> list[list[Any]]:
    """The passes, run at once on separate connections: SQLite (in WAL mode) and PostgreSQL
    read concurrently, and the driver lets go of the GIL while the database works."""
    if len(queries) == 1 or current_app.config.get("STATS_THREADS", 2) <= 1:
        return [db.session.execute(query).all() for query in queries]
    engine = db.engine

    def one(query: Select) -> list[Any]:
        with engine.connect() as connection:
            return connection.execute(query).all()

    with ThreadPoolExecutor(max_workers=current_app.config.get("STATS_THREADS", 2)) as pool:
        return list(pool.map(one, queries))


def _rows(by: str, scope: Scope, tasks: dict[int, tuple[int, int]]) -> tuple[dict[Any, Row], Row]:
    """The figures per key of the grouping, and the scope's totals (counted once)."""
    if not tasks:
        return {}, _row(None, [set(), 0, 0, 0, 0, 0, 0, 0, 0])
    parts = _parts(by, scope, tasks)
    partition = by in COMMENT_PARTITIONS, by in SUGGESTION_PARTITIONS
    keyed = by in KEYED
    comment_query = _keyed_comment_query if keyed else _comment_query
    # The longest passes first, so that the threads finish together.
    queries = {"comments total": _comment_query("total", scope)} if not partition[0] else {}
    queries |= {f"comments {n}": comment_query(by, scope, part) for n, part in enumerate(parts)}
    queries["suggestions"] = _suggestion_query(by, scope)
    if not partition[1]:
        queries["suggestions total"] = _suggestion_query("total", scope)
    results = dict(zip(queries, _run(list(queries.values())), strict=True))
    found: dict[Any, list] = {}
    key_of = _keyer(by, tasks)
    add = _add_keyed if keyed else _add
    for n in range(len(parts)):
        add(found, results[f"comments {n}"], key_of, tasks, 3, 1)
    add(found, results["suggestions"], key_of, tasks, 5, 4)
    everything: dict[Any, list] = {}
    whole = _keyer("total", tasks)
    if partition == (True, True):
        for entry in found.values():
            _merge(everything, entry)
    else:  # a fact can be in several groups: the totals from one pass over each kind
        if partition[0]:
            for entry in found.values():
                _merge(everything, [entry[0], *entry[1:4], 0, 0, 0, 0, 0])
        else:
            _add(everything, results["comments total"], whole, tasks, 3, 1)
        if partition[1]:
            for entry in found.values():
                _merge(everything, [entry[0], 0, 0, 0, *entry[4:]])
        else:
            _add(everything, results["suggestions total"], whole, tasks, 5, 4)
    rows = {key: _row(key, entry) for key, entry in found.items()}
    total = _row(None, everything.get(0) or [set(), 0, 0, 0, 0, 0, 0, 0, 0])
    return rows, total


def _merge(into: dict[Any, list], entry: list) -> None:
    target = into.setdefault(0, [set(), 0, 0, 0, 0, 0, 0, 0, 0])
    target[0] |= entry[0]
    for index in range(1, 9):
        target[index] += entry[index]


def _row(key: Any, entry: list) -> Row:
    return Row(key=key, label="", tasks=len(entry[0]),
               **dict(zip(FIELDS, entry[1:], strict=True)))  # fmt: skip


def totals(scope: Scope) -> Row:
    """The scope's figures, counted once (not the sum of any grouping's rows)."""
    _rows_by_task, total = _rows("total", scope, _tasks(scope))
    total.label = _("Total")
    return total


def table(by: str, scope: Scope) -> Table:
    """One row per group (groups without any fact are left out), in label order for names
    and in period order for months and years, with the totals of the whole scope (counted
    once, not the sum of the rows: see the module note)."""
    if by not in GROUPINGS:
        raise ValueError(by)
    rows, total = _rows(by, scope, _tasks(scope))
    total.label = _("Total")
    labels = _labels(by, [k for k in rows if k is not None])
    for key, entry in rows.items():
        entry.label = labels.get(key, str(key)) if key is not None else _("Not recorded")
    periods = by in ("month", "year")
    ordered = sorted(
        rows.values(), key=lambda r: (r.key is None, str(r.key) if periods else r.label)
    )
    return Table(by=by, scope=scope, rows=ordered, total=total)


def _labels(by: str, keys: Iterable[Any]) -> dict[Any, str]:
    keys = list(keys)
    if by in ("month", "year") or not keys:
        return {k: str(k) for k in keys}
    if by in ("collector", "expert"):
        found = db.session.execute(select(User.id, User.display_name).where(User.id.in_(keys)))
    else:
        model = {"legislature": Legislature, "point": ContactPoint, "unit": Unit, "draft": Draft,
                 "task": ConsultationTask}[by]  # fmt: skip
        name = model.title if by in ("draft", "task") else model.name
        found = db.session.execute(select(model.id, name).where(model.id.in_(keys)))
    return {key: label for key, label in found}
