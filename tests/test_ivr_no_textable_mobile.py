"""A caller with no mobile we can text: the number is withheld (``anonymous``, a foreign
placeholder, a browser client) or it is a landline. Every prompt that asks them for a
mobile says why, in their case; a full department never offers them a waiting list they
cannot join (it tells a freed place by SMS); and a department whose last appointments
go while the caller confirms offers its waiting list as the day menu would."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from booking_core.slots import Slot
from booking_core.waiting_list import WaitingListEntry
from locales import render
from locales.formatting import format_date
from tests.fixtures_ivr import CALLER, Phone
from tests.test_ivr_booking import LANG_KEY, start_booking
from tests.test_ivr_booking_days import _to_day_menu

HIDDEN = ["anonymous", "+266696687", "client:bob"]
LANDLINES = ["+911123456789", "+912226543210", "+914428270000"]


def _fill(session, department_id: int) -> None:
    with session.begin():
        session.execute(update(Slot).where(Slot.department_id == department_id)
                        .values(booked=Slot.capacity))


def _action(phone: Phone) -> str:
    return (phone.gather.get("action") or "").split("?")[0]


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("caller", HIDDEN + LANDLINES)
def test_a_full_department_offers_no_waiting_list_to_a_caller_without_a_mobile(
        ivr_app, ivr_world, ivr_session, caller, lang):
    _fill(ivr_session, ivr_world.ortho.id)
    phone = Phone(ivr_app.test_client(), caller=caller, session=ivr_session)
    start_booking(phone, lang)
    phone.press("2")  # Lok Nayak
    phone.press("1")  # Orthopaedics: every day full
    said = phone.said
    first_day = min(s.local_day for s in ivr_world.slots)
    assert render(lang, "ivr.wait.needs_mobile") in said
    assert render(lang, "ivr.wait.full", date=format_date(lang, first_day)) not in said
    assert render(lang, "ivr.wait.join", key="1") not in said
    assert _action(phone).endswith("/ivr/book/department")  # choose another department
    phone.press("1")  # a department, not a waiting list
    assert ivr_session.scalar(select(WaitingListEntry)) is None


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_caller_from_a_mobile_still_hears_the_waiting_list(phone, ivr_world, ivr_session,
                                                            lang):
    _fill(ivr_session, ivr_world.ortho.id)
    _to_day_menu(phone, lang)
    first_day = min(s.local_day for s in ivr_world.slots)
    assert render(lang, "ivr.wait.full", date=format_date(lang, first_day)) in phone.said
    assert render(lang, "ivr.wait.needs_mobile") not in phone.said


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize(("caller", "why"), [*((c, "hidden") for c in HIDDEN),
                                             *((c, "landline") for c in LANDLINES)])
def test_the_mobile_prompt_says_why_in_each_case(ivr_app, ivr_world, ivr_session, caller,
                                                 why, lang):
    booking = Phone(ivr_app.test_client(), caller=caller, session=ivr_session)
    start_booking(booking, lang)
    for key in ("2", "1", "1", "1"):  # Lok Nayak, Orthopaedics, first day, 9:00
        booking.press(key)
    assert booking.said.startswith(render(lang, f"ivr.book.type_mobile_{why}"))

    complaint = Phone(ivr_app.test_client(), caller=caller, session=ivr_session)
    complaint.call()
    complaint.press(LANG_KEY[lang])
    complaint.press("3")  # a complaint
    complaint.press("2")  # about staff behaviour: the mobile for its SMS
    said = complaint.said
    assert render(lang, f"ivr.griev.type_mobile_{why}") in said
    assert render(lang, "ivr.book.type_mobile_hidden") not in said  # no patient here
    assert "complaint number" in render("en", f"ivr.griev.type_mobile_{why}")
    complaint.silence()  # a retry keeps the short form
    assert render(lang, "ivr.book.type_mobile") in complaint.said
    assert render(lang, f"ivr.griev.type_mobile_{why}") not in complaint.said


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize(("caller", "key"), [
    ("anonymous", "ivr.mine.type_booking"), ("+266696687", "ivr.mine.type_booking"),
    ("+911123456789", "ivr.mine.type_booking_landline"),
    ("+912226543210", "ivr.mine.type_booking_landline")])
def test_menu_4_tells_a_landline_why_it_types_a_booking_number(ivr_app, ivr_world,
                                                               ivr_session, caller, key, lang):
    phone = Phone(ivr_app.test_client(), caller=caller, session=ivr_session)
    phone.call()
    phone.press(LANG_KEY[lang])
    phone.press("4")
    phone.press("1")  # hear an appointment: by its booking number
    assert render(lang, key) in phone.said
    assert _action(phone).endswith("/ivr/mine/booking")


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_last_appointments_going_at_confirm_offer_the_waiting_list(
        phone, ivr_world, ivr_session, lang):
    _to_day_menu(phone, lang)
    phone.press("1")  # the first day
    phone.press("1")  # 9:00: the read-back
    _fill(ivr_session, ivr_world.ortho.id)  # meanwhile, every appointment is taken
    phone.press("1")  # confirm: refused, nothing left in the department
    said = phone.said
    first_day = min(s.local_day for s in ivr_world.slots)
    assert said.startswith(render(lang, "ivr.book.all_filled"))
    assert render(lang, "ivr.wait.full", date=format_date(lang, first_day)) in said
    assert render(lang, "ivr.book.no_days") not in said
    phone.press("1")  # join
    entry = ivr_session.scalar(select(WaitingListEntry))
    assert entry is not None and entry.phone == CALLER and entry.local_day == first_day


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("caller", ["anonymous", "+911123456789"])
def test_a_typed_booking_number_is_not_called_the_callers_own(ivr_app, ivr_world, ivr_session,
                                                             caller, lang):
    """Whoever's booking number is typed (the patient's, a relative's), the list says
    "the appointment with that booking number", never "your upcoming appointment"."""
    from booking_core.appointments import Channel, book_appointment

    theirs = book_appointment(ivr_session, slot_id=ivr_world.slots[0].id,
                              phone="+919812300077", channel=Channel.PORTAL, language=lang)
    ivr_session.commit()
    phone = Phone(ivr_app.test_client(), caller=caller, session=ivr_session)
    phone.call()
    phone.press(LANG_KEY[lang])
    phone.press("4")
    phone.press("1")
    phone.press(theirs.reference)
    said = phone.said
    assert render(lang, "ivr.mine.heading_typed") in said
    for yours in ("ivr.mine.heading", "ivr.mine.heading_one"):
        assert render(lang, yours) not in said, said
