"""On the day, "my appointments" on the phone line says the now-serving token, the
caller's token and the expected wait at the session's measured pace."""

from __future__ import annotations

import datetime as dt

import pytest

from booking_core.base import utcnow
from booking_core.opd_day import call_next, check_in
from locales.formatting import spoken_time
from tests.fixtures_ivr import CALLER
from tests.opd_factories import QR_KEY, book, booking_time, opd_today
from tests.test_cancel_offer import begin
from tests.test_ivr_services import into_menu


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_caller_hears_the_now_serving_token_and_the_wait(phone, ivr_session, lang):
    today = opd_today(ivr_session, capacity=10)
    slot = today.slots[0]
    others = [book(ivr_session, slot, now=booking_time(slot)) for _ in range(4)]
    mine = book(ivr_session, slot, phone=CALLER, now=booking_time(slot), language=lang)
    assert mine.token == 5
    for person in others:
        check_in(ivr_session, person.reference, hospital_id=today.hospital.id,
                 department_id=today.department.id, key=QR_KEY)
    opd_id = check_in(ivr_session, others[0].reference, hospital_id=today.hospital.id,
                      department_id=today.department.id, key=QR_KEY).visit.session_id
    start = utcnow() - dt.timedelta(minutes=12)
    for n in range(2):  # token 1, then token 2 six minutes later
        call_next(ivr_session, opd_id, 1, now=start + dt.timedelta(minutes=6 * n))
    into_menu(phone, lang, "4")
    phone.press("1")
    said = phone.said
    if lang == "hi":
        assert (f"में आज {spoken_time('hi', slot.starts_at)} का आपका अपॉइंटमेंट: अभी टोकन 2 "
                "चल रहा है। आपका टोकन 5 है।") in said
        assert "आपकी बारी लगभग 12 मिनट में आएगी।" in said  # 2 ahead, 6 minutes each
    else:
        assert "now serving token 2. Your token is 5." in said
        assert "about 12 minutes." in said
    # The caller's appointment can still be cancelled (the only one: key 1), in a sentence
    # that refers to it: the queue words already named it.
    assert ("आज का अपॉइंटमेंट रद्द करने के लिए 1 दबाएँ" if lang == "hi"
            else "To cancel today's appointment, press 1") in said


def test_before_the_first_call_and_once_called(phone, ivr_session):
    today = opd_today(ivr_session, capacity=5)
    slot = today.slots[0]
    mine = book(ivr_session, slot, phone=CALLER, now=booking_time(slot), language="en")
    into_menu(phone, "en", "4")
    phone.press("1")
    # When to come, the first thing a caller on the day may be ringing to ask.
    assert (f"your appointment today at {spoken_time('en', slot.starts_at)}: the OPD has "
            "not started calling tokens yet. Your token is 1.") in phone.said
    visit = check_in(ivr_session, mine.reference, hospital_id=today.hospital.id,
                     department_id=today.department.id, key=QR_KEY).visit
    call_next(ivr_session, visit.session_id, 4)
    phone.hang_up()
    phone.call_sid = phone.call_sid + "b"
    into_menu(phone, "en", "4")
    phone.press("1")
    # Checked in (no longer "booked"), and called: told to go in, nothing to cancel.
    assert "your token 1 has been called. Please go to the OPD room now." in phone.said
    assert "Number 1" not in phone.said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_caller_who_finds_every_day_full_joins_the_waiting_list(
        phone, ivr_world, ivr_session, lang):
    from sqlalchemy import select, update

    from booking_core.slots import Slot
    from booking_core.waiting_list import WaitingListEntry, WaitStatus
    from tests.test_ivr_booking import start_booking

    with ivr_session.begin():
        ivr_session.execute(update(Slot).where(Slot.department_id == ivr_world.ortho.id)
                            .values(booked=Slot.capacity))
    first_day = min(s.local_day for s in ivr_world.slots
                    if s.department_id == ivr_world.ortho.id)
    start_booking(phone, lang)
    phone.press("2")  # Lok Nayak
    phone.press("1")  # Orthopaedics: every day full
    said = phone.said
    assert ("प्रतीक्षा सूची में जुड़ने के लिए 1 दबाएँ" if lang == "hi"
            else "To join that day's waiting list, press 1.") in said
    phone.press("1")
    assert ("आप प्रतीक्षा सूची में जुड़ गए हैं। आप सूची में सबसे पहले हैं।" if lang == "hi"
            else "You are on the waiting list. You are first on the list.") in phone.said
    entry = ivr_session.scalar(select(WaitingListEntry).where(
        WaitingListEntry.phone == CALLER))
    assert (entry.department_id, entry.local_day, entry.status, entry.channel) == (
        ivr_world.ortho.id, first_day, WaitStatus.WAITING, "ivr")


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_token_the_counter_passed_is_told_to_check_in_not_that_it_is_next(
        phone, ivr_session, lang):
    today = opd_today(ivr_session, capacity=10)
    slot = today.slots[0]
    first, second = (book(ivr_session, slot, now=booking_time(slot)) for _ in range(2))
    mine = book(ivr_session, slot, phone=CALLER, now=booking_time(slot), language=lang)
    fourth = book(ivr_session, slot, now=booking_time(slot))
    assert mine.token == 3
    for person in (first, second, fourth):
        opd_id = check_in(ivr_session, person.reference, hospital_id=today.hospital.id,
                          department_id=today.department.id, key=QR_KEY).visit.session_id
    begin(ivr_session, slot)  # the calls past token 3 come once its slot has begun
    called = [call_next(ivr_session, opd_id, 1).token for _ in range(3)]
    assert called == [1, 2, 4]
    into_menu(phone, lang, "4")
    phone.press("1")
    said = phone.said
    if lang == "hi":
        assert ("आपकी हाज़िरी नहीं लगी थी, इसलिए काउंटर आपके टोकन 3 के बाद का टोकन 4 बुला "
                "चुका है। कृपया ओपीडी रजिस्ट्रेशन काउंटर पर जाकर हाज़िरी लगवाएँ: उसके बाद "
                "आपका टोकन बुलाया जाएगा।") in said
        assert "आपकी बारी अगली है" not in said
    else:
        assert ("the counter has already called token 4, after your token 3, because you "
                "had not checked in. Please go to the OPD registration counter and check "
                "in: your token will be called after that.") in said
        assert "next or very close" not in said
    # Once checked in, the passed token is the lowest waiting one: truly next.
    check_in(ivr_session, mine.reference, hospital_id=today.hospital.id,
             department_id=today.department.id, key=QR_KEY)
    phone.hang_up()
    phone.call_sid = phone.call_sid + "b"
    into_menu(phone, lang, "4")
    phone.press("1")
    assert ("आपकी बारी अगली है" if lang == "hi" else "Your turn is next") in phone.said
    assert ("हाज़िरी लगवाएँ" if lang == "hi" else "check in:") not in phone.said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_patient_already_seen_is_not_sent_back_to_the_room(phone, ivr_session, lang):
    today = opd_today(ivr_session, capacity=5)
    slot = today.slots[0]
    mine = book(ivr_session, slot, phone=CALLER, now=booking_time(slot), language=lang)
    other = book(ivr_session, slot, now=booking_time(slot))
    for person in (mine, other):
        opd_id = check_in(ivr_session, person.reference, hospital_id=today.hospital.id,
                          department_id=today.department.id, key=QR_KEY).visit.session_id
    call_next(ivr_session, opd_id, 1)
    call_next(ivr_session, opd_id, 1)  # the room is free again: token 1 was seen
    into_menu(phone, lang, "4")
    phone.press("1")
    if lang == "hi":
        assert ("आपके टोकन 1 की बारी ओपीडी कमरे में हो चुकी है। अगर आपको अभी भी डॉक्टर से "
                "मिलना है, तो कृपया ओपीडी रजिस्ट्रेशन काउंटर पर पूछें।") in phone.said
        assert "कृपया अभी ओपीडी कमरे में जाएँ" not in phone.said
    else:
        assert ("your token 1 has already been seen in the OPD room. If you still need the "
                "doctor, please ask at the OPD registration counter.") in phone.said
        assert "Please go to the OPD room now" not in phone.said
