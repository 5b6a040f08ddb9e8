"""Draft pages: list, upload, check and publish, read (with print view), compare, cite."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from consult.core.auth import roles_required
from consult.core.errors import NotFound, PermissionDenied, ValidationFailed
from consult.core.forms import ConfirmForm, submit
from consult.core.pagination import paginate
from consult.drafts import services
from consult.drafts.compare import summary as change_summary
from consult.drafts.files import UnreadableDocument, read_document
from consult.drafts.forms import DraftForm, VersionForm
from consult.drafts.models import Draft
from consult.extensions import db

bp = Blueprint("drafts", __name__, url_prefix="/drafts")


@bp.get("/")
def index():
    query = services.visible_drafts_query(current_user).order_by(
        Draft.created_at.desc(), Draft.id.desc()
    )
    return render_template("drafts/index.html", page=paginate(query))


def _form_data(form: VersionForm) -> dict:
    """The text from the uploaded file, or else the pasted text; errors go on the form."""
    data = {
        name: form[name].data
        for name in ("title", "issuing_body", "version_label", "explanatory_note")
        if name in form
    }
    upload = form.file.data
    if upload and upload.filename:
        try:
            data["text"] = read_document(upload.read(), upload.filename)
        except UnreadableDocument as exc:
            raise ValidationFailed(str(exc), fields={"file": [str(exc)]}) from None
        data["filename"] = upload.filename
    else:
        data["text"] = form.text.data or ""
    if not data["text"].strip():
        raise ValidationFailed(
            _("Please correct the marked fields."),
            fields={"text": [_("Upload a file or paste the text.")]},
        )
    return data


@bp.route("/new", methods=["GET", "POST"])
@roles_required("legislature")
def new():
    form = DraftForm()
    sent = submit(form, lambda: services.create_draft(_form_data(form), current_user))
    if sent.done:
        db.session.commit()
        flash(_("The text was read. Check the structure and warnings, then publish."), "info")
        return redirect(url_for("drafts.version", draft_id=sent.result.id, number=1))
    return render_template("drafts/upload.html", form=form, draft=None), sent.status


@bp.get("/<int:draft_id>")
def show(draft_id: int):
    draft = services.draft_or_404(draft_id, current_user)
    versions = [v for v in draft.versions if v.can_view(current_user)]
    return render_template("drafts/show.html", draft=draft, versions=versions)


def _editable(draft: Draft) -> None:
    if not draft.can_edit(current_user):
        raise PermissionDenied(_("Only staff of this draft's legislature may change it."))


@bp.route("/<int:draft_id>/versions/new", methods=["GET", "POST"])
@roles_required("legislature")
def new_version(draft_id: int):
    draft = services.draft_or_404(draft_id, current_user)
    _editable(draft)
    form = VersionForm()
    sent = submit(form, lambda: services.add_version(draft, _form_data(form), current_user))
    if sent.done:
        db.session.commit()
        return redirect(url_for("drafts.version", draft_id=draft.id, number=sent.result.number))
    return render_template("drafts/upload.html", form=form, draft=draft), sent.status


@bp.route("/<int:draft_id>/v/<int:number>/replace", methods=["GET", "POST"])
@roles_required("legislature")
def replace(draft_id: int, number: int):
    draft = services.draft_or_404(draft_id, current_user)
    _editable(draft)
    version = services.version_or_404(draft, number, current_user)
    form = VersionForm(obj=version if request.method == "GET" else None)
    if request.method == "GET":
        form.version_label.data = version.label
    sent = submit(form, lambda: services.replace_text(version, _form_data(form), current_user))
    if sent.done:
        db.session.commit()
        return redirect(url_for("drafts.version", draft_id=draft.id, number=number))
    return render_template(
        "drafts/upload.html", form=form, draft=draft, version=version
    ), sent.status


@bp.get("/<int:draft_id>/v/<int:number>")
def version(draft_id: int, number: int):
    draft = services.draft_or_404(draft_id, current_user)
    version = services.version_or_404(draft, number, current_user)
    return render_template(
        "drafts/version.html",
        draft=draft,
        version=version,
        tree=services.tree(version),
        can_edit=draft.can_edit(current_user),
        confirm=ConfirmForm(),
        versions=[v for v in draft.versions if v.can_view(current_user)],
        public_tasks=_public_tasks(version),
    )


def _public_tasks(version) -> list:
    """Open tasks on this version that let the public comment."""
    from consult.consultations.models import ConsultationTask

    tasks = db.session.scalars(
        select(ConsultationTask).where(
            ConsultationTask.draft_version_id == version.id,
            ConsultationTask.public_channel.is_(True),
        )
    ).all()
    return [t for t in tasks if t.accepts_comments]


@bp.get("/<int:draft_id>/v/<int:number>/print")
def print_version(draft_id: int, number: int):
    draft = services.draft_or_404(draft_id, current_user)
    version = services.version_or_404(draft, number, current_user)
    return render_template(
        "drafts/print.html", draft=draft, version=version, tree=services.tree(version)
    )


@bp.get("/<int:draft_id>/v/<int:number>/note")
def note(draft_id: int, number: int):
    draft = services.draft_or_404(draft_id, current_user)
    version = services.version_or_404(draft, number, current_user)
    if not version.explanatory_note:
        raise NotFound(_("This version has no explanatory note."))
    return render_template("drafts/note.html", draft=draft, version=version)


@bp.post("/<int:draft_id>/v/<int:number>/publish")
@roles_required("legislature")
def publish(draft_id: int, number: int):
    draft = services.draft_or_404(draft_id, current_user)
    _editable(draft)
    ConfirmForm().validate_on_submit()
    services.publish(services.version_or_404(draft, number, current_user), current_user)
    db.session.commit()
    flash(_("Published. The text of this version can no longer change."), "success")
    return redirect(url_for("drafts.version", draft_id=draft.id, number=number))


@bp.get("/<int:draft_id>/v/<int:number>/cite")
def cite(draft_id: int, number: int):
    """A citation typed or linked (?c=第十二条第二款) → that clause on the draft page."""
    draft = services.draft_or_404(draft_id, current_user)
    version = services.version_or_404(draft, number, current_user)
    citation = (request.args.get("c") or "").strip()
    if not citation:
        abort(400)
    clause = services.resolve_clause(version, citation)
    target = url_for("drafts.version", draft_id=draft.id, number=number)
    return redirect(f"{target}#{quote(clause.anchor)}")


@bp.get("/<int:draft_id>/compare")
def compare(draft_id: int):
    draft = services.draft_or_404(draft_id, current_user)
    versions = [v for v in draft.versions if v.can_view(current_user)]
    if len(versions) < 2:
        return render_template("drafts/compare.html", draft=draft, versions=versions, changes=None)
    old_number = request.args.get("old", versions[-2].number, type=int)
    new_number = request.args.get("new", versions[-1].number, type=int)
    old = services.version_or_404(draft, old_number, current_user)
    new = services.version_or_404(draft, new_number, current_user)
    changes = services.compare_versions(old, new)
    show_all = request.args.get("all") == "1"
    return render_template(
        "drafts/compare.html",
        draft=draft,
        versions=versions,
        old=old,
        new=new,
        changes=changes if show_all else [c for c in changes if c.status != "unchanged"],
        summary=change_summary(changes),
        show_all=show_all,
    )
