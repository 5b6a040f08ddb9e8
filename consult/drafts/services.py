"""Operations on drafts: upload and parse a version, publish it, resolve, compare."""

from __future__ import annotations

import logging
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from consult.core import audit
from consult.core.errors import Conflict, NotFound, ValidationFailed
from consult.core.types import utcnow
from consult.drafts import compare as comparison
from consult.drafts.legal_text import CitationError, Document, Node, parse, resolve
from consult.drafts.models import Clause, Draft, DraftVersion, VersionStatus
from consult.extensions import db

logger = logging.getLogger(__name__)

UNIT_KINDS = ("article", "enum_section")


def _parsed(text: str) -> Document:
    if not text or not text.strip():
        raise ValidationFailed(
            _("Please correct the marked fields."), fields={"text": [_("The text is empty.")]}
        )
    return parse(text)


def _fill(version: DraftVersion, document: Document) -> None:
    """Store the parse result: front matter, counts, warnings and one row per clause."""
    version.parsed_title = document.title[:300] or None
    version.counts = document.counts()
    version.warnings = [w.to_dict() for w in document.warnings]
    version.front_matter = {
        "history": [b.text for b in document.history],
        "toc": [b.text for b in document.toc],
        "preamble": [b.text for b in document.preamble],
        "annexes": [{"title": b.title, "text": b.text, "line": b.line} for b in document.annexes],
        "unplaced": [{"line": b.line, "text": b.text} for b in document.unplaced],
    }
    if version.id is not None:
        # One statement: the rows refer to each other, and are checked at its end.
        db.session.execute(delete(Clause).where(Clause.version_id == version.id))
        db.session.expire(version, ["clauses"])
    rows: dict[int, Clause] = {}
    parents: list[tuple[Clause, Node | None]] = []
    for position, node in enumerate(document.walk()):
        clause = Clause(
            version_id=version.id,
            position=position,
            depth=_depth(node),
            kind=node.kind,
            number=node.number,
            insert=node.insert,
            label=node.label[:40],
            citation=node.citation[:120],
            heading=node.heading[:200] if node.heading else None,
            text=node.text,
            line=node.line,
        )
        rows[id(node)] = clause
        parents.append((clause, node.parent))
    # Insert all rows at once, then link them to their parents.
    db.session.add_all(rows.values())
    db.session.flush()
    for clause, parent in parents:
        if parent is not None and parent.kind != "root":
            clause.parent_id = rows[id(parent)].id
    db.session.flush()
    db.session.expire(version, ["clauses"])


def _depth(node: Node) -> int:
    depth = 0
    parent = node.parent
    while parent is not None and parent.kind != "root":
        depth += 1
        parent = parent.parent
    return depth


def _new_version(draft: Draft, data: dict[str, Any], actor, number: int) -> DraftVersion:
    document = _parsed(data["text"])
    version = DraftVersion(
        draft=draft,
        number=number,
        label=data.get("version_label") or _("Consultation draft"),
        source_text=data["text"],
        source_filename=data.get("filename"),
        explanatory_note=data.get("explanatory_note"),
        created_by_id=actor.id,
    )
    db.session.add(version)
    db.session.flush()
    _fill(version, document)
    return version


def create_draft(data: dict[str, Any], actor) -> Draft:
    """A new draft of the actor's legislature with its first (pending) version."""
    title = data.get("title")
    document_title = None
    if not title:
        document_title = _parsed(data["text"]).title
        title = document_title
    if not title:
        raise ValidationFailed(
            _("Please correct the marked fields."),
            fields={"title": [_("The text has no title line: please give the title.")]},
        )
    draft = Draft(
        legislature_id=actor.legislature_id,
        title=title[:300],
        issuing_body=data.get("issuing_body"),
        created_by_id=actor.id,
    )
    db.session.add(draft)
    db.session.flush()
    version = _new_version(draft, data, actor, 1)
    audit.record(actor, "draft.create", draft, after={"title": draft.title, "version": version.id})
    return draft


def add_version(draft: Draft, data: dict[str, Any], actor) -> DraftVersion:
    """The next version of a draft (二审稿 …), pending until published."""
    pending = [v for v in draft.versions if not v.is_published]
    if pending:
        raise Conflict(
            _("Version %(n)d is not published yet: publish it or replace its text first.",
              n=pending[-1].number)
        )  # fmt: skip
    number = (db.session.scalar(
        select(func.max(DraftVersion.number)).where(DraftVersion.draft_id == draft.id)
    ) or 0) + 1  # fmt: skip
    version = _new_version(draft, data, actor, number)
    audit.record(actor, "draft_version.create", version, after={"number": number})
    return version


def replace_text(version: DraftVersion, data: dict[str, Any], actor) -> DraftVersion:
    """Replace the text of a pending version (a corrected upload); published ones never change."""
    if version.is_published:
        raise Conflict(_("A published version cannot be changed: add a new version instead."))
    document = _parsed(data["text"])
    version.source_text = data["text"]
    version.source_filename = data.get("filename")
    if "explanatory_note" in data:
        version.explanatory_note = data["explanatory_note"]
    if data.get("version_label"):
        version.label = data["version_label"]
    _fill(version, document)
    audit.record(actor, "draft_version.replace_text", version)
    return version


def publish(version: DraftVersion, actor) -> DraftVersion:
    if version.is_published:
        raise Conflict(_("This version is already published."))
    if not version.clauses:
        raise Conflict(_("Nothing to publish: no clause was found in this text."))
    version.status = VersionStatus.PUBLISHED
    version.published_at = utcnow()
    version.published_by_id = actor.id
    db.session.flush()
    audit.record(actor, "draft_version.publish", version)
    logger.info("draft %s version %s published", version.draft_id, version.number)
    return version


def document_of(version: DraftVersion) -> Document:
    """The stored clause rows as a parser Document (for resolving citations)."""
    document = Document(title=version.parsed_title or version.draft.title)
    nodes: dict[int, Node] = {}
    for clause in version.clauses:
        node = Node(
            clause.kind,
            clause.number,
            label=clause.label,
            heading=clause.heading,
            text=clause.text,
            line=clause.line,
            insert=clause.insert,
            citation=clause.citation,
        )
        node.clause_id = clause.id  # type: ignore[attr-defined]
        parent = nodes.get(clause.parent_id) if clause.parent_id else document.root
        (parent or document.root).add(node)
        nodes[clause.id] = node
    return document


def resolve_clause(version: DraftVersion, cite: str) -> Clause:
    """The clause a citation names in this version; the error says why there is none."""
    # Most citations are typed (or picked) exactly as the canonical one: one indexed query.
    exact = db.session.scalar(
        select(Clause).where(Clause.version_id == version.id, Clause.citation == cite.strip())
    )
    if exact is not None:
        return exact
    try:
        node = resolve(document_of(version), cite)
    except CitationError as exc:
        raise NotFound(str(exc)) from None
    return db.session.get(Clause, node.clause_id)  # type: ignore[attr-defined]


def units(version: DraftVersion) -> list[comparison.Unit]:
    """Articles (or numbered sections) with their whole text, for comparison."""
    by_id = {c.id: c for c in version.clauses}
    children: dict[int | None, list[Clause]] = {}
    for clause in version.clauses:
        children.setdefault(clause.parent_id, []).append(clause)

    def text_of(clause: Clause) -> str:
        own = [clause.label + clause.text] if clause.kind in ("item", "subitem") else [clause.text]
        parts = [p for p in own if p]
        for child in children.get(clause.id, []):
            parts.append(text_of(child))
        return "\n".join(parts)

    def container(clause: Clause) -> str:
        parent = by_id.get(clause.parent_id) if clause.parent_id else None
        return parent.citation if parent is not None else ""

    return [
        comparison.Unit(
            citation=c.citation,
            number=c.number or 0,
            insert=c.insert,
            text=(f"{c.heading}\n" if c.heading else "") + text_of(c),
            container=container(c),
        )
        for c in version.clauses
        if c.kind in UNIT_KINDS
    ]


def compare_versions(old: DraftVersion, new: DraftVersion) -> list[comparison.Change]:
    return comparison.compare(units(old), units(new))


def version_or_404(draft: Draft, number: int, user) -> DraftVersion:
    version = next((v for v in draft.versions if v.number == number), None)
    if version is None or not version.can_view(user):
        raise NotFound(_("Not found."))
    return version


def draft_or_404(draft_id: int, user) -> Draft:
    draft = db.session.get(Draft, draft_id)
    if draft is None or not (draft.published_versions or draft.can_view_unpublished(user)):
        raise NotFound(_("Not found."))
    return draft


def visible_drafts_query(user):
    """Drafts with a published version, plus the unpublished ones of the user's legislature."""
    published = select(DraftVersion.draft_id).where(DraftVersion.status == VersionStatus.PUBLISHED)
    query = select(Draft)
    if getattr(user, "is_authenticated", False) and user.role == "legislature":
        return query.where(
            (Draft.id.in_(published)) | (Draft.legislature_id == user.legislature_id)
        )
    return query.where(Draft.id.in_(published))


def tree(version: DraftVersion) -> list[dict[str, Any]]:
    """The clause tree of a version as nested dictionaries."""
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for clause in version.clauses:
        node = {
            "id": clause.id,
            "kind": clause.kind,
            "number": clause.number,
            "insert": clause.insert,
            "label": clause.label,
            "citation": clause.citation,
            "heading": clause.heading,
            "text": clause.text,
            "line": clause.line,
            "children": [],
        }
        nodes[clause.id] = node
        (nodes[clause.parent_id]["children"] if clause.parent_id else roots).append(node)
    return roots
