"""Recording outcomes: the legislature's staff, on submitted suggestions of their tasks."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from consult.comments.models import CommentStatus
from consult.consultations.models import ConsultationTask
from consult.core import audit
from consult.core.errors import NotFound, ValidationFailed
from consult.core.types import utcnow
from consult.drafts import services as drafts
from consult.drafts.models import Clause, DraftVersion
from consult.extensions import db
from consult.org.models import Role, User
from consult.outcomes.models import Notification, Outcome, SuggestionOutcome
from consult.review.models import Submission, Suggestion
from consult.stats import sources

NEEDS_EXPLANATION = (Outcome.PARTIALLY_ADOPTED, Outcome.NOT_ADOPTED)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(_("Please correct the marked fields."), fields={field: [message]})


def submitted_suggestion_or_404(suggestion_id: int, user: User) -> Suggestion:
    """A submitted suggestion on a task of the staff member's legislature."""
    suggestion = db.session.get(Suggestion, suggestion_id)
    if (
        suggestion is None
        or suggestion.submission_id is None
        or user.role != Role.LEGISLATURE
        or suggestion.task.legislature_id != user.legislature_id
    ):
        raise NotFound(_("No such suggestion."))
    return suggestion


def _landing(suggestion: Suggestion, value: Any) -> Clause | None:
    """The clause of a later version of the draft where the suggestion landed."""
    if value in (None, ""):
        return None
    task_version = suggestion.task.version
    later = select(DraftVersion).where(
        DraftVersion.draft_id == task_version.draft_id,
        DraftVersion.number > task_version.number,
    )
    if isinstance(value, int) and not isinstance(value, bool):
        clause = db.session.get(Clause, value)
        versions = {v.id for v in db.session.scalars(later)}
        if clause is None or clause.version_id not in versions:
            raise _invalid("landed_in", _("Not a clause of a later version of this draft."))
        return clause
    newest = db.session.scalar(later.order_by(DraftVersion.number.desc()))
    if newest is None:
        raise _invalid("landed_in", _("The draft has no later version yet."))
    try:
        return drafts.resolve_clause(newest, str(value))
    except NotFound as exc:
        raise _invalid("landed_in", exc.message) from None


def validate(suggestion: Suggestion, data: dict[str, Any]) -> Clause | None:
    """Check an outcome for the suggestion; returns the clause where it landed, if any."""
    explanation = (data.get("explanation") or "").strip()
    if data["outcome"] in NEEDS_EXPLANATION and not explanation:
        raise _invalid("explanation", _("Explain what was and was not taken up."))
    return _landing(suggestion, data.get("landed_in"))


def record(suggestion: Suggestion, data: dict[str, Any], actor: User) -> SuggestionOutcome:
    outcome = data["outcome"]
    explanation = (data.get("explanation") or "").strip() or None
    landed_in = validate(suggestion, data)
    previous = db.session.scalar(
        select(func.max(SuggestionOutcome.revision)).where(
            SuggestionOutcome.suggestion_id == suggestion.id
        )
    )
    entry = SuggestionOutcome(
        suggestion=suggestion,
        revision=(previous or 0) + 1,
        outcome=outcome,
        explanation=explanation,
        landed_in=landed_in,
        recorded_by_id=actor.id,
    )
    db.session.add(entry)
    before = {"outcome": suggestion.outcome}
    suggestion.outcome = outcome.value
    db.session.flush()
    sources.record_outcome(suggestion)
    audit.record(actor, "suggestion.outcome", suggestion, before=before,
                 after={"outcome": outcome.value, "revision": entry.revision,
                        "landed_in": landed_in.citation if landed_in else None},
                 reason=explanation)  # fmt: skip
    notify(suggestion, outcome, actor)
    return entry


def notify(suggestion: Suggestion, outcome: Outcome, actor: User) -> list[Notification]:
    """Tell everyone who took part: the collectors of its comments and its authors."""
    mine: dict[int, int] = {}
    for comment in suggestion.comments:
        if comment.status == CommentStatus.ACTIVE and comment.collector_id is not None:
            mine[comment.collector_id] = mine.get(comment.collector_id, 0) + 1
    for author in suggestion.authors:
        mine.setdefault(author.id, 0)
    mine.pop(actor.id, None)
    sent = [
        Notification(user_id=user_id, suggestion_id=suggestion.id, outcome=outcome, comments=n)
        for user_id, n in sorted(mine.items())
    ]
    db.session.add_all(sent)
    return sent


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    ) or 0  # fmt: skip


def notifications_query(user: User):
    return (
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def mark_read(user: User) -> int:
    """Mark every unread notification of the user read; returns how many."""
    from sqlalchemy import update

    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount or 0


def histories(suggestions: list[Suggestion]) -> dict[int, list[SuggestionOutcome]]:
    """Every recording of each suggestion's outcome, newest first, in one query."""
    found: dict[int, list[SuggestionOutcome]] = {s.id: [] for s in suggestions}
    if found:
        for entry in db.session.scalars(
            select(SuggestionOutcome)
            .where(SuggestionOutcome.suggestion_id.in_(list(found)))
            .order_by(SuggestionOutcome.suggestion_id, SuggestionOutcome.revision.desc())
        ):
            found[entry.suggestion_id].append(entry)
    return found


# -- the legislature's inbox --------------------------------------------------------------------


def require_staff(task: ConsultationTask, user: User) -> None:
    if user.role != Role.LEGISLATURE or task.legislature_id != user.legislature_id:
        raise NotFound(_("Not found."))


def inbox_query(user: User):
    """Tasks of the staff member's legislature with at least one submitted report, newest
    submission first."""
    latest = (
        select(Submission.task_id, func.max(Submission.submitted_at).label("latest"))
        .group_by(Submission.task_id)
        .subquery()
    )
    return (
        select(ConsultationTask)
        .join(latest, latest.c.task_id == ConsultationTask.id)
        .where(ConsultationTask.legislature_id == user.legislature_id)
        .order_by(latest.c.latest.desc(), ConsultationTask.id.desc())
    )


def task_progress(task_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per task: reports, the latest submission, submitted suggestions, and how many of them
    have a decided outcome."""
    found: dict[int, dict[str, Any]] = {i: {"reports": 0, "suggestions": 0, "decided": 0}
                                        for i in task_ids}  # fmt: skip
    if not task_ids:
        return found
    for task_id, reports, latest in db.session.execute(
        select(Submission.task_id, func.count(), func.max(Submission.submitted_at))
        .where(Submission.task_id.in_(task_ids)).group_by(Submission.task_id)
    ):  # fmt: skip
        found[task_id]["reports"], found[task_id]["latest"] = reports, latest
    decided = [o.value for o in Outcome if o.decided]
    for task_id, count, done in db.session.execute(
        select(Suggestion.task_id, func.count(),
               func.coalesce(func.sum(case((Suggestion.outcome.in_(decided), 1), else_=0)), 0))
        .where(Suggestion.task_id.in_(task_ids), Suggestion.submission_id.is_not(None))
        .group_by(Suggestion.task_id)
    ):  # fmt: skip
        found[task_id]["suggestions"], found[task_id]["decided"] = count, int(done)
    return found


def submissions(task: ConsultationTask) -> list[Submission]:
    return list(db.session.scalars(
        select(Submission).where(Submission.task_id == task.id).order_by(Submission.submitted_at)
    ))  # fmt: skip


def current(suggestion: Suggestion) -> SuggestionOutcome | None:
    return db.session.scalar(
        select(SuggestionOutcome)
        .where(SuggestionOutcome.suggestion_id == suggestion.id)
        .order_by(SuggestionOutcome.revision.desc())
    )


def task_suggestions(task: ConsultationTask, user: User) -> list[Suggestion]:
    """Submitted suggestions of the task: every point's for its legislature's staff, the
    point's own for the point's people."""
    query = select(Suggestion).where(
        Suggestion.task_id == task.id, Suggestion.submission_id.is_not(None)
    )
    if user.role == Role.LEGISLATURE:
        if task.legislature_id != user.legislature_id:
            return []
    elif user.role in (Role.MANAGER, Role.EXPERT, Role.COLLECTOR):
        query = query.where(Suggestion.point_id == user.point_id)
    else:
        return []
    return list(db.session.scalars(query.order_by(Suggestion.point_id, Suggestion.id)))


# -- the public outcome page ----------------------------------------------------------------


def public_page(task: ConsultationTask) -> dict[str, Any]:
    """Per clause, in the draft's order: how many spoke, the submitted suggestions, and what
    became of each. No names: not of residents, collectors or experts."""
    from consult.comments.models import Comment
    from consult.review.services import in_clause_order
    from consult.stats.services import Scope, totals

    spoke: dict[int | None, tuple[int, int]] = {
        clause_id: (count, people or 0)
        for clause_id, count, people in db.session.execute(
            select(Comment.clause_id, func.count(), func.sum(Comment.participants))
            .where(Comment.task_id == task.id, Comment.status == CommentStatus.ACTIVE)
            .group_by(Comment.clause_id)
        )
    }
    suggestions = in_clause_order(list(db.session.scalars(
        select(Suggestion).where(Suggestion.task_id == task.id,
                                 Suggestion.submission_id.is_not(None))
    )))  # fmt: skip
    clauses: dict[int | None, dict[str, Any]] = {}
    recorded = histories(suggestions)
    for s in suggestions:
        entry = clauses.setdefault(s.clause_id, {"clause": s.clause, "suggestions": []})
        newest = recorded[s.id][0] if recorded[s.id] else None
        entry["suggestions"].append({"suggestion": s, "outcome": newest})
    for clause_id, entry in clauses.items():
        entry["comments"], entry["people"] = spoke.get(clause_id, (0, 0))
    return {"totals": totals(Scope(task_id=task.id)), "clauses": list(clauses.values()),
            "points": len({s.point_id for s in suggestions})}  # fmt: skip
