"""Statistics: what was collected and what became of it, grouped and filtered by period.

Read-only aggregate queries. Two kinds of fact are counted, each on its own date:

- **comments** — active comments (withdrawn, rejected and unmoderated ones do not count),
  dated by when they were recorded: raw, distinct (``duplicate_of_id`` is NULL: each
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
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, and_, case, func, literal, select, union

from consult.comments.models import Comment, CommentStatus
from consult.consultations.models import ConsultationTask
from consult.drafts.models import Draft, DraftVersion
from consult.extensions import db
from consult.org.models import ContactPoint, Legislature, Role, Unit, User
from consult.outcomes.models import Outcome
from consult.review.models import Submission, Suggestion, suggestion_authors

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
    start: date | None = None
    end: date | None = None


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


def _local_period(column, fmt: str):
    """The local month ('2026-11') or year ('2026') of a UTC timestamp column, in SQL."""
    if db.engine.dialect.name == "postgresql":
        pg = {"%Y-%m": "YYYY-MM", "%Y": "YYYY"}[fmt]
        return func.to_char(func.timezone(current_app.config["BABEL_DEFAULT_TIMEZONE"], column), pg)
    # SQLite stores naive UTC text; the zone's current offset (the default zone has no DST).
    offset = datetime.now(_zone()).utcoffset() or timedelta()
    return func.strftime(fmt, column, f"{int(offset.total_seconds())} seconds")


# -- the two fact queries ----------------------------------------------------------------------


def _comment_facts(by: str, scope: Scope) -> Select:
    """(key, task_id, comment id, distinct, people) of every counted comment."""
    keys = {
        "legislature": ConsultationTask.legislature_id,
        "point": Comment.point_id,
        "unit": Comment.unit_id,
        "collector": Comment.collector_id,
        "expert": suggestion_authors.c.user_id,
        "draft": DraftVersion.draft_id,
        "task": Comment.task_id,
        "month": _local_period(Comment.created_at, "%Y-%m"),
        "year": _local_period(Comment.created_at, "%Y"),
        "total": literal(0),
    }
    query = (
        select(
            keys[by].label("key"),
            Comment.task_id.label("task_id"),
            Comment.id.label("comment_id"),
            case((Comment.duplicate_of_id.is_(None), 1), else_=0).label("is_distinct"),
            Comment.participants.label("people"),
        )
        .join(ConsultationTask, ConsultationTask.id == Comment.task_id)
        .where(Comment.status == CommentStatus.ACTIVE)
    )
    if by == "draft":
        query = query.join(DraftVersion, DraftVersion.id == ConsultationTask.draft_version_id)
    if by == "expert":
        query = query.join(
            suggestion_authors, suggestion_authors.c.suggestion_id == Comment.suggestion_id
        )
    low, high = _bounds(scope)
    if scope.legislature_id is not None:
        query = query.where(ConsultationTask.legislature_id == scope.legislature_id)
    if scope.point_id is not None:
        query = query.where(Comment.point_id == scope.point_id)
    if low is not None:
        query = query.where(Comment.created_at >= low)
    if high is not None:
        query = query.where(Comment.created_at < high)
    return query


def _suggestion_facts(by: str, scope: Scope) -> Select:
    """Distinct (key, task_id, suggestion id, outcome) of every submitted suggestion."""
    keys = {
        "legislature": ConsultationTask.legislature_id,
        "point": Suggestion.point_id,
        "unit": Comment.unit_id,
        "collector": Comment.collector_id,
        "expert": suggestion_authors.c.user_id,
        "draft": DraftVersion.draft_id,
        "task": Suggestion.task_id,
        "month": _local_period(Submission.submitted_at, "%Y-%m"),
        "year": _local_period(Submission.submitted_at, "%Y"),
        "total": literal(0),
    }
    query = (
        select(
            keys[by].label("key"),
            Suggestion.task_id.label("task_id"),
            Suggestion.id.label("suggestion_id"),
            Suggestion.outcome.label("outcome"),
        )
        .join(Submission, Submission.id == Suggestion.submission_id)
        .join(ConsultationTask, ConsultationTask.id == Suggestion.task_id)
    )
    if by in ("unit", "collector"):
        query = query.join(
            Comment,
            and_(Comment.suggestion_id == Suggestion.id, Comment.status == CommentStatus.ACTIVE),
        ).distinct()
    if by == "draft":
        query = query.join(DraftVersion, DraftVersion.id == ConsultationTask.draft_version_id)
    if by == "expert":
        query = query.join(suggestion_authors, suggestion_authors.c.suggestion_id == Suggestion.id)
    low, high = _bounds(scope)
    if scope.legislature_id is not None:
        query = query.where(ConsultationTask.legislature_id == scope.legislature_id)
    if scope.point_id is not None:
        query = query.where(Suggestion.point_id == scope.point_id)
    if low is not None:
        query = query.where(Submission.submitted_at >= low)
    if high is not None:
        query = query.where(Submission.submitted_at < high)
    return query


def _outcome_count(column, value: Outcome | None):
    if value is None:  # pending: under study, or nothing recorded yet
        test = (column.is_(None)) | (column == Outcome.PENDING.value)
    else:
        test = column == value.value
    return func.coalesce(func.sum(case((test, 1), else_=0)), 0)


def _rows(by: str, scope: Scope) -> dict[Any, Row]:
    """The figures per key of the grouping (``"total"``: one row, key 0, for the scope)."""
    comments = _comment_facts(by, scope).subquery()
    suggestions = _suggestion_facts(by, scope).subquery()
    rows: dict[Any, Row] = {}

    def row(key: Any) -> Row:
        return rows.setdefault(key, Row(key=key, label=""))

    for key, raw, distinct, people in db.session.execute(
        select(
            comments.c.key,
            func.count(),
            func.coalesce(func.sum(comments.c.is_distinct), 0),
            func.coalesce(func.sum(comments.c.people), 0),
        ).group_by(comments.c.key)
    ):
        entry = row(key)
        entry.comments, entry.distinct, entry.people = int(raw), int(distinct), int(people)
    outcome = suggestions.c.outcome
    for key, *counts in db.session.execute(
        select(
            suggestions.c.key,
            func.count(),
            _outcome_count(outcome, Outcome.ADOPTED),
            _outcome_count(outcome, Outcome.PARTIALLY_ADOPTED),
            _outcome_count(outcome, Outcome.NOT_ADOPTED),
            _outcome_count(outcome, None),
        ).group_by(suggestions.c.key)
    ):
        entry = row(key)
        (entry.suggestions, entry.adopted, entry.partially_adopted, entry.not_adopted,
         entry.pending) = map(int, counts)  # fmt: skip
    tasks = union(
        select(comments.c.key, comments.c.task_id), select(suggestions.c.key, suggestions.c.task_id)
    ).subquery()
    for key, count in db.session.execute(select(tasks.c.key, func.count()).group_by(tasks.c.key)):
        row(key).tasks = int(count)
    return rows


def table(by: str, scope: Scope) -> Table:
    """One row per group (groups without any fact are left out), in label order for names
    and in period order for months and years, with the totals of the whole scope (counted
    once, not the sum of the rows: see the module note)."""
    if by not in GROUPINGS:
        raise ValueError(by)
    rows = _rows(by, scope)
    labels = _labels(by, [k for k in rows if k is not None])
    for key, entry in rows.items():
        entry.label = labels.get(key, str(key)) if key is not None else _("Not recorded")
    periods = by in ("month", "year")
    ordered = sorted(
        rows.values(), key=lambda r: (r.key is None, str(r.key) if periods else r.label)
    )
    total = _rows("total", scope).get(0) or Row(key=None, label="")
    total.key, total.label = None, _("Total")
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
