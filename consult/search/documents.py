"""What the index holds: one document per clause, comment and suggestion, built from SQL.

A document is a plain dictionary; both backends take the same ones:

``key``       "comment:12"
``kind``      clause | comment | suggestion
``text``      what is searched
``day``       yyyymmdd (the day a comment was collected, a version was published …)
``audience``  who may see it: "public", "leg:<legislature>", "point:<point>"
``sig``       a digest of all of the above, so that ``search verify`` can tell a stale
              document from a current one without reading its text back
the filter fields of ``FILTER_FIELDS`` and, for clauses, ``citation``.

Each kind is registered once (:data:`KINDS`) with how to build its documents and how to tell
which rows a user may see; permissions are applied in the engine (through the audience)
*and* again when the rows are read back from SQL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.orm import Session

FILTER_FIELDS = (
    "kind", "task_id", "draft_id", "version_id", "point_id", "unit_id", "collector_id",
    "clause_id", "channel", "status", "outcome", "published",
)  # fmt: skip
FACET_FIELDS = ("kind", "channel", "status", "unit_id", "outcome")
INT_FIELDS = frozenset(
    {"task_id", "draft_id", "version_id", "point_id", "unit_id", "collector_id", "clause_id"}
)
PUBLIC = "public"
BATCH = 2000


@dataclass
class Hit:
    key: str
    score: float

    @property
    def kind(self) -> str:
        return self.key.split(":", 1)[0]

    @property
    def object_id(self) -> int:
        return int(self.key.split(":", 1)[1])


@dataclass
class Result:
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def nothing(cls, facets: bool) -> Result:
        """What a search finds for an audience of no one (``audiences=[]``)."""
        return cls(hits=[], total=0, facets={name: {} for name in FACET_FIELDS} if facets else {})


def term(value: Any) -> str:
    """A filter value as an index term: booleans as 1/0, enums by value, the rest as text."""
    if isinstance(value, bool):
        return str(int(value))
    return str(getattr(value, "value", value))


def restrictions(
    audiences: list[str] | None, filters: Mapping[str, Any] | None
) -> list[tuple[str, list[Any]]]:
    """What a search must match, for every backend alike: each given filter with its
    accepted values (one value or several; empty filters dropped), then the audience."""
    found = [
        (name, list(value) if isinstance(value, list | tuple | set) else [value])
        for name, value in (filters or {}).items()
        if value not in (None, [], ())
    ]
    if audiences is not None:
        found.append(("audience", list(audiences)))
    return found


def day_number(value: date | datetime | None) -> int:
    return int(value.strftime("%Y%m%d")) if value else 0


def make_document(kind: str, object_id: int, text: str, *, day: int, audience: Iterable[str],
                  citation: str | None = None, **filters: Any) -> dict[str, Any]:  # fmt: skip
    doc: dict[str, Any] = {
        "key": f"{kind}:{object_id}",
        "kind": kind,
        "text": text,
        "day": day,
        "audience": sorted(set(audience)),
        "citation": citation,
    }
    for name, value in filters.items():
        if name not in FILTER_FIELDS:
            raise ValueError(f"unknown filter field {name}")
        doc[name] = None if value is None else term(value)
    doc["sig"] = hashlib.blake2b(
        json.dumps(doc, sort_keys=True, ensure_ascii=False).encode(), digest_size=8
    ).hexdigest()
    return doc


def audiences_for(user) -> list[str]:
    """What the user may see in the index: the public's documents plus their own office's."""
    found = [PUBLIC]
    if getattr(user, "is_authenticated", False):
        if user.role == "legislature" and user.legislature_id:
            found.append(f"leg:{user.legislature_id}")
        elif user.role in ("manager", "expert", "collector") and user.point_id:
            found.append(f"point:{user.point_id}")
    return found


@dataclass
class Kind:
    """How one kind of object becomes documents, and which of its rows a user may see."""

    name: str
    model: type
    # The documents of these ids; ids are of the kind's own rows, or of its groups' rows
    # (a clause is indexed with its version: ``prefix`` "version", ``group_field`` version_id).
    documents: Callable[[Session, Sequence[int]], Iterator[dict[str, Any]]]
    ids: Callable[[], Select]  # every id (of rows or groups), for rebuild and verify
    visible: Callable[[Any], ColumnElement[bool]]  # a WHERE clause on the model
    # Changes to these models are written to the outbox under this kind's key.
    watches: dict[type, Callable[[Any], str | None]] = field(default_factory=dict)
    prefix: str = ""
    group_field: str | None = None
    # Every id in the order a rebuild writes them, when it is not the ids' own: a point's
    # comments side by side in the index, so that a search within one point (every
    # search a point's user makes) reads the few posting blocks of that stretch.
    layout: Callable[[], Select] | None = None

    def __post_init__(self) -> None:
        self.prefix = self.prefix or self.name


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


def kind_of_prefix(prefix: str) -> Kind | None:
    return next((kind for kind in KINDS.values() if kind.prefix == prefix), None)


def outbox_key(obj: Any) -> str | None:
    for kind in KINDS.values():
        for model, key in kind.watches.items():
            if isinstance(obj, model):
                return key(obj)
    return None


def batches(session: Session, statement: Select, size: int = BATCH) -> Iterator[list[int]]:
    """Ids in ascending batches, by keyset (no OFFSET, no long-held cursor)."""
    last = 0
    column = statement.selected_columns[0]
    while True:
        ids = list(session.scalars(statement.where(column > last).order_by(column).limit(size)))
        if not ids:
            return
        yield ids
        last = ids[-1]


# -- clauses -------------------------------------------------------------------------------


def _clause_kind() -> Kind:
    from consult.drafts.models import Clause, Draft, DraftVersion, VersionStatus

    def documents(session: Session, version_ids: Sequence[int]) -> Iterator[dict[str, Any]]:
        rows = session.execute(
            select(
                Clause.id,
                Clause.heading,
                Clause.text,
                Clause.citation,
                Clause.version_id,
                DraftVersion.status,
                DraftVersion.published_at,
                DraftVersion.created_at,
                DraftVersion.draft_id,
                Draft.legislature_id,
            )
            .join(DraftVersion, Clause.version_id == DraftVersion.id)
            .join(Draft, DraftVersion.draft_id == Draft.id)
            .where(Clause.version_id.in_(version_ids))
            .order_by(Clause.id)
        )
        for row in rows:
            text = "\n".join(part for part in (row.heading, row.text) if part)
            if not text:
                continue
            published = row.status == VersionStatus.PUBLISHED
            yield make_document(
                "clause", row.id, text,
                day=day_number(row.published_at or row.created_at),
                audience=[PUBLIC if published else f"leg:{row.legislature_id}"],
                citation=row.citation, draft_id=row.draft_id, version_id=row.version_id,
                clause_id=row.id, published=published,
            )  # fmt: skip

    def visible(user) -> ColumnElement[bool]:
        published = DraftVersion.status == VersionStatus.PUBLISHED
        if getattr(user, "is_authenticated", False) and user.role == "legislature":
            published = published | (Draft.legislature_id == user.legislature_id)
        versions = select(DraftVersion.id).join(Draft, DraftVersion.draft_id == Draft.id)
        return Clause.version_id.in_(versions.where(published))

    return Kind(
        name="clause",
        model=Clause,
        documents=documents,
        # Clauses are indexed by version: a version's clause rows are replaced as a whole.
        ids=lambda: select(DraftVersion.id),
        visible=visible,
        prefix="version",
        group_field="version_id",
        watches={
            Clause: lambda clause: f"version:{clause.version_id}",
            DraftVersion: lambda version: f"version:{version.id}",
        },
    )


# -- comments ------------------------------------------------------------------------------


def _comment_kind() -> Kind:
    from consult.comments.models import Comment
    from consult.consultations.models import ConsultationTask
    from consult.drafts.models import DraftVersion

    def documents(session: Session, ids: Sequence[int]) -> Iterator[dict[str, Any]]:
        rows = session.execute(
            select(
                Comment.id,
                Comment.body,
                Comment.proposed_text,
                Comment.reason,
                Comment.collected_on,
                Comment.created_at,
                Comment.task_id,
                Comment.point_id,
                Comment.unit_id,
                Comment.collector_id,
                Comment.clause_id,
                Comment.channel,
                Comment.status,
                ConsultationTask.draft_version_id,
                DraftVersion.draft_id,
            )
            .join(ConsultationTask, Comment.task_id == ConsultationTask.id)
            .join(DraftVersion, ConsultationTask.draft_version_id == DraftVersion.id)
            .where(Comment.id.in_(ids))
            .order_by(Comment.id)
        )
        for row in rows:
            text = "\n".join(p for p in (row.body, row.proposed_text, row.reason) if p)
            yield make_document(
                "comment", row.id, text,
                day=day_number(row.collected_on or row.created_at),
                audience=[f"point:{row.point_id}"],
                task_id=row.task_id, draft_id=row.draft_id, version_id=row.draft_version_id,
                point_id=row.point_id, unit_id=row.unit_id, collector_id=row.collector_id,
                clause_id=row.clause_id, channel=row.channel, status=row.status,
            )  # fmt: skip

    def visible(user) -> ColumnElement[bool]:
        if getattr(user, "is_authenticated", False) and user.role in (
            "manager", "expert", "collector"
        ):  # fmt: skip
            return Comment.point_id == user.point_id
        return false()

    return Kind(
        name="comment",
        model=Comment,
        documents=documents,
        ids=lambda: select(Comment.id),
        visible=visible,
        watches={Comment: lambda comment: f"comment:{comment.id}"},
        layout=lambda: select(Comment.id).order_by(Comment.point_id, Comment.id),
    )


# -- suggestions ---------------------------------------------------------------------------


def _suggestion_kind() -> Kind:
    from consult.consultations.models import ConsultationTask
    from consult.core.sanitize import html_to_text
    from consult.drafts.models import DraftVersion
    from consult.review.models import Suggestion

    def documents(session: Session, ids: Sequence[int]) -> Iterator[dict[str, Any]]:
        rows = session.execute(
            select(
                Suggestion.id,
                Suggestion.proposed_text,
                Suggestion.rationale_html,
                Suggestion.task_id,
                Suggestion.point_id,
                Suggestion.clause_id,
                Suggestion.status,
                Suggestion.submission_id,
                Suggestion.created_at,
                Suggestion.outcome,
                ConsultationTask.legislature_id,
                ConsultationTask.draft_version_id,
                DraftVersion.draft_id,
            )
            .join(ConsultationTask, Suggestion.task_id == ConsultationTask.id)
            .join(DraftVersion, ConsultationTask.draft_version_id == DraftVersion.id)
            .where(Suggestion.id.in_(ids))
            .order_by(Suggestion.id)
        )
        for row in rows:
            rationale = html_to_text(row.rationale_html)
            text = "\n".join(p for p in (row.proposed_text, rationale) if p)
            audience = [f"point:{row.point_id}"]
            if row.submission_id is not None:  # the legislature sees submitted reports
                audience.append(f"leg:{row.legislature_id}")
            yield make_document(
                "suggestion", row.id, text, day=day_number(row.created_at), audience=audience,
                task_id=row.task_id, draft_id=row.draft_id, version_id=row.draft_version_id,
                point_id=row.point_id, clause_id=row.clause_id, status=row.status,
                outcome=row.outcome,
            )  # fmt: skip

    def visible(user) -> ColumnElement[bool]:
        if not getattr(user, "is_authenticated", False):
            return false()
        if user.role in ("manager", "expert", "collector"):
            return Suggestion.point_id == user.point_id
        if user.role == "legislature":
            tasks = select(ConsultationTask.id).where(
                ConsultationTask.legislature_id == user.legislature_id
            )
            return Suggestion.submission_id.is_not(None) & Suggestion.task_id.in_(tasks)
        return false()

    return Kind(
        name="suggestion",
        model=Suggestion,
        documents=documents,
        ids=lambda: select(Suggestion.id),
        visible=visible,
        watches={Suggestion: lambda suggestion: f"suggestion:{suggestion.id}"},
        layout=lambda: select(Suggestion.id).order_by(Suggestion.point_id, Suggestion.id),
    )


def register_defaults() -> None:
    if not KINDS:
        register(_clause_kind())
        register(_comment_kind())
        register(_suggestion_kind())
