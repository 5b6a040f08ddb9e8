"""Recording outcomes: the legislature's staff, on submitted suggestions of their tasks."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from consult.consultations.models import ConsultationTask
from consult.core import audit
from consult.core.errors import NotFound, ValidationFailed
from consult.drafts import services as drafts
from consult.drafts.models import Clause, DraftVersion
from consult.extensions import db
from consult.org.models import Role, User
from consult.outcomes.models import Outcome, SuggestionOutcome
from consult.review.models import Suggestion

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


def record(suggestion: Suggestion, data: dict[str, Any], actor: User) -> SuggestionOutcome:
    outcome = data["outcome"]
    explanation = (data.get("explanation") or "").strip() or None
    if outcome in NEEDS_EXPLANATION and not explanation:
        raise _invalid("explanation", _("Explain what was and was not taken up."))
    landed_in = _landing(suggestion, data.get("landed_in"))
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
    audit.record(actor, "suggestion.outcome", suggestion, before=before,
                 after={"outcome": outcome.value, "revision": entry.revision,
                        "landed_in": landed_in.citation if landed_in else None},
                 reason=explanation)  # fmt: skip
    return entry


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
