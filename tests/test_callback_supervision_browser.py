"""A supervisor's "Claimed by agents" in Chromium: the agent's name and state on each
row, **Return to the waiting list** moves the callback back, and the page fits at 1366
and 390 px in English and Hindi. Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from booking_core.base import utcnow
from contact_centre.callbacks import call_back, claim_callback
from contact_centre.models import AgentState, CallbackRequest, StaffUser
from tests.fixtures_browser import console_page, fits, shot, sign_in
from tests.fixtures_console import make_staff, next_mobile

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]
WORDS = {
    "en": {"section": "Claimed by agents", "release": "Return to the waiting list",
           "done": "The callback is back in the waiting list, in its old place.",
           "break": "On a break", "calling": "Being called now"},
    "hi": {"section": "एजेंटों के पास कॉल-बैक", "release": "इंतज़ार की सूची में वापस भेजें",
           "done": "कॉल-बैक इंतज़ार की सूची में अपनी पुरानी जगह पर वापस आ गया है।",
           "break": "ब्रेक पर", "calling": "अभी कॉल हो रही है"},
}


@pytest.fixture
def held(served):
    """Asha (on a break) holds two callbacks; Ravi is calling a third."""
    base, helpline = served
    ids = []
    with helpline.session() as s:
        make_staff(s, "super.meena", role="supervisor", display_name="Meena Joshi")
        ravi_id = make_staff(s, "agent.ravi", display_name="Ravi Kumar").id
        asha_id = s.scalars(select(StaffUser.id).filter_by(username="agent.asha")).one()
        s.rollback()
        for n, (agent_id, reason) in enumerate(((asha_id, "after_hours"),
                                                 (asha_id, "queue_wait"),
                                                 (ravi_id, "no_agent"))):
            with s.begin():
                callback = CallbackRequest(
                    phone=next_mobile(), language=("hi", "en")[n % 2], reason=reason,
                    requested_at=utcnow() - dt.timedelta(hours=2, minutes=n))
                s.add(callback)
            claim_callback(s, callback.id, agent_id=agent_id,
                           now=utcnow() - dt.timedelta(minutes=50 - 10 * n))
            ids.append(callback.id)
        call_back(s, ids[2], agent=s.get(StaffUser, ravi_id))
        s.commit()
        with s.begin():
            s.execute(update(StaffUser).where(StaffUser.id == asha_id)
                      .values(state=AgentState.BREAK))
    return base, ids


def open_page(browser, base: str, width: int, lang: str):
    context, page = console_page(browser, width)
    sign_in(page, base, "super.meena", lang)
    page.goto(f"{base}/console/callbacks")
    page.wait_for_selector("#held")
    return context, page


def test_claimed_callbacks_in_both_languages_and_returning_one(held, browser):
    base, ids = held
    wide = []
    for lang in ("en", "hi"):
        for width in (1366, 390):
            words = WORDS[lang]
            context, page = open_page(browser, base, width, lang)
            section = page.inner_text("#held")
            assert words["section"] in section
            first = page.inner_text(f'tr[data-held-id="{ids[0]}"]')
            assert "Asha Verma" in first and words["break"] in first
            assert words["calling"] in page.inner_text(f'tr[data-held-id="{ids[2]}"]')
            if not fits(page):
                wide.append((width, lang))
            shot(page, f"callbacks-held-{lang}-{width}")
            context.close()
    context, page = open_page(browser, base, 390, "hi")
    page.click(f'tr[data-held-id="{ids[0]}"] button:has-text("{WORDS["hi"]["release"]}")')
    page.wait_for_selector(".flash")
    assert WORDS["hi"]["done"] in page.inner_text("#main")
    assert page.locator(f'tr[data-held-id="{ids[0]}"]').count() == 0
    assert page.locator(f'tr[data-callback-id="{ids[0]}"]').count() == 1  # waiting again
    shot(page, "callbacks-held-returned-hi-390")
    context.close()
    assert wide == []
