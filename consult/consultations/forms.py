"""Forms of tasks and comments."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from consult.comments.models import CHANNEL_LABELS
from consult.core.forms import blank_to_none as _none_if_blank
from consult.core.forms import strip_filter as _strip


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class TaskForm(FlaskForm):
    draft_version_id = SelectField(_l("Draft version"), coerce=int, validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(2, 300)], filters=[_strip])
    instructions = TextAreaField(
        _l("Instructions"),
        validators=[Optional(), Length(max=20000)],
        filters=[_none_if_blank],
        render_kw={"rows": 6},
        description=_l(
            "What the points should focus on. Simple formatting (bold, lists, links) is kept."
        ),
    )
    deadline = DateTimeLocalField(
        _l("Deadline (Beijing time)"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    point_ids = SelectMultipleField(_l("Contact points"), coerce=int, validators=[DataRequired()])
    public_channel = BooleanField(_l("Also let the public comment on the draft"))


class RespondentFields(FlaskForm):
    """Who the person was, without naming them (shared by the collectors' and the public form)."""

    respondent_occupation = StringField(
        _l("Occupation (optional)"), validators=[Optional(), Length(max=100)],
        filters=[_strip, _none_if_blank],
    )  # fmt: skip
    respondent_area = StringField(
        _l("Area (optional)"), validators=[Optional(), Length(max=100)],
        filters=[_strip, _none_if_blank],
    )  # fmt: skip


class CommentForm(RespondentFields):
    clause = StringField(
        _l("Clause"),
        validators=[Optional(), Length(max=120)],
        filters=[_strip, _none_if_blank],
        description=_l(
            "Type a citation such as 第十二条第二款, or words of the clause; leave empty for a general comment."  # noqa: E501
        ),
        render_kw={"list": "clauses", "autocomplete": "off"},
    )
    body = TextAreaField(
        _l("Opinion"), validators=[DataRequired(), Length(max=5000)], filters=[_strip],
        render_kw={"rows": 5},
    )  # fmt: skip
    proposed_text = TextAreaField(
        _l("Proposed wording"), validators=[Optional(), Length(max=5000)],
        filters=[_strip, _none_if_blank], render_kw={"rows": 3},
    )  # fmt: skip
    reason = TextAreaField(
        _l("Reason"), validators=[Optional(), Length(max=5000)],
        filters=[_strip, _none_if_blank], render_kw={"rows": 3},
    )  # fmt: skip
    channel = SelectField(
        _l("Channel"), choices=[SelectChoice(c.value, label) for c, label in CHANNEL_LABELS.items()]
    )
    place = StringField(
        _l("Place"), validators=[Optional(), Length(max=200)], filters=[_strip, _none_if_blank]
    )
    collected_on = DateField(_l("Date collected"), validators=[Optional()])
    participants = IntegerField(
        _l("People it speaks for"), default=1, validators=[InputRequired(), NumberRange(1, 100000)]
    )
    respondent_name = StringField(
        _l("Name of the person"), validators=[Optional(), Length(max=50)],
        filters=[_strip, _none_if_blank],
    )  # fmt: skip
    respondent_phone = StringField(
        _l("Phone of the person"), validators=[Optional(), Length(max=30)],
        filters=[_strip, _none_if_blank],
    )  # fmt: skip
    unit_id = SelectField(_l("Unit"), coerce=_optional_int, validate_choice=False)

    DATA_FIELDS = (
        "clause", "body", "proposed_text", "reason", "channel", "place", "collected_on",
        "participants", "respondent_occupation", "respondent_area", "respondent_name",
        "respondent_phone", "unit_id",
    )  # fmt: skip

    def data_dict(self) -> dict:
        return {name: self[name].data for name in self.DATA_FIELDS if name in self}


class ImportForm(FlaskForm):
    file = FileField(
        _l("Spreadsheet"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["xlsx", "csv"], _l("Upload an .xlsx or .csv file.")),
        ],
        description=_l(
            "Fill in the template, or any sheet whose first row has the same column names."
        ),
    )
