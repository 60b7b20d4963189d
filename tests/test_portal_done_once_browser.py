"""What a portal action just did is said once, in headless Chromium (scripts off): on
the page the action's 303 leads to, whose URL in the address bar carries no word of it;
reloaded, it is the page as it stands; the same URL opened in another browser (a link
sent to someone) says nothing was just done. Every action of the portal that says so:
booked, moved, cancelled, a complaint registered, a waiting list joined, left, its held
place taken, passed on, or passed on after it was taken. Screenshots go to
test-artifacts/done-once-<kind>-<lang>-<step>.png."""

from __future__ import annotations

import datetime as dt

import pytest

from booking_core.appointments import Channel, book_appointment, cancel_appointment
from booking_core.waiting_list import join_waiting_list
from locales import render
from tests.factories import make_department, make_hospital, make_slot
from tests.fixtures_browser import ARTIFACTS, citizen_page, verify_with_code
from tests.test_portal_waiting_list import _join_url, _morning

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]


def _slots(s) -> tuple[int, int, str]:
    """Two times of one department on two days: their ids and the second's day."""
    hospital = make_hospital(s)
    department = make_department(s, hospital)
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(
        hour=4, minute=0, second=0, microsecond=0)
    first = make_slot(s, department, at=start, capacity=5)
    later = make_slot(s, department, at=start + dt.timedelta(days=1), capacity=5)
    s.commit()
    return first.id, later.id, later.local_day.isoformat()


def _start(kind: str, s, phone: str) -> tuple[str, str]:
    """The data for ``kind``'s action: the page it starts on, and the button that does
    it (after the mobile's code)."""
    if kind == "booked":
        first, _, _ = _slots(s)
        return f"/portal/book/review?slot={first}", "button[value=book]"
    if kind in ("rescheduled", "cancelled"):
        first, later, later_day = _slots(s)
        ref = book_appointment(s, slot_id=first, phone=phone, channel=Channel.IVR,
                               language="en").reference
        s.commit()
        if kind == "cancelled":
            return f"/portal/appointments/{ref}/cancel", "#confirm-cancel"
        return (f"/portal/appointments/{ref}/reschedule?day={later_day}",
                f"form:has(input[name=slot][value='{later}']) button[type=submit]")
    if kind == "registered":
        make_hospital(s)
        s.commit()
        return "/portal/grievances/new", "button[value=register]"
    m = _morning(s)
    if kind == "joined":
        return _join_url(m, m.day), "#join"
    entry, _ = join_waiting_list(s, department_id=m.department_id, day=m.day, phone=phone,
                                 channel=Channel.PORTAL, language="en")
    s.commit()
    if kind == "left":
        return f"/portal/waiting-list/{entry.id}/leave", "#confirm-leave"
    cancel_appointment(s, m.held_reference, channel=Channel.PORTAL)  # the place is held
    s.commit()
    return f"/portal/waiting-list/{entry.id}", ("#pass-on" if kind == "passed_on"
                                                else "#take")


SAID = {"booked": "portal.done.booked", "rescheduled": "portal.done.rescheduled",
        "cancelled": "portal.done.cancelled", "registered": "portal.grievance.registered",
        "joined": "portal.wait.joined", "left": "portal.wait.left",
        "taken": "portal.done.booked", "passed_on": "portal.wait.passed_on",
        "already_taken": "portal.wait.already_taken"}


def _main(page) -> str:
    return page.locator("main").inner_text()


@pytest.mark.parametrize("kind", list(SAID))
def test_what_was_done_is_said_once_and_a_shared_url_does_not_say_it(served, browser, kind):
    base, helpline = served
    lang = "hi" if list(SAID).index(kind) % 2 else "en"
    said = render(lang, SAID[kind])
    mobile = f"98700{list(SAID).index(kind):05d}"
    with helpline.session() as s:
        start, button = _start(kind, s, "+91" + mobile)
    context, page = citizen_page(browser, lang, 1366)
    try:
        page.goto(f"{base}/portal/lang/{lang}")
        page.goto(f"{base}{start}")
        verify_with_code(page, helpline, mobile)
        page.wait_for_selector(button)
        if kind == "booked":
            page.fill("#patient_name", "Asha Devi")
        elif kind == "registered":
            page.select_option("#category", "cleanliness")
            page.fill("#description", "Toilets near OPD block 2 not cleaned all day.")
        elif kind == "rescheduled":
            page.check("form:has(button[type=submit]) input[name=slot]:not([disabled])")
        elif kind == "already_taken":  # the offer open in a second tab too
            offer, page = page, context.new_page()
            page.goto(offer.url)
            offer.click(button)
            button = "#pass-on"
        page.click(button)
        assert said in _main(page), _main(page)
        done_url = page.url
        assert "?" not in done_url and "done" not in done_url and mobile not in done_url
        page.screenshot(path=str(ARTIFACTS / f"done-once-{kind}-{lang}-1-done.png"),
                        full_page=True)
        page.reload()
        assert page.url == done_url and said not in _main(page)
        page.screenshot(path=str(ARTIFACTS / f"done-once-{kind}-{lang}-2-reloaded.png"),
                        full_page=True)
    finally:
        context.close()
    # The link sent on and opened elsewhere: the same mobile proves itself there.
    context, page = citizen_page(browser, lang, 390)
    try:
        page.goto(f"{base}/portal/lang/{lang}")
        page.goto(done_url)
        assert said not in _main(page)
        verify_with_code(page, helpline, mobile)
        page.wait_for_load_state("load")
        assert page.url == done_url and page.locator("#code").count() == 0
        assert said not in _main(page)
    finally:
        context.close()
