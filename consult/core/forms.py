"""Form helpers shared by every domain's pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_wtf import FlaskForm

from consult.core.errors import ValidationFailed


class ConfirmForm(FlaskForm):
    """A form with nothing but the CSRF token, for buttons that change state."""


def apply_errors(form: FlaskForm, exc: ValidationFailed) -> None:
    """Show a service's field errors next to the form's fields (others at the top)."""
    for name, messages in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + list(messages)
        else:
            form.form_errors.extend(messages)
    if not exc.fields:
        form.form_errors.append(exc.message)


def safe_next(target: str | None, default: str) -> str:
    """A redirect target only when it is a path on this site: no open redirects."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return default
    return target


def form_error_message() -> str:
    return _("Please correct the marked fields.")


def strip_filter(value):
    return value.strip() if isinstance(value, str) else value


def blank_to_none(value):
    return value if value not in ("", "__None") else None


@dataclass
class Submission:
    done: bool
    result: Any = None
    status: int = 200


def submit(form: FlaskForm, action: Callable[[], Any]) -> Submission:
    """Validate ``form`` and run ``action`` (a service call) when it is valid.

    A service's ``ValidationFailed`` lands on the form's fields with status 422; an invalid
    form is 422 too; a form not submitted yet is 200. The caller commits when ``done``.
    """
    if form.validate_on_submit():
        try:
            return Submission(True, action())
        except ValidationFailed as exc:
            apply_errors(form, exc)
            return Submission(False, status=422)
    return Submission(False, status=422 if form.is_submitted() else 200)


def check_upload(form: FlaskForm, check: Callable[[bytes, str], Any],
                 stage: Callable[[Any, str], Any]) -> tuple[Any, Any, int]:  # fmt: skip
    """The first step of a spreadsheet import page: validate the form's ``file``, check every
    row, and stage a sheet that passed. Returns (checked, staged, status): a file that cannot
    be read or has bad rows is 422 and stages nothing; the caller commits what was staged."""
    if not form.validate_on_submit():
        return None, None, 422 if form.is_submitted() else 200
    upload = form.file.data
    try:
        checked = check(upload.read(), upload.filename)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return None, None, 422
    if not checked.ok:
        return checked, None, 422
    return checked, stage(checked, upload.filename), 200
