"""Sealed tokens: a JSON value encrypted and authenticated for a cookie, a URL or a
header, so that whoever holds the token (a shared or cyber-café computer, a proxy's
log) can neither read nor change what it says.

Signing alone (itsdangerous) hides nothing: its payload is base64 JSON, and a
verified mobile or a complaint's draft could be read off the device. A sealed token is
URL-safe base64 (no padding) of a fresh 96-bit nonce and the AES-GCM ciphertext of
the time it was issued (whole seconds) and the value's JSON, compressed when that makes
it shorter. Each *purpose* (``portal.verified-mobile``, ``portal-carry``, ...) has its
own key derived from ``SECRET_KEY`` and is also authenticated as associated data, so a
token made for one purpose never opens as another, and the key that seals is never
the key that signs sessions.

The issue time is inside the seal: a reader first proves the token genuine, then asks
whether it is too old (``SealExpired``, a ``BadSeal``), so a page can say "your proof
ran out" rather than "not valid". The IVR's call state (``ivr.flow``) uses the same
per-purpose key (``cipher``) with its own, shorter framing: it needs no issue time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import struct
import time
import zlib
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
# Longest token a reader looks at: more is junk (a cookie is at most about 4 KB).
MAX_TOKEN = 8192
# A token issued this far in the future (another process's clock) is still accepted.
CLOCK_SKEW = 300
_ISSUED = struct.Struct(">I")
_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")


class BadSeal(Exception):
    """The token is forged, damaged, truncated, made with another key or for another
    purpose, or not a sealed token at all."""


class SealExpired(BadSeal):
    """A genuine token, older than the reader allows."""


@lru_cache(maxsize=32)
def cipher(secret_key: str, purpose: str) -> AESGCM:
    """The AES-GCM key for ``purpose``: HMAC-SHA256 of ``"<purpose> encryption"`` under
    ``SECRET_KEY``. Cached: deriving it per token would cost more than sealing."""
    key = hmac.new(secret_key.encode(), f"{purpose} encryption".encode(),
                   hashlib.sha256).digest()
    return AESGCM(key)


def seal(secret_key: str, purpose: str, value: Any, *, now: float | None = None) -> str:
    """``value`` (anything ``json`` writes) sealed for ``purpose``, issued ``now``
    (default: the current time)."""
    data = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    packed = zlib.compress(data)
    if len(packed) < len(data):  # zlib data starts with 0x78, JSON never does
        data = packed
    issued = int(time.time() if now is None else now)
    nonce = os.urandom(NONCE_BYTES)
    sealed = cipher(secret_key, purpose).encrypt(
        nonce, _ISSUED.pack(max(issued, 0)) + data, purpose.encode())
    return _text(nonce + sealed)


def _text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def open_sealed(secret_key: str, purpose: str, token: str, max_age: float, *,
                now: float | None = None) -> Any:
    """The value ``token`` carries if it was sealed for ``purpose`` with this key at
    most ``max_age`` seconds ago. Raises ``SealExpired`` (genuine but too old) or
    ``BadSeal`` (anything else)."""
    if not token or len(token) > MAX_TOKEN or not _ALPHABET.fullmatch(token):
        raise BadSeal("not a sealed token")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        if len(raw) <= NONCE_BYTES or _text(raw) != token:  # one spelling per token
            raise BadSeal("too short or not as sealed")
        plain = cipher(secret_key, purpose).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode())
        if len(plain) <= _ISSUED.size:
            raise BadSeal("no value")
        (issued,) = _ISSUED.unpack_from(plain)
        data = plain[_ISSUED.size:]
        value = json.loads(zlib.decompress(data) if data[:1] == b"\x78" else data)
    except (InvalidTag, ValueError, zlib.error) as exc:  # bad base64 is a ValueError
        raise BadSeal("not a genuine token") from exc
    age = (time.time() if now is None else now) - issued
    if age > max_age:
        raise SealExpired(f"issued {int(age)} s ago, accepted for {int(max_age)} s")
    if age < -CLOCK_SKEW:
        raise BadSeal("issued in the future")
    return value
