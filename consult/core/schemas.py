"""Base pieces for marshmallow schemas: strict input, tidy strings, one way to load a body."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from marshmallow import RAISE, Schema, fields, validate
from marshmallow import ValidationError as MarshmallowError

from consult.core.errors import ValidationFailed


class Text(fields.String):
    """A string with surrounding whitespace removed; an empty optional value becomes None."""

    def _deserialize(self, value: Any, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)
        result = result.strip()
        if not result and not self.required:
            return None
        if not result:
            raise self.make_error("required")
        return result

    def _validate(self, value: Any) -> None:
        if value is not None:  # an empty optional value has nothing left to check
            super()._validate(value)


MAX_ID = 999_999_999  # the largest id a URL takes too (consult.IdConverter)


class Id(fields.Integer):
    """A row's id: a whole number from 1 to MAX_ID, so that the database can always bind it.

    Strict (a JSON number, not a string) unless ``strict=False`` is given, as it is for the
    query strings, where every value is a string.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("strict", True)
        super().__init__(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class InputSchema(Schema):
    """Input schemas reject fields they do not know, naming them."""

    class Meta:
        unknown = RAISE


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                out.update(flatten_messages(value, name))
            else:
                out[name] = [str(v) for v in (value if isinstance(value, list) else [value])]
    else:
        out[prefix or "_schema"] = [str(m) for m in messages]
    return out


def load_args(schema: Schema) -> dict[str, Any]:
    """Validate the query string with ``schema``; empty values count as absent."""
    data = {key: value for key, value in request.args.items() if value != ""}
    try:
        return schema.load(data)
    except MarshmallowError as exc:
        raise ValidationFailed(
            _("Please correct the marked fields."), fields=flatten_messages(exc.messages)
        ) from None


def load_json(schema: Schema, *, partial: bool = False) -> dict[str, Any]:
    """Validate the JSON body with ``schema``; raise ``ValidationFailed`` naming each field."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationFailed(
            _("The request body must be a JSON object."),
            fields={"_body": [_("Not a JSON object.")]},
        )
    try:
        return schema.load(data, partial=partial)
    except MarshmallowError as exc:
        raise ValidationFailed(
            _("Please correct the marked fields."), fields=flatten_messages(exc.messages)
        ) from None
