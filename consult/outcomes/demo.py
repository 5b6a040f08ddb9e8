"""The demo point's finished consultations: the whole cycle, through the product's services.

For each consultation in ``demo_texts.CYCLES``: the legislature opens a task on the draft;
the point's collectors record the comments; the experts merge them into suggestions; the
manager approves and submits the report; the legislature publishes the later version and
records each outcome, landing it in the later version where the comparison finds it. The
dates are then set back to when it happened (months ago), so that the statistics by month
and year read like a point's real history. Running it again changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from consult.comments import services as comments
from consult.comments.models import CHANNEL_NAMES, Comment
from consult.consultations import services as tasks
from consult.consultations.models import ConsultationTask, TaskState
from consult.core.types import utcnow
from consult.drafts import services as drafts
from consult.drafts.models import Draft
from consult.extensions import db
from consult.org.models import Role, User
from consult.outcomes import assist, services
from consult.outcomes.demo_texts import CYCLES, DRAFT_TEXTS
from consult.outcomes.models import Notification, Outcome, SuggestionOutcome
from consult.review import services as review


def _draft(title: str, staff: User) -> Draft:
    draft = db.session.scalar(
        select(Draft).where(Draft.legislature_id == staff.legislature_id, Draft.title == title)
    )
    if draft is None:
        text, issuer = DRAFT_TEXTS[title]
        draft = drafts.create_draft(
            {"text": text, "version_label": "征求意见稿", "issuing_body": issuer}, staff
        )
        drafts.publish(draft.versions[0], staff)
    return draft


def _later_version(draft: Draft, task: ConsultationTask, wordings: dict[str, str], staff: User):
    """The second version, made from the first by the wordings the outcomes gave the clauses
    (unless the draft has one already)."""
    if len(draft.versions) > 1:
        return
    version = task.version
    text = version.source_text
    for cite, wording in wordings.items():
        clause = drafts.resolve_clause(version, cite)
        new = assist.ITEM_LABEL.sub("", wording) if clause.kind in ("item", "subitem") else wording
        text = text.replace(assist.provision_text(clause), new, 1)
    later = drafts.add_version(draft, {"text": text, "version_label": "二审稿"}, staff)
    drafts.publish(later, staff)


def load_demo_cycles(accounts: list[User]) -> list[ConsultationTask]:
    staff = next(u for u in accounts if u.role == Role.LEGISLATURE)
    manager = next(u for u in accounts if u.role == Role.MANAGER)
    experts = [u for u in accounts if u.role == Role.EXPERT]
    collectors = [u for u in accounts if u.role == Role.COLLECTOR]
    done = []
    turn = 0
    for spec in CYCLES:
        existing = db.session.scalar(
            select(ConsultationTask).where(ConsultationTask.title == spec["title"])
        )
        if existing is not None:
            done.append(existing)
            continue
        draft = _draft(spec["draft"], staff)
        task = tasks.create_task(
            {"draft_version_id": draft.versions[0].id, "title": spec["title"],
             "instructions": "<p>请组织群众逐条提出意见，并在截止时间前报送。</p>",
             "deadline": utcnow() + timedelta(days=30), "point_ids": [manager.point_id],
             "public_channel": False},
            staff,
        )  # fmt: skip
        tasks.assign(task, {"unit_ids": [u.id for u in manager.point.units]}, manager)
        suggestions = []
        wordings: dict[str, str] = {}
        for number, (cite, proposed, outcome, later, explanation, said) in enumerate(
            spec["suggestions"]
        ):
            recorded = []
            for body, channel, people in said:
                collector = collectors[turn % len(collectors)]
                turn += 1
                recorded.append(comments.record_comment(task, {
                    "clause": cite, "body": body, "channel": CHANNEL_NAMES[channel].value,
                    "participants": people, "place": collector.unit.name,
                }, collector))  # fmt: skip
            expert = experts[number % len(experts)]
            suggestion = review.create_suggestion(task, {
                "comment_ids": [c.id for c in recorded], "clause": cite,
                "proposed_text": proposed,
                "rationale": "群众反映：" + "；".join(body for body, _c, _p in said),
            }, expert)  # fmt: skip
            review.approve(suggestion, manager)
            suggestions.append((suggestion, Outcome(outcome), explanation))
            if outcome in ("adopted", "partially_adopted"):
                wordings[cite] = later or proposed
        review.submit(task, manager)
        _later_version(draft, task, wordings, staff)
        proposals = assist.proposals([s for s, _o, _e in suggestions])
        for suggestion, outcome, explanation in suggestions:
            proposal = proposals.get(suggestion.id)
            taken = outcome in (Outcome.ADOPTED, Outcome.PARTIALLY_ADOPTED)
            landed = proposal.landed_in if proposal and taken else None
            data = {"outcome": outcome, "explanation": explanation,
                    "landed_in": landed.id if landed else None}  # fmt: skip
            services.record(suggestion, data, staff)
        _set_back(task, spec["months_ago"])
        done.append(task)
    return done


def _set_back(task: ConsultationTask, months_ago: int) -> None:
    """Move the consultation's dates to when it happened."""
    deadline = utcnow() - timedelta(days=30 * months_ago)
    task.created_at = deadline - timedelta(days=21)
    task.deadline = deadline
    task.state = TaskState.REPORTED
    task.closed_at = deadline
    found = db.session.scalars(select(Comment).where(Comment.task_id == task.id)).all()
    for index, comment in enumerate(found):
        moment = deadline - timedelta(days=3 + index % 14, hours=index % 7)
        comment.created_at = comment.updated_at = moment
        comment.collected_on = moment.date()
        for revision in comment.revisions:
            revision.at = moment
    submission = review.submission_of(task, task.points[0].id)
    if submission is not None:
        submission.submitted_at = deadline - timedelta(days=1)
    decided_at = deadline + timedelta(days=25)
    ids = [s.id for s in services.task_suggestions(task, task.created_by)]
    for entry in db.session.scalars(
        select(SuggestionOutcome).where(SuggestionOutcome.suggestion_id.in_(ids))
    ):
        entry.recorded_at = decided_at
    for note in db.session.scalars(select(Notification).where(Notification.suggestion_id.in_(ids))):
        note.created_at = decided_at
        note.read_at = decided_at + timedelta(days=2) if months_ago > 1 else None
    db.session.flush()
