"""Forms of the organisation and account pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from consult.core.forms import blank_to_none as _none_if_blank
from consult.core.forms import strip_filter as _strip
from consult.org.models import ROLE_LABELS, UNIT_KIND_LABELS


def _optional_int(value):
    return int(value) if value not in (None, "", "None", "__None") else None


class LoginForm(FlaskForm):
    username = StringField(
        _l("User name"), validators=[DataRequired(), Length(max=64)], filters=[_strip]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=1024)]
    )
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two new passwords differ.")),
        ],
    )


class TokenForm(FlaskForm):
    name = StringField(
        _l("Token name"),
        validators=[DataRequired(), Length(max=100)],
        filters=[_strip],
        description=_l("For example the script or program that will use it."),
    )


class LegislatureForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(2, 200)], filters=[_strip])
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=5000)],
        filters=[_strip, _none_if_blank],
    )


class PointForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(2, 200)], filters=[_strip])
    address = StringField(
        _l("Address"),
        validators=[Optional(), Length(max=300)],
        filters=[_strip, _none_if_blank],
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=5000)],
        filters=[_strip, _none_if_blank],
    )
    collects_personal_data = BooleanField(
        _l("Record names and phone numbers of the public"),
        description=_l(
            "Off by default. When on, collectors may note who said what; these details never "
            "leave the point."
        ),
    )
    legislature_ids = SelectMultipleField(
        _l("Legislatures served"),
        coerce=int,
        validate_choice=True,
        description=_l(
            "A point may serve several legislatures, e.g. a city's and the national one."
        ),
    )


class UnitForm(FlaskForm):
    point_id = SelectField(_l("Contact point"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(2, 200)], filters=[_strip])
    kind = SelectField(
        _l("Kind"), choices=[SelectChoice(k.value, label) for k, label in UNIT_KIND_LABELS.items()]
    )
    address = StringField(
        _l("Address"),
        validators=[Optional(), Length(max=300)],
        filters=[_strip, _none_if_blank],
    )


class UserForm(FlaskForm):
    username = StringField(
        _l("User name"),
        validators=[DataRequired(), Length(3, 64)],
        filters=[_strip],
        description=_l("Lower-case letters, digits, “.”, “_” or “-”. Cannot be changed later."),
    )
    display_name = StringField(
        _l("Full name"), validators=[DataRequired(), Length(1, 100)], filters=[_strip]
    )
    email = EmailField(
        _l("E-mail"),
        validators=[
            Optional(),
            Length(max=254),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Not a valid e-mail address.")),
        ],
        filters=[_strip, _none_if_blank],
    )
    role = SelectField(
        _l("Role"), choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()]
    )
    position = StringField(
        _l("Position"),
        validators=[Optional(), Length(max=50)],
        filters=[_strip, _none_if_blank],
        description=_l("For example 点长, 副点长, 联络员, lawyer, community head."),
    )
    legislature_id = SelectField(
        _l("Legislature (for legislature staff)"), coerce=_optional_int, validate_choice=False
    )
    point_id = SelectField(
        _l("Contact point (for managers and experts)"), coerce=_optional_int, validate_choice=False
    )
    unit_id = SelectField(_l("Unit (for collectors)"), coerce=_optional_int, validate_choice=False)
    password = PasswordField(
        _l("Initial password"),
        validators=[Optional(), Length(max=1024)],
        description=_l("Leave empty to generate one. The user must change it at first sign-in."),
    )
