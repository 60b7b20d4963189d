"""Menu 4 then 1 names each waiting list the caller's mobile is on, with how many wait
before them ("first on the list", "one person", "3 people"), after their appointments
or after "no upcoming appointments"; a list they left, or a number typed from a phone
we cannot see, says nothing of it."""

from __future__ import annotations

import datetime as dt

import pytest

from booking_core.appointments import Channel
from booking_core.waiting_list import join_waiting_list, leave_waiting_list
from locales import render, render_count
from locales.formatting import format_date, format_number
from tests.factories import IST, make_department, make_hospital, make_slot
from tests.fixtures_ivr import CALLER
from tests.opd_factories import book, mobile, opd_morning
from tests.test_ivr_services import into_menu


def _full_day(session, *, ahead: int):
    """A department whose one day is fully booked, with ``ahead`` people already
    waiting for it."""
    morning = opd_morning(session, slots=1, capacity=2)
    for _ in range(2):
        book(session, morning.slots[0])
    for _ in range(ahead):
        _join(session, morning, mobile())
    return morning


def _join(session, morning, phone: str):
    return join_waiting_list(session, department_id=morning.department.id,
                             day=morning.slots[0].local_day, phone=phone,
                             channel=Channel.PORTAL)


def _sentence(lang: str, morning, ahead: int) -> str:
    return render_count(lang, "ivr.mine.waiting", ahead, n=format_number(lang, ahead),
                        department=morning.department.name(lang),
                        hospital=morning.hospital.short_name(lang),
                        date=format_date(lang, morning.slots[0].local_day))


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_no_appointments_but_waiting_lists_says_each_with_who_is_ahead(
        phone, ivr_session, lang):
    lists = [(_full_day(ivr_session, ahead=ahead), ahead) for ahead in (0, 1, 3)]
    for morning, _ in lists:
        _join(ivr_session, morning, CALLER)
    ivr_session.commit()
    into_menu(phone, lang, "4")
    phone.press("1")
    said = phone.said
    assert render(lang, "ivr.mine.none") in said, said
    for morning, ahead in lists:
        assert _sentence(lang, morning, ahead) in said, (ahead, said)
    assert ("सबसे पहले" if lang == "hi" else "first on the list") in said
    assert ("एक व्यक्ति" if lang == "hi" else "One person is ahead") in said
    assert ("3 लोग" if lang == "hi" else "3 people are ahead") in said
    # Menu 4 goes on as after "no appointments": its own choices follow.
    assert render(lang, "ivr.mine.appointments", key="1") in said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_appointments_and_a_waiting_list_are_both_said(phone, ivr_session, lang):
    held = book(ivr_session, opd_morning(ivr_session).slots[0], phone=CALLER, language=lang)
    waited = _full_day(ivr_session, ahead=2)
    _join(ivr_session, waited, CALLER)
    ivr_session.commit()
    into_menu(phone, lang, "4")
    phone.press("1")
    said = phone.said
    assert held.department.name(lang) in said
    assert _sentence(lang, waited, 2) in said, said
    # The list's keys still cancel the appointment read with them.
    assert said.index(held.department.name(lang)) < said.index(_sentence(lang, waited, 2))


def test_a_list_left_is_not_said(phone, ivr_session):
    morning = _full_day(ivr_session, ahead=0)
    entry, _ = _join(ivr_session, morning, CALLER)
    leave_waiting_list(ivr_session, entry.id, CALLER)
    ivr_session.commit()
    into_menu(phone, "en", "4")
    phone.press("1")
    assert "waiting list" not in phone.said
    assert render("en", "ivr.mine.none") in phone.said


def _full_slot_on(session, starts_at: dt.datetime):
    """A department whose one slot, at ``starts_at``, is fully booked."""
    department = make_department(session, make_hospital(session))
    return make_slot(session, department, at=starts_at, capacity=2, booked=2)


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_todays_and_tomorrows_waiting_lists_are_called_so_not_given_a_date(
        phone, ivr_session, lang):
    """A caller waiting for today hears "today's waiting list" («आज की प्रतीक्षा सूची»),
    as menu 4 says "today" of an appointment; tomorrow's likewise; a later day keeps
    its date."""
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    today_at = now + dt.timedelta(minutes=20)
    if today_at.astimezone(IST).date() != now.astimezone(IST).date():
        pytest.skip("Delhi's day ends within 20 minutes: no slot today is still to come")
    slots = {"today": _full_slot_on(ivr_session, today_at),
             "tomorrow": _full_slot_on(ivr_session, today_at + dt.timedelta(days=1)),
             "later": _full_slot_on(ivr_session, today_at + dt.timedelta(days=3))}
    for ahead, slot in enumerate(slots.values()):
        for _ in range(ahead):
            join_waiting_list(ivr_session, department_id=slot.department_id,
                              day=slot.local_day, phone=mobile(), channel=Channel.PORTAL)
        join_waiting_list(ivr_session, department_id=slot.department_id, day=slot.local_day,
                          phone=CALLER, channel=Channel.PORTAL)
    ivr_session.commit()
    into_menu(phone, lang, "4")
    phone.press("1")
    said = phone.said
    for (when, slot), ahead in zip(slots.items(), range(3), strict=True):
        family = {"today": "ivr.mine.waiting_today",
                  "tomorrow": "ivr.mine.waiting_tomorrow"}.get(when, "ivr.mine.waiting")
        sentence = render_count(lang, family, ahead, n=format_number(lang, ahead),
                                department=slot.department.name(lang),
                                hospital=slot.department.hospital.short_name(lang),
                                date=format_date(lang, slot.local_day))
        assert sentence in said, (when, said)
        dated = format_date(lang, slot.local_day)
        assert (dated in sentence) == (when == "later"), sentence
    today_words = {"hi": "आप आज की प्रतीक्षा सूची में सबसे पहले हैं",
                   "en": "You are on today's waiting list for"}[lang]
    assert today_words in said
    tomorrow_words = {"hi": "आप कल की प्रतीक्षा सूची में हैं",
                      "en": "You are on tomorrow's waiting list for"}[lang]
    assert tomorrow_words in said
