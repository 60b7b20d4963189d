"""What messaging keeps beyond the outbox: the incoming SMS already acted on."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from booking_core.base import Base, UTCDateTime, utcnow


class InboundSms(Base):
    """One incoming SMS by Twilio's MessageSid, recorded once its command has run, so a
    webhook delivered twice acts and replies once. The text itself is not kept."""

    __tablename__ = "inbound_sms"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_phone: Mapped[str] = mapped_column(String(20), index=True)
    command: Mapped[str] = mapped_column(String(16))
    reply_outbox_id: Mapped[int | None]
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
