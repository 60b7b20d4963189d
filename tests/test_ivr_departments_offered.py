"""A department that sits no OPD is not offered on the phone: no weekly schedule and no
open slot from today on (just onboarded, or its OPD stopped) means nothing a caller
could book, so its name would only cost the caller time and a dead end
(``booking_core.slots.departments_holding_opd``, ``ivr.directory``)."""

from __future__ import annotations

import datetime as dt

import pytest

from booking_core.slots import departments_holding_opd
from ivr.directory import Directory
from ivr.flow import DIRECTORY
from locales import render
from locales.formatting import format_date
from tests.factories import IST, make_department, make_hospital, make_schedule, make_slot
from tests.test_ivr_booking import start_booking


def _fresh_directory(app) -> None:
    helpline = app.extensions["helpline"]
    app.extensions[DIRECTORY] = Directory(helpline.sessions,
                                          helpline.settings.ivr_directory_ttl_seconds)


def _sitting_and_not(session, hospital):
    """Departments of every kind: (name, offered?)."""
    today = dt.datetime.now(IST).date()
    kinds = []
    none = make_department(session, hospital, code="derm", name_en="Dermatology",
                           name_hi="त्वचा रोग")
    kinds.append((none, False))  # neither a schedule nor a slot
    closed = make_department(session, hospital, code="ent", name_en="ENT", name_hi="नाक-कान-गला")
    slot = make_slot(session, closed, at=dt.datetime.combine(today + dt.timedelta(days=3),
                                                             dt.time(9), IST))
    slot.closed = True
    session.commit()
    kinds.append((closed, False))  # its only day is closed
    past = make_department(session, hospital, code="eye", name_en="Ophthalmology",
                           name_hi="नेत्र रोग")
    make_slot(session, past, at=dt.datetime.combine(today - dt.timedelta(days=3),
                                                    dt.time(9), IST))
    kinds.append((past, False))  # only days gone by
    by_hand = make_department(session, hospital, code="psych", name_en="Psychiatry",
                              name_hi="मनोरोग")
    make_slot(session, by_hand, at=dt.datetime.combine(today + dt.timedelta(days=4),
                                                       dt.time(9), IST))
    kinds.append((by_hand, True))  # a day added by hand, no weekly schedule
    weekly = make_department(session, hospital, code="paed", name_en="Paediatrics",
                             name_hi="बाल रोग")
    make_schedule(session, weekly, weekday=2)
    kinds.append((weekly, True))  # a weekly OPD, its days not made yet
    return kinds


def test_the_domain_names_the_departments_that_sit_an_opd(ivr_session, ivr_world):
    kinds = _sitting_and_not(ivr_session, ivr_world.lok_nayak)
    sitting = departments_holding_opd(ivr_session, dt.datetime.now(IST).date())
    for department, offered in kinds:
        assert (department.id in sitting) is offered, department.name_en
    assert {ivr_world.ortho.id, ivr_world.medicine.id} <= sitting


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_department_menu_leaves_out_those_that_sit_no_opd(phone, ivr_app, ivr_session,
                                                              ivr_world, lang):
    kinds = _sitting_and_not(ivr_session, ivr_world.lok_nayak)
    _fresh_directory(ivr_app)
    start_booking(phone, lang)
    phone.press("2")  # Lok Nayak
    said = phone.said
    for department, offered in kinds:
        assert (department.name(lang) in said) is offered, (department.name_en, said)
    # The keys follow the departments offered: Orthopaedics, General Medicine,
    # Psychiatry, Paediatrics; key 3 is Psychiatry, not a department left out.
    names = [ivr_world.ortho.name(lang), ivr_world.medicine.name(lang),
             kinds[3][0].name(lang), kinds[4][0].name(lang)]
    assert [said.index(n) for n in names] == sorted(said.index(n) for n in names)
    phone.press("3")  # Psychiatry's one day, the one added by hand, is offered
    by_hand_day = dt.datetime.now(IST).date() + dt.timedelta(days=4)
    assert format_date(lang, by_hand_day) in phone.said, phone.said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_hospital_with_no_opd_sitting_says_so_and_lists_the_hospitals(
        phone, ivr_app, ivr_session, ivr_world, lang):
    quiet = make_hospital(ivr_session, code="QUI", name_en="Aaa Quiet Hospital",
                          name_hi="शांत अस्पताल", short_en="Quiet Hospital",
                          short_hi="शांत अस्पताल")
    make_department(ivr_session, quiet, code="derm", name_en="Dermatology",
                    name_hi="त्वचा रोग")
    _fresh_directory(ivr_app)
    start_booking(phone, lang)
    # Chosen by name, as a caller may.
    phone.post(phone.gather.get("action"), SpeechResult=quiet.short_name(lang),
               Confidence="0.95")
    said = phone.said
    assert said.startswith(render(lang, "ivr.book.no_departments")), said
    assert ("अस्पताल चुनें" if lang == "hi" else "Choose a hospital") in said
    assert phone.gather.get("action")  # the hospital menu, waiting for a key
