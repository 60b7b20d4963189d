"""Short random keys for what a person typed that must not travel in an address (a
mobile, an ABHA number): the value stays in the console's session, signed, and links and
redirects carry its key."""

from __future__ import annotations

import secrets

from flask import session as cookie


def kept_key(family: str, value: str, kept: int = 8) -> str:
    """The key of ``value`` among the session's ``family`` (the same key for the same
    value); only the last ``kept`` values of a family stay."""
    known: dict[str, str] = dict(cookie.get(family) or {})
    for key, held in known.items():
        if held == value:
            return key
    key = secrets.token_urlsafe(6)
    known[key] = value
    cookie[family] = dict(list(known.items())[-kept:])
    return key


def kept_value(family: str, key: str | None) -> str | None:
    """The value kept under ``key``, or None (another browser, or dropped since)."""
    return (cookie.get(family) or {}).get(key) if key else None
