"""Keeping ``suggestion_sources`` in step: at submission, at each outcome, and in bulk."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert, literal, select, update

from consult.comments.models import Comment, CommentStatus
from consult.extensions import db
from consult.review.models import Submission, Suggestion, suggestion_authors
from consult.stats.models import SuggestionSource

KINDS = ("unit", "collector", "expert")


def record(suggestions: Iterable[Suggestion]) -> None:
    """Write the sources of submitted suggestions (replacing any they had)."""
    suggestions = [s for s in suggestions if s.submission is not None]
    if not suggestions:
        return
    db.session.execute(
        delete(SuggestionSource).where(
            SuggestionSource.suggestion_id.in_([s.id for s in suggestions])
        )
    )
    rows = []
    for s in suggestions:
        active = [c for c in s.comments if c.status == CommentStatus.ACTIVE]
        keys = {
            "unit": {c.unit_id for c in active},
            "collector": {c.collector_id for c in active},
            "expert": {u.id for u in s.authors},
        }
        for kind, found in keys.items():
            rows.extend(
                {"suggestion_id": s.id, "kind": kind, "key_id": key, "task_id": s.task_id,
                 "point_id": s.point_id, "submitted_at": s.submission.submitted_at,
                 "outcome": s.outcome}
                for key in sorted(found, key=lambda k: (k is None, k or 0))
            )  # fmt: skip
    if rows:
        db.session.execute(insert(SuggestionSource), rows)


def record_outcome(suggestion: Suggestion) -> None:
    db.session.execute(
        update(SuggestionSource)
        .where(SuggestionSource.suggestion_id == suggestion.id)
        .values(outcome=suggestion.outcome)
    )


def rebuild() -> int:
    """Make every submitted suggestion's sources again from the comments and authors, in SQL;
    returns how many rows there are."""
    db.session.execute(delete(SuggestionSource))
    submitted = (
        select(Suggestion.id, Suggestion.task_id, Suggestion.point_id, Suggestion.outcome,
               Submission.submitted_at)
        .join(Submission, Submission.id == Suggestion.submission_id)
        .subquery()
    )  # fmt: skip
    columns = ["suggestion_id", "kind", "key_id", "task_id", "point_id", "outcome", "submitted_at"]
    for kind, key in (("unit", Comment.unit_id), ("collector", Comment.collector_id)):
        merged = (
            select(Comment.suggestion_id.label("suggestion_id"), key.label("key_id"))
            .where(Comment.status == CommentStatus.ACTIVE, Comment.suggestion_id.is_not(None))
            .distinct()
            .subquery()
        )
        db.session.execute(insert(SuggestionSource).from_select(columns, select(
            submitted.c.id, literal(kind), merged.c.key_id, submitted.c.task_id,
            submitted.c.point_id, submitted.c.outcome, submitted.c.submitted_at,
        ).join(merged, merged.c.suggestion_id == submitted.c.id)))  # fmt: skip
    db.session.execute(insert(SuggestionSource).from_select(columns, select(
        submitted.c.id, literal("expert"), suggestion_authors.c.user_id, submitted.c.task_id,
        submitted.c.point_id, submitted.c.outcome, submitted.c.submitted_at,
    ).join(suggestion_authors, suggestion_authors.c.suggestion_id == submitted.c.id)))  # fmt: skip
    return db.session.scalar(select(db.func.count()).select_from(SuggestionSource)) or 0
