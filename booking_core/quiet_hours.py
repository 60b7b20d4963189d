"""The helpline's quiet hours (``SMS_QUIET_HOURS``, local time, default 21:00-08:00):
when nobody is sent a message or called unasked. One rule, used by delivery
(``messaging.rules``: reminders, follow-up calls) and by the waiting list
(``booking_core.waiting_list.offer_freed_seat``: an offer made at night goes out when
the hours end). Plain Python, so the domain can use it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

# The domain's default: no quiet hours unless the caller passes the setting (the
# adapters pass ``SMS_QUIET_HOURS``), so a service called without it behaves as before.
NO_QUIET_HOURS = "off"


def parse_quiet_hours(spec: str) -> tuple[dt.time, dt.time] | None:
    """``"21:00-08:00"`` -> (21:00, 08:00); empty or ``off`` -> no quiet hours."""
    text = (spec or "").strip().lower()
    if text in {"", "off", "none"}:
        return None
    start, _, end = text.partition("-")
    return dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())


def quiet_hours_end(now: dt.datetime, spec: str, tz: str) -> dt.datetime | None:
    """When the quiet hours that ``now`` falls in end (UTC), or None outside them."""
    window = parse_quiet_hours(spec)
    if window is None:
        return None
    start, end = window
    local = now.astimezone(ZoneInfo(tz))
    t = local.time()
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, end, ZoneInfo(tz)).astimezone(dt.UTC)
