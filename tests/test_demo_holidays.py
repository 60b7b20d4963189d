"""The demo data declares the gazetted holidays that fall on the same date every year
(Republic Day, Independence Day, Gandhi Jayanti, Christmas), so its days to book leave
them out: a newcomer was offered an OPD on 25 December."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

import helpline.demo_data as demo
from booking_core.holidays import PublicHoliday
from booking_core.slots import Slot

IST = ZoneInfo("Asia/Kolkata")


def test_no_slot_falls_on_a_fixed_holiday(session, monkeypatch):
    year = dt.datetime.now(IST).year
    # Loaded on 20 December: Christmas is five days ahead.
    monkeypatch.setattr(demo, "utcnow", lambda: dt.datetime(year, 12, 20, 4, 0, tzinfo=dt.UTC))
    demo.load_demo_data(session, weeks=2)
    session.expire_all()
    holidays = {h.day: h for h in session.scalars(select(PublicHoliday))}
    days = {s.starts_at.astimezone(IST).date() for s in session.scalars(select(Slot))}
    session.rollback()
    christmas = dt.date(year, 12, 25)
    assert holidays[christmas].name == "Christmas"
    assert holidays[christmas].name_hi == "क्रिसमस"
    assert dt.date(year + 1, 1, 26) in holidays  # next year's, too
    assert christmas not in days
    assert days & {dt.date(year, 12, d) for d in (23, 24, 26, 27)}  # the days around it run
    # Loading again adds nothing twice.
    demo.load_demo_data(session, weeks=2)
    assert session.scalar(select(PublicHoliday).where(PublicHoliday.day == christmas))
    session.rollback()
