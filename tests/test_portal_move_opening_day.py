"""The move page opens on the appointment's own day while that day has another free time
(its own time shown as "Your time now", disabled), else on the first other day with free
times: never on a day with nothing to choose (``portal_web.views_appointments``
``_opening_day``). A day asked for by name is still shown."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.factories import make_slot, same_day_other_time
from tests.test_portal_pages import Portal, _booked, slot_choices


@pytest.fixture
def portal(client, session):
    return Portal(client, session)


def shown_day(page: str) -> str:
    """The day the page shows (the day link marked current)."""
    found = re.findall(r'href="\?day=([0-9-]+)#times" aria-current="date"', page)
    assert len(found) == 1, found
    return found[0]


def _move_page(portal, held) -> str:
    portal.choose("en")
    portal.get("/portal/appointments")
    portal.verify("/portal/appointments")
    return portal.get(f"/portal/appointments/{held.reference}/reschedule")


def test_it_opens_on_the_appointments_own_day_when_that_day_has_other_times(
        portal, session, catalogue):
    sooner = make_slot(session, catalogue.department, starts_in=dt.timedelta(days=1))
    other_time = same_day_other_time(session, catalogue.slot)
    held = _booked(session, catalogue.slot)
    page = _move_page(portal, held)
    assert sooner.local_day < held.visit_day  # not the first day with times
    assert shown_day(page) == held.visit_day.isoformat()
    assert slot_choices(page) == [str(other_time.id)]
    assert re.search(rf'value="{catalogue.slot.id}" disabled>', page)
    assert "Your time now" in portal.text()
    assert "no time is free other than yours" not in portal.text()


def test_it_opens_on_the_first_other_day_when_its_own_day_has_no_other_time(
        portal, session, catalogue):
    held = _booked(session, catalogue.slot)  # the first day with a free seat, its own
    page = _move_page(portal, held)
    assert shown_day(page) == catalogue.later_slot.local_day.isoformat()
    assert slot_choices(page) == [str(catalogue.later_slot.id)]
    # Said, so the citizen does not look for their own day in vain.
    own_day = held.visit_day
    assert (f"On {own_day:%A}, {own_day.day} {own_day:%B}, no time is free other than "
            "yours. Choose another day.") in portal.text()
    # Its own day asked for by name: shown, its time held and nothing to confirm.
    page = portal.get(f"/portal/appointments/{held.reference}/reschedule"
                      f"?day={held.visit_day.isoformat()}")
    assert shown_day(page) == held.visit_day.isoformat()
    assert slot_choices(page) == [] and re.search(rf'value="{catalogue.slot.id}" disabled>', page)
    assert 'class="primary"' not in page
    assert "no time is free other than yours" not in portal.text()


def test_with_no_other_time_anywhere_it_opens_on_its_own_day(portal, session, catalogue):
    session.delete(catalogue.later_slot)
    session.commit()
    held = _booked(session, catalogue.slot)
    page = _move_page(portal, held)
    assert shown_day(page) == held.visit_day.isoformat()
    assert slot_choices(page) == [] and 'class="primary"' not in page
