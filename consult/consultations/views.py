"""Task pages: list, open, the task page, hand out; recording and reading comments."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from consult.comments import imports
from consult.comments import services as comments
from consult.comments.models import Comment, CommentImport, CommentStatus
from consult.consultations import services
from consult.consultations.api import filtered
from consult.consultations.forms import CommentForm, ImportForm, TaskForm
from consult.consultations.models import ConsultationTask, TaskState
from consult.core.auth import roles_required
from consult.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from consult.core.forms import ConfirmForm, apply_errors, check_upload, submit
from consult.core.http import XLSX, content_disposition
from consult.core.pagination import paginate
from consult.drafts import services as drafts
from consult.drafts.models import Draft, DraftVersion, VersionStatus
from consult.extensions import db
from consult.org.models import ContactPoint, Legislature, Role, User
from consult.review import services as review

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
comments_bp = Blueprint("comments", __name__, url_prefix="/comments")

POINT_ROLES = (Role.MANAGER, Role.EXPERT, Role.COLLECTOR)


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


@bp.get("/")
@roles_required()
def index():
    query = services.visible_tasks_query(current_user)
    page = paginate(query.order_by(ConsultationTask.deadline.desc(), ConsultationTask.id.desc()))
    changed = False
    for task in page.items:
        before = task.state
        services.refresh_state(task)
        changed |= task.state != before
    if changed:
        db.session.commit()
    return render_template("tasks/index.html", page=page)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.LEGISLATURE)
def new():
    form = TaskForm()
    versions = db.session.scalars(
        select(DraftVersion)
        .join(Draft)
        .where(
            Draft.legislature_id == current_user.legislature_id,
            DraftVersion.status == VersionStatus.PUBLISHED,
        )
        .order_by(Draft.title, DraftVersion.number)
    ).all()
    form.draft_version_id.choices = [SelectChoice(v.id, str(v)) for v in versions]
    if request.method == "GET" and request.args.get("version", type=int):
        form.draft_version_id.data = request.args.get("version", type=int)
    points = db.session.scalars(
        select(ContactPoint)
        .where(
            ContactPoint.is_active.is_(True),
            ContactPoint.legislatures.any(Legislature.id == current_user.legislature_id),
        )
        .order_by(ContactPoint.name)
    ).all()
    form.point_ids.choices = [SelectChoice(p.id, p.name) for p in points]

    def create():
        names = ("draft_version_id", "title", "instructions", "point_ids", "public_channel")
        data = {name: form[name].data for name in names}
        data["deadline"] = form.deadline.data.replace(tzinfo=local_zone())
        return services.create_task(data, current_user)

    sent = submit(form, create)
    if sent.done:
        db.session.commit()
        flash(_("The task is open. The contact points can see it now."), "success")
        return redirect(url_for("tasks.show", task_id=sent.result.id))
    return render_template("tasks/form.html", form=form, no_versions=not versions), sent.status


@bp.get("/<int:task_id>")
@roles_required()
def show(task_id: int):
    task = services.task_or_404(task_id, current_user)
    context = {"task": task, "confirm": ConfirmForm()}
    if current_user.role in POINT_ROLES:
        counts = comments.counts_by_clause(task, current_user.point_id)
        context["total"] = sum(counts.values())
        context["general"] = counts.get(None, 0)
        clauses = {c.id: c for c in task.version.clauses}
        context["busiest"] = [
            (clauses[cid], n) for cid, n in counts.most_common() if cid is not None
        ][:10]
        context["assignments"] = [
            a for a in task.assignments if a.point_id == current_user.point_id
        ]
        if current_user.role == Role.MANAGER:
            point = current_user.point
            context["units"] = [u for u in point.units if u.is_active]
            context["collectors"] = db.session.scalars(
                select(User)
                .where(
                    User.point_id == point.id, User.role == Role.COLLECTOR, User.is_active.is_(True)
                )
                .order_by(User.username)
            ).all()
    return render_template("tasks/show.html", **context)


@bp.post("/<int:task_id>/state")
@roles_required(Role.LEGISLATURE)
def change_state(task_id: int):
    task = services.task_or_404(task_id, current_user)
    ConfirmForm().validate_on_submit()
    try:
        target = TaskState(request.form.get("state", ""))
    except ValueError:
        raise ValidationFailed(_("Please correct the marked fields."),
                               fields={"state": [_("Unknown status.")]}) from None  # fmt: skip
    deadline = None
    if target == TaskState.OPEN:
        from datetime import datetime

        try:
            deadline = datetime.strptime(request.form.get("deadline", ""), "%Y-%m-%dT%H:%M")
        except ValueError:
            raise ValidationFailed(
                _("Reopening needs a new deadline in the future."),
                fields={"deadline": [_("Reopening needs a new deadline in the future.")]},
            ) from None
        deadline = deadline.replace(tzinfo=local_zone())
    services.transition(task, target, current_user, deadline=deadline)
    db.session.commit()
    flash(_("The task is now “%(state)s”.", state=task.state.label), "success")
    return redirect(url_for("tasks.show", task_id=task.id))


def _int_list(name: str) -> list[int]:
    values = request.form.getlist(name)
    if not all(v.isdigit() for v in values):
        raise ValidationFailed(
            _("Please correct the marked fields."), fields={name: [_("Not a valid integer.")]}
        )
    return [int(v) for v in values]


@bp.post("/<int:task_id>/assignments")
@roles_required(Role.MANAGER)
def assign(task_id: int):
    task = services.task_or_404(task_id, current_user)
    ConfirmForm().validate_on_submit()
    created = services.assign(
        task, {"unit_ids": _int_list("unit_ids"), "user_ids": _int_list("user_ids")}, current_user
    )
    db.session.commit()
    flash(_("Handed to %(n)d more.", n=len(created)), "success")
    return redirect(url_for("tasks.show", task_id=task.id))


@bp.post("/<int:task_id>/assignments/<int:assignment_id>/delete")
@roles_required(Role.MANAGER)
def unassign(task_id: int, assignment_id: int):
    task = services.task_or_404(task_id, current_user)
    ConfirmForm().validate_on_submit()
    assignment = next((a for a in task.assignments if a.id == assignment_id), None)
    if assignment is None:
        raise NotFound(_("Not found."))
    services.unassign(assignment, current_user)
    db.session.commit()
    return redirect(url_for("tasks.show", task_id=task.id))


def _prepare_comment_form(form: CommentForm, task: ConsultationTask) -> None:
    point = current_user.point
    if not point.collects_personal_data:
        del form.respondent_name
        del form.respondent_phone
    if current_user.role == Role.COLLECTOR:
        del form.unit_id
    else:
        form.unit_id.choices = [SelectChoice("", "—")] + [
            SelectChoice(u.id, u.name) for u in point.units if u.is_active
        ]


@bp.route("/<int:task_id>/comments/new", methods=["GET", "POST"])
@roles_required(*POINT_ROLES)
def new_comment(task_id: int):
    task = services.task_or_404(task_id, current_user)
    if not services.can_record(task, current_user):
        raise PermissionDenied(_("Only people of a point this task goes to record comments."))
    form = CommentForm()
    _prepare_comment_form(form, task)
    if request.method == "GET" and request.args.get("clause"):
        form.clause.data = request.args["clause"]
    status = 200
    if not task.accepts_comments:
        status = 409
        form.form_errors.append(
            _("The deadline of this task has passed: comments are no longer accepted.")
        )
    elif form.validate_on_submit():
        try:
            comment = comments.record_comment(task, form.data_dict(), current_user)
        except ValidationFailed as exc:
            apply_errors(form, exc)
            status = 422
        else:
            db.session.commit()
            flash(
                _("Recorded (%(cite)s). You can record the next one.", cite=comment.citation),
                "success",
            )
            return redirect(url_for("tasks.new_comment", task_id=task.id))
    elif form.is_submitted():
        status = 422
    return render_template(
        "comments/form.html",
        form=form,
        task=task,
        comment=None,
        options=services.clause_options(task),
    ), status


@bp.get("/<int:task_id>/comments")
@roles_required(*POINT_ROLES)
def list_comments(task_id: int):
    task = services.task_or_404(task_id, current_user)
    query = comments.point_comments(task, current_user)
    args = request.args.to_dict()
    if args.get("clause") and args["clause"] != "general":
        clause = comments.clause_for(task, args["clause"])
        args["clause"] = clause.id if clause else "general"
    query = filtered(query, current_user, args)
    page = paginate(query.order_by(Comment.created_at.desc(), Comment.id.desc()))
    point = current_user.point
    collectors = db.session.scalars(
        select(User)
        .where(User.point_id == point.id, User.role == Role.COLLECTOR)
        .order_by(User.username)
    ).all()
    return render_template(
        "comments/list.html", task=task, page=page, units=point.units, collectors=collectors,
        statuses=list(CommentStatus), args=request.args,
    )  # fmt: skip


@bp.get("/<int:task_id>/heatmap")
@roles_required(*POINT_ROLES)
def heatmap(task_id: int):
    """The draft with the number of comments of the user's point beside every clause."""
    task = services.task_or_404(task_id, current_user)
    comments.point_comments(task, current_user)  # 404 for anyone outside the task's points
    counts = comments.counts_by_clause(task, current_user.point_id)
    distinct = review.distinct_by_clause(task, current_user.point_id)
    db.session.commit()  # the duplicate marks brought up to date
    top = max([n for cid, n in counts.items() if cid is not None] or [0])
    return render_template(
        "tasks/heatmap.html", task=task, tree=drafts.tree(task.version), counts=counts,
        distinct=distinct, top=top,
    )  # fmt: skip


# -- one comment ------------------------------------------------------------------------------


@comments_bp.get("/<int:comment_id>")
@roles_required(*POINT_ROLES)
def show_comment(comment_id: int):
    comment = comments.comment_or_404(comment_id, current_user)
    return render_template(
        "comments/show.html", comment=comment, confirm=ConfirmForm(),
        can_change=comments.can_change(comment, current_user) and comment.task.accepts_comments,
    )  # fmt: skip


@comments_bp.route("/<int:comment_id>/edit", methods=["GET", "POST"])
@roles_required(*POINT_ROLES)
def edit_comment(comment_id: int):
    comment = comments.comment_or_404(comment_id, current_user)
    task = comment.task
    if not comments.can_change(comment, current_user):
        raise PermissionDenied(
            _("Only whoever recorded a comment, or the point's manager, may change it.")
        )
    form = CommentForm(obj=comment if request.method == "GET" else None)
    _prepare_comment_form(form, task)
    if request.method == "GET":
        form.clause.data = comment.clause.citation if comment.clause else None
        form.channel.data = comment.channel.value
    sent = submit(form, lambda: comments.update_comment(comment, form.data_dict(), current_user))
    if sent.done:
        db.session.commit()
        flash(_("The comment has been changed; the earlier version is kept."), "success")
        return redirect(url_for("comments.show_comment", comment_id=comment.id))
    return render_template(
        "comments/form.html",
        form=form,
        task=task,
        comment=comment,
        options=services.clause_options(task),
    ), sent.status


@comments_bp.post("/<int:comment_id>/withdraw")
@roles_required(*POINT_ROLES)
def withdraw_comment(comment_id: int):
    comment = comments.comment_or_404(comment_id, current_user)
    ConfirmForm().validate_on_submit()
    comments.withdraw_comment(
        comment, current_user, (request.form.get("reason") or "").strip() or None
    )
    db.session.commit()
    flash(_("The comment has been withdrawn. It is kept, marked as withdrawn."), "success")
    return redirect(url_for("comments.show_comment", comment_id=comment.id))


# -- bulk entry -------------------------------------------------------------------------------


@bp.get("/<int:task_id>/comments/template.xlsx")
@roles_required(*POINT_ROLES)
def import_template(task_id: int):
    task = services.task_or_404(task_id, current_user)
    comments.point_comments(task, current_user)
    response = make_response(imports.template(task, current_user))
    response.headers["Content-Type"] = XLSX
    response.headers["Content-Disposition"] = content_disposition(
        f"意见录入模板-任务{task.id}.xlsx"
    )
    return response


@bp.route("/<int:task_id>/comments/import", methods=["GET", "POST"])
@roles_required(*POINT_ROLES)
def import_comments(task_id: int):
    task = services.task_or_404(task_id, current_user)
    services.require_record(task, current_user)
    form = ImportForm()

    def stage(checked, filename: str) -> CommentImport:
        pending = CommentImport(
            task_id=task.id, point_id=current_user.point_id, user_id=current_user.id,
            filename=filename[:255], rows=imports.rows_for_storage(checked),
            duplicates=checked.duplicates,
        )  # fmt: skip
        db.session.add(pending)
        return pending

    checked, pending, status = check_upload(
        form, lambda data, name: imports.check(task, data, name, current_user), stage
    )
    if pending is not None:
        db.session.commit()
    return render_template(
        "comments/import.html", task=task, form=form, checked=checked, pending=pending,
        confirm=ConfirmForm(),
    ), status  # fmt: skip


@bp.post("/<int:task_id>/comments/import/<int:import_id>/confirm")
@roles_required(*POINT_ROLES)
def confirm_import(task_id: int, import_id: int):
    task = services.task_or_404(task_id, current_user)
    ConfirmForm().validate_on_submit()
    pending = db.session.get(CommentImport, import_id)
    if pending is None or pending.task_id != task.id or pending.user_id != current_user.id:
        raise NotFound(_("Not found."))
    if pending.imported_at is not None:
        raise Conflict(_("This file has already been imported."))
    imported, skipped = imports.confirm(task, pending, current_user)
    db.session.commit()
    flash(_("Imported %(n)d comments; %(m)d rows were already there and were skipped.",
            n=imported, m=skipped), "success")  # fmt: skip
    return redirect(url_for("tasks.list_comments", task_id=task.id))


# -- moderation of public comments ------------------------------------------------------------


@bp.get("/<int:task_id>/moderation")
@roles_required(Role.MANAGER, Role.EXPERT)
def moderation(task_id: int):
    task = services.task_or_404(task_id, current_user)
    query = comments.point_comments(task, current_user).where(
        Comment.status == CommentStatus.PENDING
    )
    page = paginate(query.order_by(Comment.created_at, Comment.id))
    return render_template("tasks/moderation.html", task=task, page=page, confirm=ConfirmForm())


@comments_bp.post("/<int:comment_id>/moderate")
@roles_required(Role.MANAGER, Role.EXPERT)
def moderate_comment(comment_id: int):
    comment = comments.comment_or_404(comment_id, current_user)
    ConfirmForm().validate_on_submit()
    decision = request.form.get("decision")
    if decision not in ("accept", "reject"):
        raise ValidationFailed(_("Please correct the marked fields."),
                               fields={"decision": [_("Accept or reject.")]})  # fmt: skip
    comments.moderate(comment, decision == "accept", current_user, request.form.get("reason"))
    db.session.commit()
    flash(_("Accepted.") if decision == "accept" else _("Rejected."), "success")
    return redirect(url_for("tasks.moderation", task_id=comment.task_id))
