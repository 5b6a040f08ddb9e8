"""Form helpers shared by every domain's pages."""

from __future__ import annotations

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
