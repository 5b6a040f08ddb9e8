"""JSON API of drafts: upload (JSON or a file), versions, the tree, diff and citations."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from marshmallow import ValidationError as MarshmallowError

from consult.api import bp
from consult.api.openapi import documented
from consult.core.auth import api_roles, api_user
from consult.core.errors import PermissionDenied, ValidationFailed
from consult.core.pagination import envelope, paginate
from consult.core.schemas import flatten_messages, load_json
from consult.drafts import services
from consult.drafts.compare import summary as change_summary
from consult.drafts.files import UnreadableDocument, read_document
from consult.drafts.models import Draft
from consult.drafts.schemas import (
    ClauseSchema,
    ComparisonSchema,
    DraftCreatedSchema,
    DraftInSchema,
    DraftSchema,
    VersionInSchema,
    VersionSchema,
    VersionSummarySchema,
)
from consult.extensions import db


def _version_input(schema) -> dict:
    """A JSON body, or a multipart form whose ``file`` holds the text (.txt, .md, .docx)."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ValidationFailed(
                _("Please correct the marked fields."), fields={"file": [_("Choose a file.")]}
            )
        try:
            text = read_document(upload.read(), upload.filename)
        except UnreadableDocument as exc:
            raise ValidationFailed(str(exc), fields={"file": [str(exc)]}) from None
        try:
            data = schema.load(request.form.to_dict() | {"text": text})
        except MarshmallowError as exc:
            raise ValidationFailed(
                _("Please correct the marked fields."), fields=flatten_messages(exc.messages)
            ) from None
        data["filename"] = upload.filename
        return data
    return load_json(schema)


def _editable(draft: Draft):
    if not draft.can_edit(api_user()):
        raise PermissionDenied(_("Only staff of this draft's legislature may change it."))


def _version_body(version) -> dict:
    return VersionSchema().dump(version) | {"tree": services.tree(version)}


@bp.post("/drafts")
@documented(
    summary="Upload a draft (JSON with the text, or multipart with a file): version 1, parsed",
    tag="drafts",
    body=DraftInSchema,
    response=DraftCreatedSchema,
    status=201,
)
@api_roles("legislature")
def create_draft():
    data = _version_input(DraftInSchema())
    draft = services.create_draft(data, api_user())
    db.session.commit()
    return jsonify(DraftSchema().dump(draft) | {"version": _version_body(draft.versions[0])}), 201


@bp.get("/drafts")
@documented(
    summary="Drafts with a published version (and your legislature's unpublished ones)",
    tag="drafts",
    response=DraftSchema,
    shape="page",
    public=True,
)
def list_drafts():
    query = services.visible_drafts_query(api_user()).order_by(Draft.created_at.desc(), Draft.id)
    page = paginate(query)
    return jsonify(envelope(page, DraftSchema(many=True).dump(page.items)))


@bp.get("/drafts/<int:draft_id>")
@documented(summary="One draft and its versions", tag="drafts", response=DraftSchema, public=True)
def get_draft(draft_id: int):
    draft = services.draft_or_404(draft_id, api_user())
    body = DraftSchema().dump(draft)
    body["versions"] = [
        VersionSummarySchema().dump(v) for v in draft.versions if v.can_view(api_user())
    ]
    return jsonify(body)


@bp.post("/drafts/<int:draft_id>/versions")
@documented(
    summary="Upload the next version of a draft (pending until published)",
    tag="drafts",
    body=VersionInSchema,
    response=VersionSchema,
    status=201,
)
@api_roles("legislature")
def create_version(draft_id: int):
    draft = services.draft_or_404(draft_id, api_user())
    _editable(draft)
    data = _version_input(VersionInSchema())
    version = services.add_version(draft, data, api_user())
    db.session.commit()
    return jsonify(_version_body(version)), 201


@bp.get("/drafts/<int:draft_id>/versions/<int:number>")
@documented(
    summary="A version with its clause tree and the parser's warnings",
    tag="drafts",
    response=VersionSchema,
    public=True,
)
def get_version(draft_id: int, number: int):
    draft = services.draft_or_404(draft_id, api_user())
    return jsonify(_version_body(services.version_or_404(draft, number, api_user())))


@bp.post("/drafts/<int:draft_id>/versions/<int:number>/publish")
@documented(
    summary="Publish a version: it becomes public and can never change",
    tag="drafts",
    response=VersionSummarySchema,
)
@api_roles("legislature")
def publish_version(draft_id: int, number: int):
    draft = services.draft_or_404(draft_id, api_user())
    _editable(draft)
    version = services.publish(services.version_or_404(draft, number, api_user()), api_user())
    db.session.commit()
    return jsonify(VersionSummarySchema().dump(version))


@bp.get("/drafts/<int:draft_id>/versions/<int:old>/diff/<int:new>")
@documented(
    summary="Compare two versions article by article (renumbering followed)",
    tag="drafts",
    response=ComparisonSchema,
    public=True,
)
def diff_versions(draft_id: int, old: int, new: int):
    draft = services.draft_or_404(draft_id, api_user())
    a = services.version_or_404(draft, old, api_user())
    b = services.version_or_404(draft, new, api_user())
    changes = services.compare_versions(a, b)
    return jsonify(
        {
            "old_version": a.number,
            "new_version": b.number,
            "summary": change_summary(changes),
            "changes": [c.to_dict() for c in changes],
        }
    )


@bp.get("/drafts/<int:draft_id>/versions/<int:number>/resolve")
@documented(
    summary="The clause a citation names (第十二条第二款第（三）项, 第12条第2款 …)",
    tag="drafts",
    response=ClauseSchema,
    public=True,
    query={"cite": {"type": "string"}},
)
def resolve_citation(draft_id: int, number: int):
    draft = services.draft_or_404(draft_id, api_user())
    version = services.version_or_404(draft, number, api_user())
    cite = request.args.get("cite", "")
    if not cite.strip():
        raise ValidationFailed(
            _("Please correct the marked fields."), fields={"cite": [_("This field is required.")]}
        )
    return jsonify(ClauseSchema().dump(services.resolve_clause(version, cite)))
