"""The OPD day's settings as the domain's rules, and its periodic job."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from booking_core.opd_day import OpdRules, mark_no_shows
from booking_core.waiting_list import lapse_offers
from helpline import jobs


def booking_code_key(settings: Any) -> bytes:
    """The key that signs booking QR codes, derived from ``SECRET_KEY`` (one secret to
    keep, and a code made by one deployment is refused by another)."""
    return hashlib.sha256(b"helpline booking code:" + settings.secret_key.encode()).digest()


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


def run_offer_lapses() -> dict[str, int]:
    """Waiting-list offers whose hold ran out pass to the next person waiting."""
    helpline = jobs.current()
    with helpline.session() as session:
        lapsed = lapse_offers(session, tz=helpline.settings.helpline_timezone,
                              quiet_hours=helpline.settings.sms_quiet_hours)
    return {"lapsed": lapsed}
