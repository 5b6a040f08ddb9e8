"""The legislature's inbox, the outcome sheet, notifications, and the public outcome page.

- ``/inbox/``: every task of the staff member's legislature with a submitted report, and how
  far its outcomes have got; ``/inbox/tasks/<id>``: the reports point by point, each
  suggestion with its outcome form, its history, and a proposal from the later version.
- ``/notifications/``: what became of what a collector recorded or an expert wrote.
- ``/public/tasks/<id>/outcomes``: what was asked, what people said, what was done, per
  clause, with no personal data.
"""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from consult.consultations import services as tasks
from consult.consultations.forms import ImportForm
from consult.consultations.models import ConsultationTask
from consult.core.auth import roles_required
from consult.core.errors import Conflict, NotFound, ValidationFailed
from consult.core.forms import ConfirmForm, check_upload
from consult.core.http import XLSX, content_disposition
from consult.core.pagination import paginate
from consult.drafts.models import VersionStatus
from consult.extensions import db
from consult.org.models import Role
from consult.outcomes import assist, imports, services
from consult.outcomes.models import OUTCOME_LABELS, Outcome
from consult.review.models import Suggestion
from consult.review.services import in_clause_order

bp = Blueprint("outcomes", __name__)
STAFF = (Role.LEGISLATURE,)


def _staff_task(task_id: int) -> ConsultationTask:
    task = tasks.task_or_404(task_id, current_user)
    services.require_staff(task, current_user)
    return task


@bp.get("/inbox/")
@roles_required(*STAFF)
def inbox():
    page = paginate(services.inbox_query(current_user))
    progress = services.task_progress([task.id for task in page.items])
    return render_template("outcomes/inbox.html", page=page, progress=progress)


@bp.get("/inbox/tasks/<int:task_id>")
@roles_required(*STAFF)
def task_reports(task_id: int):
    task = _staff_task(task_id)
    submissions = services.submissions(task)
    if not submissions:
        raise NotFound(_("No point has submitted a report on this task yet."))
    chosen = request.args.get("point", type=int)
    submission = next((s for s in submissions if s.point_id == chosen), submissions[0])
    suggestions = in_clause_order(list(db.session.scalars(
        select(Suggestion).where(Suggestion.submission_id == submission.id)
    )))  # fmt: skip
    decided = {s.point_id: 0 for s in submissions}
    totals = {s.point_id: len(s.suggestions) for s in submissions}
    for s in submissions:
        decided[s.point_id] = sum(
            1 for x in s.suggestions if x.outcome and Outcome(x.outcome).decided
        )
    recorded = services.histories(suggestions)
    return render_template(
        "outcomes/task.html", task=task, submissions=submissions, submission=submission,
        suggestions=suggestions, proposals=assist.proposals(suggestions),
        current={i: found[0] if found else None for i, found in recorded.items()},
        history=recorded,
        decided=decided, totals=totals, labels=OUTCOME_LABELS, confirm=ConfirmForm(),
    )  # fmt: skip


@bp.post("/inbox/suggestions/<int:suggestion_id>/outcome")
@roles_required(*STAFF)
def record_outcome(suggestion_id: int):
    ConfirmForm().validate_on_submit()  # the CSRF check; the fields are read below
    suggestion = services.submitted_suggestion_or_404(suggestion_id, current_user)
    back = url_for("outcomes.task_reports", task_id=suggestion.task_id,
                   point=suggestion.point_id, _anchor=f"s{suggestion.id}")  # fmt: skip
    value = request.form.get("outcome", "")
    try:
        if value not in {o.value for o in Outcome}:
            raise ValidationFailed(_("Please correct the marked fields."),
                                   fields={"outcome": [_("Choose an outcome.")]})  # fmt: skip
        explanation = request.form.get("explanation", "")
        if len(explanation) > 5000:
            raise ValidationFailed(_("Please correct the marked fields."), fields={
                "explanation": [_("At most %(n)d characters.", n=5000)]})  # fmt: skip
        services.record(suggestion, {"outcome": Outcome(value), "explanation": explanation,
                                     "landed_in": request.form.get("landed_in", "").strip()},
                        current_user)  # fmt: skip
    except ValidationFailed as exc:
        db.session.rollback()
        lines = [f"{name}: {'；'.join(map(str, m))}" for name, m in (exc.fields or {}).items()]
        flash(" ".join([_("Suggestion %(id)d:", id=suggestion.id), str(exc.message), *lines]),
              "danger")  # fmt: skip
        return redirect(back)
    db.session.commit()
    flash(_("Outcome of suggestion %(id)d recorded: %(label)s.", id=suggestion.id,
            label=Outcome(value).label), "success")  # fmt: skip
    return redirect(back)


@bp.get("/inbox/tasks/<int:task_id>/reports/<int:point_id>.<any(docx, xlsx):kind>")
@roles_required(*STAFF)
def report(task_id: int, point_id: int, kind: str):
    """A point's submitted report, as the point sent it."""
    from consult.review import services as review
    from consult.review.report import download

    task = _staff_task(task_id)
    if review.submission_of(task, point_id) is None:
        raise NotFound(_("This point has not submitted a report on this task."))
    return download(review.report_of(task, point_id), task.id, kind)


@bp.get("/inbox/tasks/<int:task_id>/outcomes.xlsx")
@roles_required(*STAFF)
def outcome_sheet(task_id: int):
    task = _staff_task(task_id)
    response = make_response(imports.template(task, current_user))
    response.headers["Content-Type"] = XLSX
    response.headers["Content-Disposition"] = content_disposition(f"办理结果-任务{task.id}.xlsx")
    return response


@bp.route("/inbox/tasks/<int:task_id>/import", methods=["GET", "POST"])
@roles_required(*STAFF)
def import_outcomes(task_id: int):
    task = _staff_task(task_id)
    form = ImportForm()
    checked, pending, status = check_upload(
        form,
        lambda data, name: imports.check(task, data, name, current_user),
        lambda checked, name: imports.stage(task, checked, name, current_user),
    )
    if pending is not None:
        db.session.commit()
    return render_template(
        "outcomes/import.html", task=task, form=form, checked=checked, pending=pending,
        confirm=ConfirmForm(), names={o.value: o.label for o in Outcome},
    ), status  # fmt: skip


@bp.post("/inbox/tasks/<int:task_id>/import/<int:import_id>/confirm")
@roles_required(*STAFF)
def confirm_import(task_id: int, import_id: int):
    task = _staff_task(task_id)
    ConfirmForm().validate_on_submit()
    pending = imports.pending_or_404(task, import_id, current_user)
    if pending.imported_at is not None:
        raise Conflict(_("This file has already been imported."))
    recorded = imports.confirm(task, pending, current_user)
    db.session.commit()
    flash(_("Recorded %(n)d outcomes.", n=recorded), "success")
    return redirect(url_for("outcomes.task_reports", task_id=task.id))


# -- feedback ---------------------------------------------------------------------------------


@bp.get("/notifications/")
@roles_required()
def notifications():
    page = paginate(services.notifications_query(current_user))
    return render_template("outcomes/notifications.html", page=page, confirm=ConfirmForm())


@bp.post("/notifications/read")
@roles_required()
def mark_read():
    ConfirmForm().validate_on_submit()
    services.mark_read(current_user)
    db.session.commit()
    return redirect(url_for("outcomes.notifications"))


# -- the public outcome page ----------------------------------------------------------------


@bp.get("/public/tasks/<int:task_id>/outcomes")
def public_outcomes(task_id: int):
    task = db.session.get(ConsultationTask, task_id)
    if task is None or task.version.status != VersionStatus.PUBLISHED:
        raise NotFound(_("Not found."))
    return render_template("outcomes/public.html", task=task,
                           page=services.public_page(task), labels=OUTCOME_LABELS)  # fmt: skip
