"""API tokens that let one hospital's system report its own resources.

Only a SHA-256 hash of each token is stored. The token itself is 256 random bits, so a
plain hash is enough (nothing to guess, unlike a password) and lets a request find its
token with one indexed lookup. The token is shown once, when issued.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from booking_core.base import (
    Base,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    UTCDateTime,
    unit_of_work,
    utcnow,
)
from booking_core.hospitals import Hospital, get_hospital

TOKEN_PREFIX = "dhh_"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class FeedToken(Base):
    __tablename__ = "feed_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospital.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, to tell tokens apart in lists and logs.
    hint: Mapped[str] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    hospital: Mapped[Hospital] = relationship()

    @property
    def source(self) -> str:
        """How resource updates made with this token are attributed in the history."""
        return f"feed:{self.hint}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_feed_token(
    session: Session, hospital: int | str, label: str = ""
) -> tuple[FeedToken, str]:
    """A new token for one hospital; returns the row and the token (shown once)."""
    if len(label) > 80:
        raise InvalidInput("labels have at most 80 characters", field="label")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with unit_of_work(session):
        found = get_hospital(session, hospital)
        row = FeedToken(hospital_id=found.id, token_hash=_digest(token),
                        hint=token[: len(TOKEN_PREFIX) + 6], label=label.strip())
        session.add(row)
        session.flush()
    return row, token


def revoke_feed_token(session: Session, token_id: int, now: dt.datetime | None = None) -> None:
    with unit_of_work(session):
        row = session.get(FeedToken, token_id)
        if row is None:
            raise NotFound("no such token", entity="feed_token")
        if row.revoked_at is None:
            row.revoked_at = now or utcnow()


def list_feed_tokens(session: Session, hospital_id: int | None = None) -> list[FeedToken]:
    query = select(FeedToken).order_by(FeedToken.hospital_id, FeedToken.id)
    if hospital_id is not None:
        query = query.where(FeedToken.hospital_id == hospital_id)
    return list(session.scalars(query))


def authorise_feed(session: Session, token: str | None, hospital_id: int) -> FeedToken:
    """The live token ``token`` if it may write ``hospital_id``'s resources.

    Raises ``Unauthenticated`` for a missing, unknown or revoked token and ``Forbidden``
    for a token of another hospital.
    """
    if not token:
        raise Unauthenticated("a hospital feed token is required")
    row = session.scalar(select(FeedToken).where(FeedToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("unknown or revoked token")
    if row.hospital_id != hospital_id:
        raise Forbidden("this token belongs to another hospital")
    return row
