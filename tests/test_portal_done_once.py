"""What a portal action just did ("Your appointment is booked.", "Your complaint is
registered.", "You have joined the waiting list.", ...) is said once, on the page the
action's 303 leads to, and never by a URL: the address left in the bar, reloaded,
bookmarked or sent to someone and opened in another browser, shows the page as it
stands. A link still carrying an old ``?done=`` says nothing was just done either."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking_core.appointments import Channel, cancel_appointment
from grievances.models import Grievance
from locales import render
from tests.fixtures_api import reading
from tests.test_portal_pages import Portal, _booked
from tests.test_portal_waiting_list import _join_url, _morning, _others_join


@pytest.fixture
def portal(client, session):
    return Portal(client, session)


def _book(portal, session, catalogue) -> str:
    review = f"/portal/book/review?slot={catalogue.slot.id}"
    portal.get(review)
    form = {"slot": str(catalogue.slot.id), "patient_name": "Asha Devi"}
    portal.verify("/portal/book/review", form)
    portal.post("/portal/book/review", {**form, "step": "book"}, follow=False)
    return portal.location


def _held_and_verified(portal, session, catalogue) -> str:
    """A booking of the catalogue's slot, and My appointments verified for its mobile:
    its reference."""
    held = _booked(session, catalogue.slot).reference
    session.commit()
    portal.get("/portal/appointments")
    portal.verify("/portal/appointments")
    return held


def _reschedule(portal, session, catalogue) -> str:
    held = _held_and_verified(portal, session, catalogue)
    portal.get(f"/portal/appointments/{held}/reschedule"
               f"?day={catalogue.later_slot.local_day.isoformat()}")
    portal.post(f"/portal/appointments/{held}/reschedule",
                {"slot": str(catalogue.later_slot.id)}, follow=False)
    return portal.location


def _cancel(portal, session, catalogue) -> str:
    held = _held_and_verified(portal, session, catalogue)
    portal.get(f"/portal/appointments/{held}/cancel")
    portal.post(f"/portal/appointments/{held}/cancel", {"confirm": "yes"}, follow=False)
    return portal.location


def _register(portal, session, catalogue) -> str:
    portal.get("/portal/grievances/new")
    form = {"category": "cleanliness", "hospital": str(catalogue.hospital.id),
            "description": "Toilets near OPD block 2 not cleaned all day."}
    portal.verify("/portal/grievances/new", form)
    portal.post("/portal/grievances/new", {**form, "step": "register"}, follow=False)
    with reading(session):
        assert session.scalar(select(Grievance.reference)) is not None
    return portal.location


def _join(portal, session, catalogue, m=None) -> str:
    m = m or _morning(session)
    portal.get(_join_url(m, m.day))
    form = {"department": str(m.department_id), "day": m.day.isoformat()}
    portal.verify("/portal/waiting-list/join", form)
    portal.post("/portal/waiting-list/join", {**form, "step": "join"}, follow=False)
    assert portal.status == 303
    return portal.location


def _leave(portal, session, catalogue) -> str:
    entry_page = _join(portal, session, catalogue)
    portal.get(f"{entry_page}/leave")
    portal.post(f"{entry_page}/leave", {"confirm": "yes"}, follow=False)
    return portal.location


def _offered(portal, session) -> str:
    """The verified mobile's place on a full day's list, the day's booking then
    cancelled: the place is held for it; its page is loaded."""
    m = _morning(session)
    entry_page = _join(portal, session, None, m)
    with reading(session):
        _others_join(session, m, 1)
        cancel_appointment(session, m.held_reference, channel=Channel.PORTAL)
    portal.get(entry_page)
    assert 'value="take"' in portal.page or f"{entry_page}/take" in portal.page
    return entry_page


def _take(portal, session, catalogue) -> str:
    entry_page = _offered(portal, session)
    portal.post(f"{entry_page}/take", {}, follow=False)
    return portal.location


def _pass_on(portal, session, catalogue) -> str:
    entry_page = _offered(portal, session)
    portal.post(f"{entry_page}/pass-on", {}, follow=False)
    return portal.location


def _pass_on_after_taking(portal, session, catalogue) -> str:
    entry_page = _offered(portal, session)
    offer_page = portal.page
    portal.post(f"{entry_page}/take", {}, follow=False)
    portal.page = offer_page  # Back to the offer, and "pass it on" from there
    portal.post(f"{entry_page}/pass-on", {}, follow=False)
    return portal.location


# kind: (the action, the page's path it leads to, the sentence it says once)
KINDS = {
    "booked": (_book, "/portal/appointments/", "portal.done.booked"),
    "rescheduled": (_reschedule, "/portal/appointments/", "portal.done.rescheduled"),
    "cancelled": (_cancel, "/portal/appointments/", "portal.done.cancelled"),
    "registered": (_register, "/portal/grievances/", "portal.grievance.registered"),
    "joined": (_join, "/portal/waiting-list/", "portal.wait.joined"),
    "left": (_leave, "/portal/waiting-list/", "portal.wait.left"),
    "taken": (_take, "/portal/appointments/", "portal.done.booked"),
    "passed_on": (_pass_on, "/portal/waiting-list/", "portal.wait.passed_on"),
    "already_taken": (_pass_on_after_taking, "/portal/waiting-list/",
                      "portal.wait.already_taken"),
}
# The ``done=`` each once put in its URL, as old links and bookmarks still hold it.
OLD_QUERY = {"taken": "booked"}


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_what_was_done_is_said_once_and_by_no_url(portal, session, catalogue, lang, kind):
    act, leads_to, key = KINDS[kind]
    said = render(lang, key)
    portal.choose(lang)
    location = act(portal, session, catalogue)
    assert portal.status == 303
    # The URL left in the address bar is the page's own, with no word of what was done.
    assert location.startswith(leads_to) and "?" not in location, location
    portal.get(location)
    assert portal.status == 200 and said in portal.text()
    # Reloaded (or opened again from a bookmark or the history): the page as it stands.
    portal.get(location)
    assert portal.status == 200 and said not in portal.text()
    old = f"{location}?done={OLD_QUERY.get(kind, kind)}"
    portal.get(old)
    assert portal.status == 200 and said not in portal.text()
    # The link sent to someone, opened in another browser with the same mobile proved.
    other = Portal(portal.client.application.test_client(), session)
    other.choose(lang)
    for link in (location, old):
        other.get(link)
        if 'name="mobile"' in other.page:
            other.verify(link.split("?")[0], {})
            other.get(link)
        assert other.status == 200 and said not in other.text()
        assert 'name="mobile"' not in other.page  # the page itself, not the code block
