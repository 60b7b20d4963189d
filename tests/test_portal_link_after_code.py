"""A cancel or change link (the booking SMS's) followed before the mobile is proved asks
for the code on the appointment's page and then lands where the link meant to take the
citizen: the cancel question, the move page (its day kept); likewise a waiting list's
leave link. The ``next`` that carries the way on is only ever a path of the portal: a
foreign or junk one is ignored (``portal_web.verify.portal_path``, ``step_location``)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from booking_core.appointments import Channel
from booking_core.waiting_list import join_waiting_list
from portal_web.verify import portal_path
from tests.test_portal_pages import E164, Portal, _booked, slot_choices
from tests.test_portal_waiting_list import _morning


@pytest.fixture
def portal(client, session):
    return Portal(client, session)


def _follow_unverified(portal, link: str) -> str:
    """The link opened with no proof of the mobile: where it sends the citizen."""
    answer = portal.client.get(link)
    assert answer.status_code == 303, answer.status_code
    location = answer.headers["Location"]
    portal.get(location)
    assert portal.status == 200 and 'value="send_code"' in portal.page
    return location


def test_a_cancel_link_lands_on_the_cancel_question_after_the_code(portal, session, catalogue):
    held = _booked(session, catalogue.slot)
    link = f"/portal/appointments/{held.reference}/cancel"
    portal.choose("en")
    asking = _follow_unverified(portal, link)
    assert asking == f"/portal/appointments/{held.reference}?next={quote(link, safe='')}"
    portal.verify(asking)
    assert "Cancel your appointment at" in portal.text() and 'id="confirm-cancel"' in portal.page
    portal.post(link, {"confirm": "yes"})
    assert "Your appointment is cancelled." in portal.text()


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_change_link_lands_on_the_move_page_with_its_day(portal, session, catalogue, lang):
    held = _booked(session, catalogue.slot)
    day = catalogue.later_slot.local_day.isoformat()
    link = f"/portal/appointments/{held.reference}/reschedule?day={day}"
    portal.choose(lang)
    portal.verify(_follow_unverified(portal, link))
    assert 'name="slot"' in portal.page
    assert slot_choices(portal.page) == [str(catalogue.later_slot.id)]


def test_a_leave_link_lands_on_the_leave_question_after_the_code(portal, session):
    m = _morning(session)
    entry = join_waiting_list(session, department_id=m.department_id, day=m.day, phone=E164,
                              channel=Channel.IVR)[0]
    entry_id = entry.id
    session.commit()
    link = f"/portal/waiting-list/{entry_id}/leave"
    portal.choose("en")
    portal.verify(_follow_unverified(portal, link))
    assert "Leave the waiting list for" in portal.text() and 'id="stay"' in portal.page


def test_a_foreign_next_is_ignored(portal, session, catalogue):
    held = _booked(session, catalogue.slot)
    here = f"/portal/appointments/{held.reference}"
    asking = f"{here}?next={quote('https://evil.example/portal/', safe='')}"
    portal.choose("en")
    portal.get(asking)
    portal.post(asking, {"mobile": "98123 45678", "step": "send_code"}, follow=False)
    assert portal.location == here  # the junk is not kept either
    portal.get(here)
    portal.verify(asking)
    assert "Cancel your appointment at" not in portal.text()
    assert f'href="{here}/cancel"' in portal.page  # the appointment's own page


@pytest.mark.parametrize("value", [
    "https://evil.example/portal/", "//evil.example/portal/", "/\\evil.example/portal/",
    "\\\\evil.example", "http:/portal/x", "javascript:alert(1)", "evil.example",
    "/portal/../admin", "/portal/x\r\nSet-Cookie: a=b", "/portal/\tx", "/elsewhere",
    "/console/", "", "/portal/" + "a" * 600,
])
def test_junk_is_no_portal_path(value):
    assert portal_path(value) is None


@pytest.mark.parametrize("value", [
    "/portal/appointments/AB12CD34/cancel",
    "/portal/appointments/AB12CD34/reschedule?day=2031-01-02",
    "/portal/waiting-list/7/leave",
])
def test_the_portals_own_paths_are_kept(value):
    assert portal_path(value) == value
