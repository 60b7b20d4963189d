"""The eHealth card's QR code: a small signed payload a counter checks offline.

Payload (QR alphanumeric mode, about 125 characters, a version 6 code)::

    DHC1:<card number>:<year of birth>:<Ed25519 signature, base32 without padding>

The signature covers ``DHC1:<card number>:<year of birth>``. It carries no name, no
phone number and no medical data: a counter scanning it learns which card this is and
that the helpline issued it, and checks the printed year of birth against the person.
Ed25519 (``cryptography``) rather than an HMAC so a counter verifies with the public key
alone (``flask ehealth-public-key`` prints it) and can never mint cards.
``DHC1`` names this format and key generation: a new key or layout gets a new prefix.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from booking_core.base import InvalidInput
from booking_core.refs import is_valid_card_number

PAYLOAD_PREFIX = "DHC1"
SIGNATURE_BYTES = 64


class ForgedCard(InvalidInput):
    """The payload is not one the helpline signed: altered, forged or damaged."""

    code = "card_not_genuine"


@dataclass(frozen=True)
class SealedCard:
    number: str
    year_of_birth: int


def signing_key(seed: bytes) -> Ed25519PrivateKey:
    """The card-signing key from its 32-byte seed (``EHEALTH_SIGNING_KEY``)."""
    return Ed25519PrivateKey.from_private_bytes(seed)


def derived_seed(secret_key: str) -> bytes:
    """A development seed derived from ``SECRET_KEY`` (HKDF-SHA256), for the embedded
    default and tests only: a deployment sets ``EHEALTH_SIGNING_KEY`` so that changing
    its secret key never voids printed cards."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"ehealth card signing key").derive(secret_key.encode())


def parse_seed(text: str) -> bytes:
    """``EHEALTH_SIGNING_KEY`` as given: 32 bytes in base64 (``flask ehealth-new-key``).
    Raises ValueError naming the setting."""
    try:
        seed = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("EHEALTH_SIGNING_KEY is not base64") from exc
    if len(seed) != 32:
        raise ValueError("EHEALTH_SIGNING_KEY must be 32 bytes in base64")
    return seed


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The verifying key as base64 of its 32 raw bytes, for counters."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def public_key_from_text(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))


def _signed_part(number: str, year_of_birth: int) -> str:
    return f"{PAYLOAD_PREFIX}:{number}:{year_of_birth}"


def seal(number: str, year_of_birth: int, key: Ed25519PrivateKey) -> str:
    """The QR payload for this card (see the module docstring)."""
    if not is_valid_card_number(number) or not 1000 <= year_of_birth <= 9999:
        raise InvalidInput("not a card to seal")
    message = _signed_part(number, year_of_birth)
    signature = base64.b32encode(key.sign(message.encode())).decode().rstrip("=")
    return f"{message}:{signature}"


def verify_seal(payload: str, public_key: Ed25519PublicKey) -> SealedCard:
    """The card a scanned payload names, once its signature checks out with the
    helpline's public key. Raises ``ForgedCard`` for anything else: another format, a
    changed digit, a signature from another key, a truncated code."""
    parts = (payload or "").strip().split(":")
    if len(parts) != 4 or parts[0] != PAYLOAD_PREFIX:
        raise ForgedCard("not an eHealth card code", field="payload")
    _, number, year, signature_text = parts
    if not (is_valid_card_number(number) and len(number) == 11 and year.isascii()
            and year.isdigit() and len(year) == 4):
        raise ForgedCard("not an eHealth card code", field="payload")
    try:
        padding = "=" * (-len(signature_text) % 8)
        signature = base64.b32decode(signature_text + padding)
    except (binascii.Error, ValueError) as exc:
        raise ForgedCard("the signature is damaged", field="payload") from exc
    # One spelling per signature: base32's last character carries spare bits, and a
    # payload whose spare bits differ is not one we printed.
    if (len(signature) != SIGNATURE_BYTES
            or base64.b32encode(signature).decode().rstrip("=") != signature_text):
        raise ForgedCard("the signature is damaged", field="payload")
    try:
        public_key.verify(signature, _signed_part(number, int(year)).encode())
    except InvalidSignature as exc:
        raise ForgedCard("the signature does not match", field="payload") from exc
    return SealedCard(number, int(year))
