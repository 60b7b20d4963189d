"""Escalating a grievance by hand in headless Chromium: the browser asks first, and
nothing is sent until the agent confirms."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from grievances.models import Grievance, GrievanceEvent
from tests.factories import make_hospital
from tests.fixtures_browser import login, shot
from tests.fixtures_console import make_grievance, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]

REASON = "Caller says her father died after being turned away from the emergency."


def test_escalating_asks_first_then_reaches_the_supervisor(served, page):
    base, helpline = served
    with helpline.session() as s:
        hospital = make_hospital(s, name_en="Lok Nayak Hospital")
        make_staff(s, "super.lnh", role="supervisor", hospital_id=hospital.id)
        g = make_grievance(s, hospital_id=hospital.id)
        grievance_id, reference = g.id, g.reference
    login(page, base)
    page.goto(f"{base}/console/grievances/{grievance_id}")
    page.fill("#escalation-reason", REASON)
    shot(page, "grievance-escalate-form")
    asked: list[str] = []

    def dismiss(dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("#form-escalate button")
    page.wait_for_timeout(300)
    assert asked and asked[0].startswith("Escalate this grievance?")
    with helpline.session() as s:
        assert s.get_one(Grievance, grievance_id).escalation_level == 0

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#form-escalate button")
    page.wait_for_selector(".flash:has-text('Escalated')")
    assert REASON in page.locator("#events").inner_text()
    assert page.locator("#form-escalate").count() == 0
    shot(page, "grievance-escalated")
    with helpline.session() as s:
        assert s.get_one(Grievance, grievance_id).escalation_level == 1
        kinds = s.scalars(select(GrievanceEvent.kind).where(
            GrievanceEvent.grievance_id == grievance_id)).all()
        assert kinds.count("escalated_by_staff") == 1

    page.context.clear_cookies()  # signed out
    login(page, base, "super.lnh")
    page.goto(f"{base}/console/escalations")
    row = page.locator(f"#escalations tr:has-text('{reference}')")
    for words in (REASON, "Escalated to you by staff", "By Asha Verma"):
        assert words in row.inner_text()
