"""A callback's saved result in Chromium: saving reads as finished, a second tab's old
form is refused with a message, Change result opens a filled-in form; the page fits at
1366 and 390 px in English and Hindi. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contact_centre.callbacks import claim_callback, record_callback_outcome
from contact_centre.models import CallbackRequest, StaffUser
from tests.fixtures_browser import ARTIFACTS, console_page, fits, shot, sign_in
from tests.fixtures_console import next_mobile

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]
WIDTHS = (1366, 390)
NOTE = ("Spoke to Kamla Devi's son; OPD card number given, she will come to Lok Nayak "
        "orthopaedics on Monday morning. बेटे ने कहा सोमवार सुबह आएँगी।")
WORDS = {
    "en": {"finished": "Spoke to the caller", "change": "Change result",
           "refused": "Not saved: this callback's result was saved meanwhile",
           "by": "Saved by Asha Verma at"},
    "hi": {"finished": "कॉलर से बात हुई", "change": "नतीजा बदलें",
           "refused": "सेव नहीं हुआ: इस बीच इस कॉल-बैक का नतीजा",
           "by": "Asha Verma ने"},
}


@pytest.fixture
def cards(served):
    """Asha's callbacks: two in hand, and three finished: the latest (``ids[0]``) with
    a long note, listed first of them, and two earlier ones below it."""
    base, helpline = served
    ids = []
    with helpline.session() as s:
        asha_id = s.scalars(select(StaffUser.id).filter_by(username="agent.asha")).one()
        s.rollback()
        for reason in ("queue_wait", "after_hours", "no_agent", "long_wait", "agent"):
            with s.begin():
                callback = CallbackRequest(phone=next_mobile(), language="hi", reason=reason)
                s.add(callback)
            claim_callback(s, callback.id, agent_id=asha_id)
            ids.append(callback.id)
        record_callback_outcome(s, ids[3], agent_id=asha_id, outcome="wrong_number")
        record_callback_outcome(s, ids[4], agent_id=asha_id, outcome="reached",
                                notes="Told her the OPD timings.")
        record_callback_outcome(s, ids[0], agent_id=asha_id, outcome="reached", notes=NOTE)
    return base, ids


def open_page(browser, base: str, width: int, lang: str):
    context, page = console_page(browser, width)
    sign_in(page, base, "agent.asha", lang)
    page.goto(f"{base}/console/callbacks")
    page.wait_for_selector("#callbacks")
    return context, page


@pytest.mark.parametrize(("lang", "width"), [("en", 1366), ("hi", 390)])
def test_saving_in_one_tab_and_sending_the_other_tabs_old_form(cards, browser, lang, width):
    base, ids = cards
    words = WORDS[lang]
    context, first = open_page(browser, base, width, lang)
    second = context.new_page()  # a second tab, drawn before the save
    second.goto(f"{base}/console/callbacks")
    card = f'li[data-callback-id="{ids[1]}"]'
    # The other tab's result is chosen before the save: a card being filled in is not
    # redrawn by the list's refresh, so it still holds the old form when sent.
    second.select_option(f"{card} select[name=outcome]", "no_answer")
    first.select_option(f"{card} select[name=outcome]", "reached")
    first.fill(f"{card} input[name=notes]", "Appointment booked for Friday")
    first.click(f"{card} form[action$='/outcome'] button[type=submit]")
    first.wait_for_selector(f"{card} .cb-result")
    assert first.locator(f"{card} form[action$='/outcome']").count() == 0
    assert "Appointment booked for Friday" in first.inner_text(card)
    assert words["by"] in first.inner_text(card)
    shot(first, f"callback-saved-{lang}-{width}")
    second.click(f"{card} form[action$='/outcome'] button[type=submit]")
    second.wait_for_selector(".flash")
    assert words["refused"] in second.inner_text("#main")
    # The message is where the agent looks after sending: in view, below the header.
    assert second.evaluate(
        "document.querySelector('.flash').getBoundingClientRect().top"
        " >= document.querySelector('.top').getBoundingClientRect().bottom")
    assert "Appointment booked for Friday" in second.inner_text(card)
    shot(second, f"callback-refused-{lang}-{width}")
    context.close()


def test_finished_cards_and_the_change_form_fit_in_both_languages(cards, browser):
    base, ids = cards
    wide = []
    for width in WIDTHS:
        for lang in ("en", "hi"):
            words = WORDS[lang]
            context, page = open_page(browser, base, width, lang)
            card = f'li[data-callback-id="{ids[0]}"]'
            text = page.inner_text(card)
            assert words["finished"] in text and NOTE in text and words["by"] in text
            assert page.locator(f"{card} form").count() == 0
            in_hand = f'li[data-callback-id="{ids[2]}"] form[action$="/outcome"]'
            assert page.locator(in_hand).count() == 1
            if not fits(page):
                wide.append(("list", width, lang))
            shot(page, f"callback-cards-{lang}-{width}")
            page.click(f"{card} a:has-text('{words['change']}')")
            page.wait_for_selector(f"{card} form[action$='/correct']")
            assert page.input_value(f"{card} textarea[name=notes]") == NOTE
            assert page.input_value(f"{card} select[name=outcome]") == "reached"
            if not fits(page):
                wide.append(("change", width, lang))
            # The address's #callback-<id> brings the card into view, below the sticky
            # header rather than under it.
            page.wait_for_function(
                f"() => document.querySelector('{card}').getBoundingClientRect().top"
                " < window.innerHeight / 2")
            page.wait_for_timeout(300)  # the scroll to the address's card has ended
            hidden = page.evaluate(
                f"document.querySelector('{card}').getBoundingClientRect().top"
                " < document.querySelector('.top').getBoundingClientRect().bottom")
            if hidden:
                wide.append(("under the header", width, lang))
            view = ARTIFACTS / f"console-callback-change-view-{lang}-{width}.png"
            page.screenshot(path=str(view))
            shot(page, f"callback-change-{lang}-{width}")
            context.close()
    assert wide == []


def test_the_lists_refresh_leaves_a_card_being_filled_in(cards, served, browser):
    """The callbacks page redraws itself every 5 s. A result chosen and a note typed,
    then left for a moment (the agent looks something up) stay as they were; once the
    card is back as it was drawn, the refresh resumes and shows a new callback."""
    base, ids = cards
    helpline = served[1]
    context, page = open_page(browser, base, 1366, "en")
    card = f'li[data-callback-id="{ids[1]}"]'
    drawn = page.input_value(f"{card} select[name=outcome]")
    page.select_option(f"{card} select[name=outcome]", "reached")
    page.fill(f"{card} input[name=notes]", "Son says she will come on Monday")
    page.click("h1")  # the focus leaves the card
    with helpline.session() as s, s.begin():
        arrived = CallbackRequest(phone=next_mobile(), language="en", reason="queue_wait")
        s.add(arrived)
    page.wait_for_timeout(11_000)  # two refreshes of the list
    assert page.input_value(f"{card} input[name=notes]") == "Son says she will come on Monday"
    assert page.input_value(f"{card} select[name=outcome]") == "reached"
    page.select_option(f"{card} select[name=outcome]", drawn)
    page.fill(f"{card} input[name=notes]", "")
    page.click("h1")
    page.wait_for_selector(f'tr[data-callback-id="{arrived.id}"]')
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_header_stays_on_a_wide_screen_and_scrolls_away_on_a_phone(cards, browser, width):
    """The console's header (name, language, search, menu) stays in view on a desk's
    screen; on a phone, where it is a quarter of the screen, it scrolls away."""
    base, _ids = cards
    context, page = open_page(browser, base, width, "hi")
    height = page.evaluate("document.querySelector('.top').getBoundingClientRect().height")
    page.evaluate("window.scrollTo(0, 600)")
    page.wait_for_function("() => window.scrollY >= 600")
    bottom = page.evaluate("document.querySelector('.top').getBoundingClientRect().bottom")
    if width < 720:
        assert height > 150 and bottom <= 0
    else:
        assert bottom == height
    context.close()
