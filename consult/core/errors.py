"""Exceptions raised by services. One place (``consult.core.http``) maps them to responses.

Services raise these, never ``abort()``: the same service serves pages, the API and the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class ConsultError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: Mapping[str, Sequence[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = {k: list(v) for k, v in (fields or {}).items()}


class ValidationFailed(ConsultError):
    """Input that cannot be accepted; ``fields`` names each field and its reasons."""

    status = 422
    code = "validation_failed"


class AuthenticationRequired(ConsultError):
    status = 401
    code = "authentication_required"


class PermissionDenied(ConsultError):
    status = 403
    code = "forbidden"


class NotFound(ConsultError):
    status = 404
    code = "not_found"


class Conflict(ConsultError):
    """The request is valid but clashes with the current state (a duplicate, a closed task)."""

    status = 409
    code = "conflict"
