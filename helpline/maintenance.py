"""Periodic housekeeping jobs of the booking core."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from booking_core.base import unit_of_work, utcnow
from booking_core.slots import generate_slots
from helpline import jobs


def generate_upcoming_slots() -> int:
    """Keep ``SLOT_WEEKS_AHEAD`` weeks of OPD slots generated from the schedules."""
    helpline = jobs.current()
    settings = helpline.settings
    today = utcnow().astimezone(ZoneInfo(settings.helpline_timezone)).date()
    with helpline.session() as session, unit_of_work(session):
        return generate_slots(
            session, today, settings.slot_weeks_ahead * 7, settings.helpline_timezone
        )
