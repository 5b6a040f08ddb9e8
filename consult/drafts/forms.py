"""Forms for uploading drafts and versions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from consult.core.forms import blank_to_none as _none_if_blank
from consult.core.forms import strip_filter as _strip


class VersionForm(FlaskForm):
    version_label = StringField(
        _l("Version"),
        validators=[Optional(), Length(max=50)],
        filters=[_strip, _none_if_blank],
        description=_l("For example 征求意见稿, 二审稿, 表决稿."),
    )
    file = FileField(
        _l("Upload the text"),
        validators=[FileAllowed(["txt", "md", "docx"], _l("Upload a .txt, .md or .docx file."))],
        description=_l("A Word (.docx) or text file. Or paste the text below."),
    )
    text = TextAreaField(
        _l("…or paste the text"),
        validators=[Optional()],
        render_kw={"rows": 14},
    )
    explanatory_note = TextAreaField(
        _l("Explanatory note (起草说明)"),
        validators=[Optional()],
        filters=[_none_if_blank],
        render_kw={"rows": 6},
    )


class DraftForm(VersionForm):
    title = StringField(
        _l("Title"),
        validators=[Optional(), Length(max=300)],
        filters=[_strip, _none_if_blank],
        description=_l("Leave empty to take the title line of the text."),
    )
    issuing_body = StringField(
        _l("Drafted by"),
        validators=[Optional(), Length(max=200)],
        filters=[_strip, _none_if_blank],
        description=_l("The body that submitted the draft, e.g. 市人民政府."),
    )
