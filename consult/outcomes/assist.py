"""Assisted outcomes: what a later version of the draft suggests became of a suggestion.

The article a suggestion is about is followed into the newest later published version with
the drafts' version comparison (which follows renumbering). Within it, the provision closest
to the proposed wording is taken as where the suggestion would have landed. The proposal's
edits to the consulted text (characters deleted and inserted, from ``difflib``) are then
looked for in that new text:

- the new text is the proposed wording (punctuation and spaces aside), or every proposed
  edit was made → adopted, landed there;
- some of the edits were made (share ≥ PARTLY_AT) → partially adopted, landed there;
- none to speak of, the article unchanged, or removed → not adopted.

It is only a proposal with its evidence, shown side by side: a person confirms it, and
nothing is recorded here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from consult.drafts import services as drafts
from consult.drafts.compare import Change, char_ops, similarity
from consult.drafts.models import Clause, DraftVersion, VersionStatus
from consult.extensions import db
from consult.outcomes.models import Outcome
from consult.review.models import Suggestion

ADOPTED_AT = 0.99  # every proposed edit made
PARTLY_AT = 0.2
REWORDED_AT = 0.4


@dataclass
class Proposal:
    outcome: Outcome
    version: DraftVersion
    landed_in: Clause | None
    old_text: str
    new_text: str
    proposed: str
    new_score: float  # similarity of the proposed wording to the closest new provision
    share: float  # of the proposed edits (in characters), the share the new text made
    status: str  # what the comparison says of the article: unchanged, changed, removed, …
    ops: list[tuple[str, str]] = field(default_factory=list)  # old → new, character by char


_PHRASE = re.compile(r"[^，。；、：,;:\s]+")
ITEM_LABEL = re.compile(r"^（[一二三四五六七八九十]+）")


def _phrases(ops: list[tuple[str, str]], kind: str) -> list[str]:
    return [phrase for op, text in ops if op == kind for phrase in _PHRASE.findall(text)]


def edits_made(old: str, proposed: str, new: str) -> float:
    """The share (by characters) of the edits proposed to ``old`` that ``new`` also made.

    Each inserted or deleted stretch is taken phrase by phrase (split at punctuation): an
    insertion counts when the new text has more of the phrase than the old, a deletion when
    it has less. An insertion the new text made in other words counts in proportion to its
    similarity to the closest phrase the new text added (when at least REWORDED_AT)."""
    wanted = char_ops(old, proposed)
    added = _phrases(char_ops(old, new), "insert")
    made = total = 0.0
    for kind in ("insert", "delete"):
        for phrase in _phrases(wanted, kind):
            total += len(phrase)
            if kind == "delete":
                made += len(phrase) if new.count(phrase) < old.count(phrase) else 0
            elif new.count(phrase) > old.count(phrase):
                made += len(phrase)
            else:
                closest = max((similarity(phrase, other) for other in added), default=0.0)
                made += len(phrase) * closest if closest >= REWORDED_AT else 0
    return made / total if total else 0.0


def _bare(text: str) -> str:
    return "".join(_PHRASE.findall(text))


def provision_text(clause: Clause, by_id: dict[int, Clause] | None = None) -> str:
    """A provision's own text, or, for an article of paragraphs, the text of its paragraphs."""
    if clause.text:
        return clause.text
    by_id = by_id or {c.id: c for c in clause.version.clauses}
    return "\n".join(c.text for c in by_id.values() if c.parent_id == clause.id and c.text)


def later_version(suggestion: Suggestion) -> DraftVersion | None:
    """The newest published version after the one the task consulted on."""
    version = suggestion.task.version
    return db.session.scalar(
        select(DraftVersion)
        .where(
            DraftVersion.draft_id == version.draft_id,
            DraftVersion.number > version.number,
            DraftVersion.status == VersionStatus.PUBLISHED,
        )
        .order_by(DraftVersion.number.desc())
    )


def _article_of(clause: Clause, by_id: dict[int, Clause]) -> Clause:
    node = clause
    while node.kind not in drafts.UNIT_KINDS and node.parent_id in by_id:
        node = by_id[node.parent_id]
    return node


def _provisions(article: Clause, children: dict[int | None, list[Clause]]) -> list[Clause]:
    """The article and every paragraph and item in it."""
    found = [article]
    for child in children.get(article.id, []):
        found.extend(_provisions(child, children))
    return found


class Assistant:
    """Proposals for the suggestions of one task, comparing the versions once."""

    def __init__(self, version: DraftVersion, later: DraftVersion):
        self.version, self.later = version, later
        self.changes: dict[str, Change] = {
            change.old.citation: change
            for change in drafts.compare_versions(version, later)
            if change.old is not None
        }
        self.old_by_id = {c.id: c for c in version.clauses}
        self.new_by_citation = {c.citation: c for c in later.clauses}
        self.new_children: dict[int | None, list[Clause]] = {}
        for clause in later.clauses:
            self.new_children.setdefault(clause.parent_id, []).append(clause)

    def propose(self, suggestion: Suggestion) -> Proposal | None:
        proposed = (suggestion.proposed_text or "").strip()
        clause = suggestion.clause
        if not proposed or clause is None or clause.id not in self.old_by_id:
            return None  # nothing to compare: a general suggestion, or no wording proposed
        if clause.kind in ("item", "subitem"):
            proposed = ITEM_LABEL.sub("", proposed)  # “（二）有固定住所；” → the item's text
        article = _article_of(clause, self.old_by_id)
        change = self.changes.get(article.citation)
        old_text = provision_text(clause, self.old_by_id)
        if change is None or change.new is None:
            return Proposal(Outcome.NOT_ADOPTED, self.later, None, old_text, "", proposed,
                            0.0, 0.0, "removed")  # fmt: skip
        new_article = self.new_by_citation.get(change.new.citation)
        candidates = _provisions(new_article, self.new_children) if new_article else []
        new_by_id = {c.id: c for c in self.later.clauses}
        scored = [(similarity(proposed, provision_text(c, new_by_id)), c) for c in candidates]
        new_score, best = max(scored, key=lambda pair: pair[0], default=(0.0, None))
        new_text = (provision_text(best, new_by_id) if best is not None else "") or change.new.text
        share = edits_made(old_text, proposed, new_text)
        if change.status == "unchanged":
            outcome = Outcome.NOT_ADOPTED
        elif _bare(new_text) == _bare(proposed) or share >= ADOPTED_AT:
            outcome = Outcome.ADOPTED
        elif share >= PARTLY_AT:
            outcome = Outcome.PARTIALLY_ADOPTED
        else:
            outcome = Outcome.NOT_ADOPTED
        return Proposal(
            outcome=outcome, version=self.later,
            landed_in=best if outcome != Outcome.NOT_ADOPTED else None,
            old_text=old_text, new_text=new_text, proposed=proposed, new_score=new_score,
            share=share, status=change.status, ops=char_ops(old_text, new_text),
        )  # fmt: skip


def proposals(suggestions: list[Suggestion]) -> dict[int, Proposal]:
    """A proposal for each suggestion that can have one (all of one task)."""
    if not suggestions:
        return {}
    later = later_version(suggestions[0])
    if later is None:
        return {}
    assistant = Assistant(suggestions[0].task.version, later)
    found = {}
    for suggestion in suggestions:
        proposal = assistant.propose(suggestion)
        if proposal is not None:
            found[suggestion.id] = proposal
    return found
