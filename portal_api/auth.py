"""Who may do what: a verified mobile for bookings, a hospital token for the feed.

After a citizen enters the right one-time code, the API hands back a verification
token: the E.164 number sealed (encrypted and authenticated, ``helpline.sealing``) with
a key derived from ``SECRET_KEY``, valid for ``VERIFICATION_MAX_AGE`` seconds. Whoever
sees the token (a shared computer's cookies, a log) cannot read the number in it.
Booking, cancelling and rescheduling require it in the ``X-Verification-Token``
header and act for that number only. Nothing is stored
server-side, so any web process can check it.
"""

from __future__ import annotations

from flask import current_app, request

from booking_core.phones import normalise_mobile
from helpline.sealing import BadSeal, SealExpired, open_sealed, seal
from portal_api.errors import ApiError

VERIFICATION_HEADER = "X-Verification-Token"
VERIFICATION_MAX_AGE = 30 * 60
PURPOSE = "portal.verified-mobile"


def issue_verification_token(secret_key: str, phone: str, *, now: float | None = None) -> str:
    """A token saying "this client proved it holds ``phone``" (issued ``now``, default
    the current time). Called after a correct one-time code; benchmarks call it with the
    app's key to skip the SMS round trip."""
    return seal(secret_key, PURPOSE, {"phone": normalise_mobile(phone)}, now=now)


def read_verification_token(secret_key: str, token: str, max_age: int) -> str:
    """The E.164 number a token issued at most ``max_age`` seconds ago vouches for.
    Raises ``helpline.sealing.SealExpired`` (too old) or ``BadSeal`` (forged, damaged,
    another key or purpose). The portal's verified-mobile cookie holds the same token."""
    data = open_sealed(secret_key, PURPOSE, token, max_age)
    phone = data.get("phone") if isinstance(data, dict) else None
    if not isinstance(phone, str):
        raise BadSeal("no phone in the token")
    return phone


def verified_phone() -> str:
    """The E.164 number this request proved it holds, or 401."""
    token = request.headers.get(VERIFICATION_HEADER, "").strip()
    if not token:
        raise ApiError(401, "verification_required",
                       f"verify the mobile number first and send {VERIFICATION_HEADER}")
    try:
        return read_verification_token(current_app.config["SECRET_KEY"], token,
                                       VERIFICATION_MAX_AGE)
    except SealExpired as exc:
        raise ApiError(401, "verification_expired",
                       "the verification has expired; verify the number again") from exc
    except BadSeal as exc:
        raise ApiError(401, "verification_invalid", "the verification token is not valid") from exc


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
