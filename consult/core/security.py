"""Passwords and tokens. Clear-text secrets never leave this module except to the caller."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

TOKEN_PREFIX = "cst_"  # noqa: S105 (a marker, not a secret)
# Distinguishable characters only: an initial password is often read out or typed by hand.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


_dummy_hash: dict[str, str] = {}


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown user) spend the same time and return False."""
    if password_hash is None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        if method not in _dummy_hash:
            _dummy_hash[method] = generate_password_hash(secrets.token_hex(8), method=method)
        check_password_hash(_dummy_hash[method], password)
        return False
    return check_password_hash(password_hash, password)


def generate_password(length: int = 14) -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Tokens are 256 random bits, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
