"""Gazetted public holidays: one table for the whole helpline.

No OPD runs on a public holiday (``booking_core.slots`` makes no slots for it), and the
grievance SLA does not count it as a working day (``grievances.sla``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from booking_core.base import Base


class PublicHoliday(Base):
    """A gazetted holiday, named in English (``name``) and Hindi (``name_hi``)."""

    __tablename__ = "public_holiday"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    name_hi: Mapped[str] = mapped_column(String(80), default="", server_default="")

    def display_name(self, lang: str) -> str:
        return self.name_hi if lang == "hi" and self.name_hi else self.name


def holidays_between(session: Session, first: dt.date, last: dt.date) -> set[dt.date]:
    """The holidays from ``first`` to ``last``, both included."""
    return set(session.scalars(
        select(PublicHoliday.day).where(PublicHoliday.day >= first, PublicHoliday.day <= last)))
