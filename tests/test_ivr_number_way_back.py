"""Every place a number is typed (a mobile, an ABHA, a card, a booking or complaint
number, a number for a callback) has a way back to the main menu, as every menu has:
``#`` ends the number there, so two stars are the key, and the retry after silence or
a wrong number says so in the caller's language."""

from __future__ import annotations

import pytest

from ivr.engine import FLOW, Input
from locales import render
from tests.fixtures_ivr import Phone
from tests.test_ivr_booking import LANG_KEY, start_booking


def _action(phone: Phone) -> str:
    return (phone.gather.get("action") or "").split("?")[0]


def test_every_inbound_number_prompt_goes_back_to_the_main_menu_on_two_stars(ivr_app):
    numbers = [n for n in FLOW.nodes.values()
               if n.flow == "inbound" and n.input is Input.NUMBER]
    assert len(numbers) >= 6
    for node in numbers:
        assert node.shared().get("**") == "main", node.name
        assert "#" not in node.shared(), node.name  # # ends the number


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("route", ["mobile", "complaint", "booking number"])
def test_a_caller_who_changed_their_mind_goes_back_from_a_number(ivr_app, ivr_world,
                                                                 ivr_session, lang, route):
    phone = Phone(ivr_app.test_client(), caller="anonymous", session=ivr_session)
    if route == "mobile":
        start_booking(phone, lang)
        for key in ("2", "1", "1", "1"):  # Lok Nayak, Orthopaedics, first day, 9:00
            phone.press(key)
    else:
        phone.call()
        phone.press(LANG_KEY[lang])
        phone.press("3" if route == "complaint" else "4")
        phone.press("2" if route == "complaint" else "1")
    typing_at = _action(phone)
    hint = render(lang, "ivr.retry.main_number")
    assert hint not in phone.said  # the first hearing stays short
    phone.silence()
    assert hint in phone.said and _action(phone) == typing_at
    phone.press("12#")  # a wrong number: the hint again
    assert hint in phone.said and _action(phone) == typing_at
    phone.press("**")
    assert _action(phone).endswith("/ivr/main"), phone.said
    assert render(lang, "ivr.main.book", key="1") in phone.said
