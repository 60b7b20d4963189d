"""The OPD day's settings as the domain's rules, and its periodic job."""

from __future__ import annotations

import datetime as dt
from typing import Any

from booking_core.opd_day import OpdRules, mark_no_shows
from helpline import jobs


def opd_rules(settings: Any) -> OpdRules:
    return OpdRules(near_tokens=settings.opd_near_tokens,
                    counter_quota=settings.opd_counter_quota,
                    no_show_grace=dt.timedelta(minutes=settings.opd_no_show_grace_minutes),
                    tz=settings.helpline_timezone)


def run_no_shows() -> dict[str, int]:
    """Mark appointments nobody checked in as no-shows once their grace has passed."""
    helpline = jobs.current()
    with helpline.session() as session:
        marked = mark_no_shows(session, rules=opd_rules(helpline.settings))
    return {"no_shows": marked}
