"""One-time codes that prove a citizen holds a mobile number (portal bookings and
cancellations, as ORS and CoWIN do).

The rules live here:
- a code is 6 random digits, sent by SMS through the outbox in the same transaction;
- it expires after ``ttl_seconds`` (10 minutes by default) and allows ``max_attempts``
  tries (5): the try is counted with one conditional UPDATE before the code is compared,
  so parallel guesses cannot get more tries than that;
- a new code supersedes the previous ones for that number;
- at most ``per_hour`` codes per number in any hour, counted in the database so every
  web process sees the same count;
- only a salted, slow hash of the code is stored: someone reading the table (a backup,
  a report) cannot send a valid code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import ForeignKey, Index, String, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from booking_core.base import (
    Base,
    DomainError,
    FieldRefusals,
    InvalidInput,
    UTCDateTime,
    typed_digits,
    unit_of_work,
    utcnow,
)
from booking_core.outbox import add_sms
from booking_core.phones import normalise_mobile

CODE_DIGITS = 6
# PBKDF2 rounds: ~20 ms per check here, so trying all million codes of one stolen row
# takes hours, while the code lives for minutes.
HASH_ROUNDS = 60_000


class TooManyCodes(DomainError):
    """The number asked for too many codes this hour."""

    code = "otp_rate_limited"


class NoActiveCode(InvalidInput):
    code = "otp_not_requested"


class CodeExpired(InvalidInput):
    code = "otp_expired"


class WrongCode(InvalidInput):
    code = "otp_wrong_code"


class AttemptsExhausted(DomainError):
    code = "otp_attempts_exhausted"


class PhoneVerification(Base):
    __tablename__ = "phone_verification"
    __table_args__ = (Index("ix_phone_verification_phone_created", "phone", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(16))
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"))


@dataclass(frozen=True)
class CodeSent:
    phone: str
    expires_at: dt.datetime


def _hash(code: str, salt: str, phone: str) -> str:
    return hashlib.pbkdf2_hmac(
        "sha256", code.encode(), (salt + phone).encode(), HASH_ROUNDS
    ).hex()


def send_code(
    session: Session,
    phone: str,
    language: str,
    *,
    ttl_seconds: int = 600,
    per_hour: int = 5,
    now: dt.datetime | None = None,
) -> CodeSent:
    """Make a new code for ``phone`` and queue it by SMS.

    Raises ``TooManyCodes`` (with ``retry_after`` seconds in its details) when the
    number already had ``per_hour`` codes in the last hour.
    """
    now = now or utcnow()
    e164 = normalise_mobile(phone)
    with unit_of_work(session):
        since = now - dt.timedelta(hours=1)
        recent = session.execute(
            select(func.count(), func.min(PhoneVerification.created_at)).where(
                PhoneVerification.phone == e164, PhoneVerification.created_at > since
            )
        ).one()
        if recent[0] >= per_hour:
            wait = int((recent[1] + dt.timedelta(hours=1) - now).total_seconds()) + 1
            raise TooManyCodes("too many codes for this number; try again later",
                               field="phone", retry_after=max(wait, 1))
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        salt = secrets.token_hex(16)
        row = PhoneVerification(
            phone=e164, salt=salt, code_hash=_hash(code, salt, e164), created_at=now,
            expires_at=now + dt.timedelta(seconds=ttl_seconds),
        )
        session.add(row)
        message = add_sms(session, e164, "otp_code", language, {"code": code})
        row.outbox_id = message.id if message is not None else None
    return CodeSent(e164, row.expires_at)


def check_code(
    session: Session,
    phone: str,
    code: str,
    *,
    max_attempts: int = 5,
    now: dt.datetime | None = None,
) -> str:
    """Check ``code`` against the newest code sent to ``phone``; return the E.164 number
    once it matches. A matched code is used up: it cannot verify twice."""
    now = now or utcnow()
    refusals = FieldRefusals()  # a bad mobile and a short code are said together
    e164 = refusals.check("phone", normalise_mobile, phone)
    entered = typed_digits(code) or ""  # "४८२९१७" is the code 482917, not a wrong one
    if len(entered) != CODE_DIGITS:
        refusals.refuse("code", WrongCode(f"the code has {CODE_DIGITS} digits",
                                          attempts_left=None))
    refusals.raise_any()
    assert e164 is not None
    with unit_of_work(session):
        row = session.scalar(
            select(PhoneVerification)
            .where(PhoneVerification.phone == e164)
            .order_by(PhoneVerification.created_at.desc(), PhoneVerification.id.desc())
            .limit(1)
        )
        if row is None or row.verified_at is not None:
            raise NoActiveCode("ask for a new code first", field="code")
        if row.expires_at <= now:
            raise CodeExpired("the code has expired; ask for a new one", field="code")
        attempts = session.execute(
            update(PhoneVerification)
            .where(PhoneVerification.id == row.id, PhoneVerification.attempts < max_attempts)
            .values(attempts=PhoneVerification.attempts + 1)
            .returning(PhoneVerification.attempts)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if attempts is None:
            raise AttemptsExhausted("too many wrong codes; ask for a new one",
                                    field="code")
        matched = hmac.compare_digest(_hash(entered, row.salt, e164), row.code_hash)
        if matched:
            used = session.execute(
                update(PhoneVerification)
                .where(PhoneVerification.id == row.id, PhoneVerification.verified_at.is_(None))
                .values(verified_at=now)
                .returning(PhoneVerification.id)
                .execution_options(synchronize_session=False)
            ).scalar_one_or_none()
            if used is None:
                raise NoActiveCode("ask for a new code first", field="code")
            return e164
    # Raised after the commit, so the counted attempt stays counted.
    raise WrongCode("that code is not right", field="code",
                    attempts_left=max_attempts - attempts)
