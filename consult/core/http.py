"""What every response shares: error pages and JSON errors, and the security headers.

API requests (under /api/) always get the JSON envelope
``{"error": {"code", "message", "fields"}}``; pages get an HTML error page. Every error
handler rolls the session back, so a failed operation leaves nothing half-written.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from consult.core.errors import ConsultError, ValidationFailed
from consult.extensions import db

logger = logging.getLogger(__name__)


def is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, fields=None) -> Response:
    db.session.rollback()
    if is_api_request():
        response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
        response.status_code = status
        return response
    html = render_template("errors/error.html", status=status, message=message, fields=fields)
    return Response(html, status=status)


HTTP_MESSAGES = {
    400: lambda: _("The request could not be understood."),
    401: lambda: _("Please sign in."),
    403: lambda: _("You do not have permission to do this."),
    404: lambda: _("The page or object you asked for does not exist."),
    405: lambda: _("This method is not allowed here."),
    413: lambda: _("The upload is larger than the allowed size."),
    429: lambda: _("Too many attempts. Please wait a while and try again."),
    500: lambda: _("Something went wrong on our side. Nothing was saved."),
}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def content_disposition(filename: str) -> str:
    """An attachment header that carries a Chinese file name (RFC 6266 / 5987)."""
    ascii_name = filename.encode("ascii", "ignore").decode() or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def human_size(size: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            value = size / factor
            return (
                f"{value:.0f} {unit}"
                if value >= 10 or value.is_integer()
                else f"{value:.1f} {unit}"
            )
    return f"{size} B"


def _http_code(exc: HTTPException) -> str:
    return (exc.name or "error").lower().replace(" ", "_")


def configure_errors(app: Flask) -> None:
    @app.errorhandler(ConsultError)
    def consult_error(exc: ConsultError):
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = _(
            "The form's security token is missing or has expired. Go back, reload the page "
            "and submit the form again."
        )
        return error_response(400, "csrf_failed", message)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge):
        message = _(
            "The upload is larger than the allowed %(size)s.",
            size=human_size(app.config["MAX_CONTENT_LENGTH"]),
        )
        return error_response(413, "too_large", message)

    @app.errorhandler(IntegrityError)
    def integrity_error(exc: IntegrityError):
        logger.warning("integrity error: %s", exc.orig)
        message = _("This conflicts with existing data (for example a name already taken).")
        return error_response(409, "conflict", message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        message = HTTP_MESSAGES.get(status, lambda: exc.description or exc.name)()
        response = error_response(status, _http_code(exc), message)
        for header in ("Retry-After", "Allow"):
            if exc.get_response().headers.get(header):
                response.headers[header] = exc.get_response().headers[header]
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", HTTP_MESSAGES[500]())


# NUL cannot be stored in a PostgreSQL text column, nor a lone surrogate (a JSON "\\ud800")
# in UTF-8 anywhere: either would fail deep inside the database driver.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(data: Any, name: str = "") -> list[str]:
    """The names of the fields (``a.b.0``) in ``data`` whose text cannot be stored."""
    if isinstance(data, str):
        return [name or "_body"] if UNSTORABLE.search(data) else []
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return []
    found = []
    for key, value in items:
        path = f"{name}.{key}" if name else str(key)
        found += [path] if UNSTORABLE.search(str(key)) else unstorable(value, path)
    return found


def configure_input_guard(app: Flask) -> None:
    @app.before_request
    def reject_unstorable_text() -> None:
        """Refuse, naming the field, text that no database could store (a 422, not a 500)."""
        names = unstorable(request.args.to_dict(flat=False))
        if request.form:
            names += unstorable(request.form.to_dict(flat=False))
        if request.is_json:
            names += unstorable(request.get_json(silent=True))
        if names:
            reason = _("Contains a character that cannot be stored (NUL or a lone surrogate).")
            raise ValidationFailed(
                _("Please correct the marked fields."),
                fields={name.removesuffix(".0"): [reason] for name in names},
            )


def configure_security_headers(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", app.config["CONTENT_SECURITY_POLICY"])
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
