"""Someone else's appointment in headless Chromium, without JavaScript, at 390 px and
1366 px in Hindi and English: the move page (the time held now and the Move button) and,
on the visit day, the queue's sentence name the patient (390 px) or say "the patient"
(1366 px, no name given); nothing scrolls sideways. Screenshots go to
test-artifacts/portal-someone-else-<lang>-<width>-<step>.png."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking_core.appointments import Channel, book_appointment
from booking_core.opd_day import call_next, check_in, skip
from booking_core.slots import Slot
from locales import render
from tests.fixtures_browser import ARTIFACTS, citizen_page, page_width, verify_with_code
from tests.opd_factories import QR_KEY, booking_time, opd_today
from tests.test_portal_browser import site  # noqa: F401  (the module's served portal)

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]

MOBILES = {("hi", 390): "9812345631", ("hi", 1366): "9812345632",
           ("en", 390): "9812345633", ("en", 1366): "9812345634"}


def _shot(page, lang: str, width: int, step: str) -> None:
    assert page_width(page) <= width, (page.url, step)  # nothing scrolls sideways
    page.screenshot(path=str(ARTIFACTS / f"portal-someone-else-{lang}-{width}-{step}.png"),
                    full_page=True)


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_move_page_and_the_queue_name_the_patient(site, browser, lang, width):  # noqa: F811
    base, helpline = site
    mobile = MOBILES[(lang, width)]
    run = list(MOBILES).index((lang, width))
    named = width == 390
    whom = {"patient_name": "Kamla Devi"} if named else {}
    case = "_for" if named else "_other"
    family = f"+91987660{run:04d}"
    with helpline.session() as s:
        slot = s.scalars(select(Slot).order_by(Slot.starts_at)).all()[run]
        later = book_appointment(s, slot_id=slot.id, phone=family, channel=Channel.IVR,
                                 language=lang, booked_by_phone="+91" + mobile, **whom)
        # Today: token 1 and the patient's token 2 checked in, 2 called and not there.
        today = opd_today(s, capacity=10)
        first = book_appointment(s, slot_id=today.slots[0].id, phone=f"+91987670{run:04d}",
                                 channel=Channel.IVR, now=booking_time(today.slots[0]))
        mine = book_appointment(s, slot_id=today.slots[0].id, phone=family,
                                channel=Channel.IVR, language=lang,
                                booked_by_phone="+91" + mobile,
                                now=booking_time(today.slots[0]), **whom)
        for person in (first, mine):
            opd = check_in(s, person.reference, hospital_id=today.hospital.id,
                           department_id=today.department.id, key=QR_KEY).visit.session_id
        call_next(s, opd, 1)
        skip(s, call_next(s, opd, 2).id, hospital_id=today.hospital.id)
        references = later.reference, mine.reference
        s.commit()
    context, page = citizen_page(browser, lang, width)
    try:
        page.goto(f"{base}/portal/lang/{lang}?next=/portal/appointments")
        verify_with_code(page, helpline, mobile)
        page.wait_for_selector(".verify .ok, h1")
        page.goto(f"{base}/portal/appointments/{references[0]}/reschedule")
        assert page.locator("label.time.held small").inner_text() == render(
            lang, "portal.reschedule.current_time" + case, **whom)
        assert page.locator("button.primary").inner_text() == render(
            lang, "portal.reschedule.confirm" + case, **whom)
        _shot(page, lang, width, "1-move")
        page.goto(f"{base}/portal/appointments/{references[1]}")
        assert page.locator("#opd-today p").inner_text() == render(
            lang, "portal.opd.skipped" + case, token=2, **whom)
        _shot(page, lang, width, "2-visit-day")
    finally:
        context.close()
