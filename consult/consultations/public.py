"""The public channel: anyone may comment on a clause of a draft whose task opens it."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from consult.comments import services as comments
from consult.consultations.forms import RespondentFields
from consult.consultations.models import ConsultationTask
from consult.consultations.services import clause_options
from consult.core.errors import NotFound, ValidationFailed
from consult.core.forms import apply_errors
from consult.core.forms import blank_to_none as _none_if_blank
from consult.core.forms import strip_filter as _strip
from consult.extensions import db, limiter

bp = Blueprint("public", __name__, url_prefix="/public")


class PublicCommentForm(RespondentFields):
    clause = StringField(
        _l("Clause"), validators=[Optional(), Length(max=120)], filters=[_strip, _none_if_blank],
        render_kw={"list": "clauses", "autocomplete": "off"},
        description=_l("For example 第十二条第二款. Leave empty for a comment on the whole draft."),
    )  # fmt: skip
    body = TextAreaField(
        _l("Your opinion"), validators=[DataRequired(), Length(max=2000)], filters=[_strip],
        render_kw={"rows": 6},
    )  # fmt: skip
    proposed_text = TextAreaField(
        _l("Proposed wording (optional)"), validators=[Optional(), Length(max=2000)],
        filters=[_strip, _none_if_blank], render_kw={"rows": 3},
    )  # fmt: skip
    point_id = SelectField(_l("Send it to"), coerce=int)
    # A field people never see (hidden by CSS); bots fill it in.
    website = StringField(_l("Leave this empty"), filters=[_strip])


PUBLIC_FIELDS = (
    "clause", "body", "proposed_text", "respondent_occupation", "respondent_area", "point_id",
)  # fmt: skip


def _public_limit() -> str:
    return current_app.config["PUBLIC_COMMENT_RATE_LIMIT"]


def _counted(_response) -> bool:
    return bool(g.get("public_comment_posted"))


@bp.route("/tasks/<int:task_id>/comment", methods=["GET", "POST"])
@limiter.limit(_public_limit, key_func=get_remote_address, methods=["POST"], deduct_when=_counted)
def comment(task_id: int):
    task = db.session.get(ConsultationTask, task_id)
    if task is None or not task.public_channel or not task.version.is_published:
        raise NotFound(_("Not found."))
    form = PublicCommentForm()
    form.point_id.choices = [SelectChoice(p.id, p.name) for p in task.points]
    if request.method == "GET" and request.args.get("clause"):
        form.clause.data = request.args["clause"]
    status = 200
    if not task.accepts_comments:
        status = 409
        form.form_errors.append(_("This consultation has closed: comments are no longer accepted."))
    elif form.validate_on_submit():
        g.public_comment_posted = True
        if form.website.data:
            # a bot: answer as if all went well, store nothing
            flash(_("Thank you. Your comment will be read by the contact point."), "success")
            return redirect(url_for("drafts.version", draft_id=task.version.draft_id,
                                    number=task.version.number))  # fmt: skip
        data = {name: form[name].data for name in PUBLIC_FIELDS}
        try:
            comments.submit_public(task, data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
            status = 422
        else:
            db.session.commit()
            flash(_("Thank you. Your comment will be read by the contact point."), "success")
            return redirect(url_for("drafts.version", draft_id=task.version.draft_id,
                                    number=task.version.number))  # fmt: skip
    elif form.is_submitted():
        status = 422
    return render_template(
        "public/comment.html", task=task, form=form, options=clause_options(task)
    ), status
