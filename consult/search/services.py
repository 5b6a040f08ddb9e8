"""Searching for a user: the engine finds keys within the user's audience, SQL reads the rows.

Permissions are applied twice: in the engine (the audience filter, so that totals and facet
counts count only what the user may see) and when the rows are read back (each kind's
``visible`` condition), so that an index that lags behind can never show a row it should not.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import url_for
from markupsafe import Markup, escape
from sqlalchemy import select

from consult.drafts.legal_text import CitationError, canonical_citation
from consult.extensions import db
from consult.search.analysis import fold
from consult.search.documents import KINDS, audiences_for
from consult.search.indexer import state_of
from consult.search.query import parse

SNIPPET = 120
BEFORE = 30
FILTERS = ("kind", "task_id", "draft_id", "unit_id", "collector_id", "clause_id", "channel",
           "status", "outcome")  # fmt: skip


@dataclass
class Item:
    kind: str
    id: int
    score: float
    title: str
    url: str
    snippet: Markup
    day: date | None = None
    obj: Any = None


@dataclass
class Jump:
    """A clause the query names by citation (第十二条第二款)."""

    title: str
    url: str
    citation: str
    draft_id: int


@dataclass
class Found:
    items: list[Item]
    total: int
    page: int
    per_page: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    jumps: list[Jump] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _folded_with_origin(text: str) -> tuple[str, list[int]]:
    """The folded text (as the index sees it) and, per folded character, its original index."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        normal = char if char.isascii() else unicodedata.normalize("NFKC", char)
        chars.extend(normal)
        origin.extend([index] * len(normal))
    joined = "".join(chars)
    converted = fold(joined)
    if len(converted) != len(joined):  # a phrase conversion changed the length: per character
        converted = "".join(c2 if len(c2 := fold(c)) == 1 else c for c in joined)
    lowered = converted.lower()
    return (lowered if len(lowered) == len(converted) else converted), origin


def snippet(text: str, words: list[str], width: int = SNIPPET) -> Markup:
    """A window of ``text`` around the first match, the matches marked, everything escaped."""
    if not text:
        return Markup("")
    folded, origin = _folded_with_origin(text)
    spans: list[tuple[int, int]] = []
    taken = [False] * len(folded)
    for word in words:
        for match in re.finditer(re.escape(word), folded):
            start, end = match.span()
            if not any(taken[start:end]):
                spans.append((origin[start], origin[end - 1] + 1))
                for i in range(start, end):
                    taken[i] = True
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:  # 养犬 + 登记 side by side: one mark
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    spans = merged
    first = spans[0][0] if spans else 0
    begin = max(0, first - BEFORE)
    finish = min(len(text), begin + width)
    if finish - begin < width:
        begin = max(0, finish - width)
    out: list[Any] = ["…" if begin > 0 else ""]
    cursor = begin
    for start, end in spans:
        if start < cursor or end > finish:
            continue
        out += [escape(text[cursor:start]), Markup('<mark class="hit">'), escape(text[start:end]),
                Markup("</mark>")]  # fmt: skip
        cursor = end
    out += [escape(text[cursor:finish]), "…" if finish < len(text) else ""]
    return Markup("").join(out)


def _present(kind: str, obj: Any) -> tuple[str, str, str, date | None]:
    """Title, link, searchable text and day of a found row."""
    if kind == "clause":
        version = obj.version
        title = f"{version.draft.title}（{version.label}）{obj.citation}"
        url = url_for("drafts.version", draft_id=version.draft_id, number=version.number,
                      _anchor=obj.anchor)  # fmt: skip
        text = "\n".join(p for p in (obj.heading, obj.text) if p)
        return title, url, text, (version.published_at or version.created_at).date()
    if kind == "comment":
        where = obj.clause.citation if obj.clause else "总体意见"
        title = f"{obj.task.title} · {where}"
        url = url_for("comments.show_comment", comment_id=obj.id)
        text = "\n".join(p for p in (obj.body, obj.proposed_text, obj.reason) if p)
        return title, url, text, obj.collected_on or obj.created_at.date()
    if kind == "suggestion":
        title = f"{obj.task.title} · {obj.citation}"
        url = url_for("tasks.show", task_id=obj.task_id)
        text = "\n".join(p for p in (obj.proposed_text, obj.rationale_text) if p)
        return title, url, text, obj.created_at.date()
    raise KeyError(kind)


def _jumps(text: str, user, draft_id: int | None) -> list[Jump]:
    """Clauses named by a citation query, in the versions the user may see (newest first)."""
    from consult.drafts.models import Clause, Draft, DraftVersion

    stripped = text.strip()
    if not stripped.startswith("第") or len(stripped) > 60:
        return []
    try:
        canonical = canonical_citation(stripped)
    except CitationError:
        return []
    query = (
        select(Clause)
        .join(DraftVersion, Clause.version_id == DraftVersion.id)
        .join(Draft, DraftVersion.draft_id == Draft.id)
        .where(Clause.citation == canonical, KINDS["clause"].visible(user))
        .order_by(DraftVersion.draft_id, DraftVersion.number.desc())
    )
    if draft_id:
        query = query.where(DraftVersion.draft_id == draft_id)
    found: list[Jump] = []
    seen: set[int] = set()
    for clause in db.session.scalars(query.limit(50)):
        version = clause.version
        if version.draft_id in seen:
            continue  # the newest visible version of each draft
        seen.add(version.draft_id)
        found.append(
            Jump(
                title=f"{version.draft.title}（{version.label}）{clause.citation}",
                url=url_for(
                    "drafts.version",
                    draft_id=version.draft_id,
                    number=version.number,
                    _anchor=clause.anchor,
                ),
                citation=clause.citation,
                draft_id=version.draft_id,
            )
        )
    return found


def search(user, params: dict[str, Any]) -> Found:
    """Run a validated query (see ``schemas.SearchQuerySchema``) for ``user``."""
    text = params.get("q") or ""
    parsed = parse(text)
    page = params.get("page") or 1
    per_page = params.get("per_page") or 20
    filters = {name: params.get(name) for name in FILTERS if params.get(name) is not None}
    result = state_of().backend.search(
        parsed,
        session=db.session,
        audiences=audiences_for(user),
        filters=filters,
        day_from=params.get("from"),
        day_to=params.get("to"),
        newest_first=params.get("sort") == "newest",
        page=page,
        per_page=per_page,
        facets=params.get("facets", True),
    )
    wanted: dict[str, list[int]] = {}
    for hit in result.hits:
        wanted.setdefault(hit.kind, []).append(hit.object_id)
    rows: dict[str, Any] = {}
    for kind_name, ids in wanted.items():
        kind = KINDS[kind_name]
        for obj in db.session.scalars(
            select(kind.model).where(kind.model.id.in_(ids), kind.visible(user))
        ):
            rows[f"{kind_name}:{obj.id}"] = obj
    words = parsed.positive_words()
    items: list[Item] = []
    for hit in result.hits:
        obj = rows.get(hit.key)
        if obj is None:
            continue  # gone since it was indexed, or not (any longer) visible
        title, url, body, day = _present(hit.kind, obj)
        items.append(Item(hit.kind, hit.object_id, hit.score, title, url,
                          snippet(body, words), day, obj))  # fmt: skip
    return Found(
        items=items,
        total=result.total,
        page=page,
        per_page=per_page,
        facets=result.facets,
        jumps=_jumps(text, user, params.get("draft_id")) if page == 1 else [],
    )
