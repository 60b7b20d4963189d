"""Who may do what: a verified mobile for bookings, a hospital token for the feed.

After a citizen enters the right one-time code, the API hands back a verification
token: the E.164 number signed with ``SECRET_KEY`` (itsdangerous), valid for
``VERIFICATION_MAX_AGE`` seconds. Booking, cancelling and rescheduling require it in
the ``X-Verification-Token`` header and act for that number only. Nothing is stored
server-side, so any web process can check it.
"""

from __future__ import annotations

from flask import current_app, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from booking_core.phones import normalise_mobile
from portal_api.errors import ApiError

VERIFICATION_HEADER = "X-Verification-Token"
VERIFICATION_MAX_AGE = 30 * 60
_SALT = "portal.verified-mobile"


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_SALT)


def issue_verification_token(secret_key: str, phone: str) -> str:
    """A token saying "this client proved it holds ``phone``". Called after a correct
    one-time code; benchmarks call it with the app's key to skip the SMS round trip."""
    return _serializer(secret_key).dumps({"phone": normalise_mobile(phone)})


def read_verification_token(secret_key: str, token: str, max_age: int) -> str:
    """The E.164 number a token issued at most ``max_age`` seconds ago vouches for.
    Raises itsdangerous' ``SignatureExpired`` (too old) or ``BadSignature`` (forged,
    damaged, or not ours). The portal's verified-mobile cookie holds the same token."""
    data = _serializer(secret_key).loads(token, max_age=max_age)
    phone = data.get("phone") if isinstance(data, dict) else None
    if not isinstance(phone, str):
        raise BadSignature("no phone in the token")
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
    except SignatureExpired as exc:
        raise ApiError(401, "verification_expired",
                       "the verification has expired; verify the number again") from exc
    except BadSignature as exc:
        raise ApiError(401, "verification_invalid", "the verification token is not valid") from exc


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
