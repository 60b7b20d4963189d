"""A number that already holds an appointment in a department on a day cannot join that
day's waiting list: booking's own rule (one appointment per patient, department and
day), refused the same way in the domain, on the API (409 ``already_booked``), on the
portal (a page with a link to the booking that holds the day) and on the phone line
(the full day it holds is not offered; a join refused meanwhile is said in words)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from booking_core.appointments import AlreadyBooked, Channel
from booking_core.hospitals import Department
from booking_core.slots import Slot
from booking_core.waiting_list import WaitingListEntry, check_joinable, join_waiting_list
from locales import render
from locales.formatting import format_date
from tests.factories import make_slot
from tests.fixtures_api import reading
from tests.fixtures_ivr import CALLER
from tests.opd_factories import book, mobile, opd_morning
from tests.test_ivr_booking_days import _hold, _to_day_menu
from tests.test_portal_pages import E164, Portal
from tests.test_portal_waiting_list import _join_url, _morning

API = "/api/v1"


def _full_day_held_by(session, phone: str):
    """A department's day with its one seat booked by ``phone``: full, and held."""
    morning = opd_morning(session, slots=1, capacity=1)
    held = book(session, morning.slots[0], phone=phone)
    return morning, held


def test_joining_a_day_the_number_holds_is_refused_naming_the_booking(session):
    phone = mobile()
    morning, held = _full_day_held_by(session, phone)
    day = morning.slots[0].local_day
    with pytest.raises(AlreadyBooked) as refused:
        join_waiting_list(session, department_id=morning.department.id, day=day,
                          phone=phone, channel=Channel.PORTAL)
    assert refused.value.details["reference"] == held.reference
    with pytest.raises(AlreadyBooked):
        check_joinable(session, morning.department.id, day, phone=phone)
    assert session.scalars(select(WaitingListEntry.id)).all() == []
    # Anyone else joins; the same number joins another department's full day.
    other, _ = join_waiting_list(session, department_id=morning.department.id, day=day,
                                 phone=mobile(), channel=Channel.PORTAL)
    elsewhere, _ = _full_day_held_by(session, mobile())
    mine, _ = join_waiting_list(session, department_id=elsewhere.department.id,
                                day=elsewhere.slots[0].local_day, phone=phone,
                                channel=Channel.IVR)
    assert other.id != mine.id and mine.phone == phone


def test_the_api_refuses_with_409_already_booked(client, session, verify):
    morning, held = _full_day_held_by(session, "+919811100004")
    body = {"department_id": morning.department.id,
            "date": morning.slots[0].local_day.isoformat()}
    token = verify("9811100004", "+919811100004")
    answer = client.post(f"{API}/waiting-list", json=body,
                         headers={"X-Verification-Token": token})
    assert answer.status_code == 409, answer.json
    assert answer.json["error"]["code"] == "already_booked"
    assert answer.json["error"]["details"]["reference"] == held.reference
    with reading(session):
        assert session.scalars(select(WaitingListEntry.id)).all() == []


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_portal_says_so_and_links_the_booking_that_holds_the_day(client, session, lang):
    portal = Portal(client, session)
    m = _morning(session)  # the day's one place: someone else's
    portal.choose(lang)
    portal.get(_join_url(m, m.day))
    form = {"department": str(m.department_id), "day": m.day.isoformat()}
    portal.verify("/portal/waiting-list/join", form)
    assert 'value="join"' in portal.page
    with reading(session):  # meanwhile, the verified mobile books the day (a new session)
        department = session.get(Department, m.department_id)
        extra = make_slot(session, department, capacity=1,
                          at=m.starts_at + dt.timedelta(hours=1))
        mine = book(session, extra, phone=E164).reference
    portal.post("/portal/waiting-list/join", {**form, "step": "join"})
    said = render(lang, "portal.err.already_booked")
    assert portal.status == 409 and said in portal.text(), portal.text()
    assert f'href="/portal/appointments/{mine}"' in portal.page
    assert render(lang, "portal.book.see_held") in portal.text()
    # Asked again, verified: the same page, no join button that can only be refused.
    portal.get(_join_url(m, m.day))
    assert portal.status == 409 and 'value="join"' not in portal.page
    assert f'href="/portal/appointments/{mine}"' in portal.page
    with reading(session):
        assert session.scalars(select(WaitingListEntry.id).where(
            WaitingListEntry.phone == E164)).all() == []


def _fill_orthopaedics(session, ortho_id: int) -> None:
    with session.begin():
        session.execute(update(Slot).where(Slot.department_id == ortho_id)
                        .values(booked=Slot.capacity))


def test_the_phone_line_offers_a_full_day_the_caller_does_not_hold(
        phone, ivr_world, ivr_session):
    first_day, second_day = ivr_world.slots[0].local_day, ivr_world.slots[2].local_day
    _hold(ivr_session, ivr_world.slots[0])
    _fill_orthopaedics(ivr_session, ivr_world.ortho.id)
    _to_day_menu(phone)
    said = phone.said
    assert render("en", "ivr.wait.full", date=format_date("en", second_day)) in said
    assert format_date("en", first_day) not in said
    phone.press("1")
    assert "You are on the waiting list." in phone.said
    assert ivr_session.scalar(select(WaitingListEntry.local_day).where(
        WaitingListEntry.phone == CALLER)) == second_day


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_join_refused_meanwhile_says_the_caller_already_holds_the_day(
        phone, ivr_world, ivr_session, lang):
    first_day, second_day = ivr_world.slots[0].local_day, ivr_world.slots[2].local_day
    _fill_orthopaedics(ivr_session, ivr_world.ortho.id)
    _to_day_menu(phone, lang)
    assert format_date(lang, first_day) in phone.said  # book.full: the first day
    with ivr_session.begin():  # meanwhile the caller books that day on the portal
        ivr_session.execute(update(Slot).where(Slot.id == ivr_world.slots[0].id)
                            .values(booked=Slot.capacity - 1))
    held = _hold(ivr_session, ivr_world.slots[0], lang=lang)
    phone.press("1")  # join: refused
    said = phone.said
    assert render(lang, "ivr.book.already_booked") in said, said  # its first sentence
    assert held.reference in said.replace(" ", "").replace(",", "")
    # The way on: the full day the caller does not hold.
    assert render(lang, "ivr.wait.full", date=format_date(lang, second_day)) in said
    assert ivr_session.scalars(select(WaitingListEntry.id)).all() == []
