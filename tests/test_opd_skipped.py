"""A token the queue passed says what is true and what to do, wherever the patient
learns their token's state: the phone line's menu 4, the SMS STATUS reply, the portal's
pages, the API and the hall display. One reading, ``opd_board.progress``: ``passed`` (the
queue went past the patient) is either not checked in (check in at the counter) or
called and not there, ``skipped`` (tell the counter you have come: it can call you
again). A skipped patient never hears "your token has been called"."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from booking_core.opd_board import progress
from booking_core.opd_day import OpdVisit, add_walk_in, call_next, check_in, recall, skip
from booking_core.outbox import OutboxMessage
from locales import render
from tests.fixtures_api import reading
from tests.fixtures_ivr import CALLER
from tests.opd_factories import QR_KEY, book, booking_time, opd_today
from tests.test_ivr_services import into_menu
from tests.test_portal_cancel import _signed_in
from tests.test_portal_pages import E164

SKIPPED = {
    "en": "your token 2 was called, but you were not at the OPD room, so it was skipped. "
          "Please go to the OPD registration counter now and tell them you have come: they "
          "can call your token again.",
    "hi": "आपका टोकन 2 बुलाया गया था, पर आप ओपीडी कमरे के पास नहीं थे, इसलिए उसे छोड़ दिया "
          "गया। कृपया अभी ओपीडी रजिस्ट्रेशन काउंटर पर जाकर बताएँ कि आप आ गए हैं: वे आपका "
          "टोकन फिर से बुला सकते हैं।",
}
PORTAL_SKIPPED = {
    "en": "Your token 2 was called, but you were not at the OPD room, so it was skipped. "
          "Please go to the OPD registration counter and tell them you have come: they can "
          "call your token again.",
    "hi": "आपका टोकन 2 बुलाया गया था, पर आप ओपीडी कमरे के पास नहीं थे, इसलिए उसे छोड़ दिया "
          "गया। कृपया ओपीडी रजिस्ट्रेशन काउंटर पर जाकर बताएँ कि आप आ गए हैं: वे आपका टोकन "
          "फिर से बुला सकते हैं।",
}
PORTAL_PASSED = {
    "en": "The counter has already called token 3, after your token 2, because you had not "
          "checked in. Please go to the OPD registration counter and check in: your token "
          "will be called after that.",
    "hi": "आपकी हाज़िरी नहीं लगी थी, इसलिए काउंटर आपके टोकन 2 के बाद का टोकन 3 बुला चुका है। "
          "कृपया ओपीडी रजिस्ट्रेशन काउंटर पर जाकर हाज़िरी लगवाएँ: उसके बाद आपका टोकन बुलाया "
          "जाएगा।",
}
CALLED = {"en": "has been called", "hi": "बुलाया जा चुका है"}


@dataclass(frozen=True)
class Skipped:
    reference: str
    appointment_id: int
    visit_id: int
    hospital_id: int
    department_id: int


def skipped_patient(session, phone: str, lang: str) -> Skipped:
    """Token 1 and the patient's token 2 checked in; 2 called to room 2 and skipped."""
    today = opd_today(session, capacity=10)
    slot = today.slots[0]
    first = book(session, slot, now=booking_time(slot))
    mine = book(session, slot, phone=phone, now=booking_time(slot), language=lang)
    assert mine.day_token == 2
    for person in (first, mine):
        opd_id = check_in(session, person.reference, hospital_id=today.hospital.id,
                          department_id=today.department.id, key=QR_KEY).visit.session_id
    assert call_next(session, opd_id, 1).token == 1
    called = call_next(session, opd_id, 2)
    assert called.token == 2
    skip(session, called.id, hospital_id=today.hospital.id)
    found = Skipped(mine.reference, mine.id, called.id, today.hospital.id, today.department.id)
    session.commit()
    return found


def passed_patient(session, phone: str) -> str:
    """Tokens 1 and 3 checked in and called once their slot had begun; the patient's
    token 2 never checked in."""
    from tests.test_cancel_offer import begin

    today = opd_today(session, capacity=10)
    slot = today.slots[0]
    first = book(session, slot, now=booking_time(slot))
    mine = book(session, slot, phone=phone, now=booking_time(slot))
    third = book(session, slot, now=booking_time(slot))
    for person in (first, third):
        opd_id = check_in(session, person.reference, hospital_id=today.hospital.id,
                          department_id=today.department.id, key=QR_KEY).visit.session_id
    begin(session, slot)
    assert [call_next(session, opd_id, 1).token for _ in range(2)] == [1, 3]
    reference = mine.reference
    session.commit()
    return reference


def test_progress_reads_a_skipped_token_as_passed_not_called(session):
    found = skipped_patient(session, E164, "en")
    from booking_core.appointments import Appointment

    where = progress(session, session.get(Appointment, found.appointment_id))
    assert (where.called, where.passed, where.skipped, where.wait_minutes) == (
        False, True, True, None)
    recall(session, found.visit_id, 3, hospital_id=found.hospital_id)
    where = progress(session, session.get(Appointment, found.appointment_id))
    assert (where.called, where.passed, where.skipped) == (True, False, False)


def test_the_api_says_skipped_and_passed(client, session, conforms):
    found = skipped_patient(session, E164, "en")
    answer = client.post("/api/v1/appointments/progress",
                         json={"reference": found.reference, "phone": E164})
    assert answer.status_code == 200
    conforms(answer.json, "OpdProgress")
    assert (answer.json["called"], answer.json["passed"], answer.json["skipped"]) == (
        False, True, True)
    assert answer.json["expected_wait_minutes"] is None


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_phone_line_tells_a_skipped_patient_to_go_to_the_counter(
        phone, ivr_session, lang):
    found = skipped_patient(ivr_session, CALLER, lang)
    into_menu(phone, lang, "4")
    phone.press("1")
    said = phone.said
    assert SKIPPED[lang] in said
    assert CALLED[lang] not in said
    # Recalled, the patient is called again: now it is true.
    recall(ivr_session, found.visit_id, 2, hospital_id=found.hospital_id)
    phone.hang_up()
    phone.call_sid = phone.call_sid + "b"
    into_menu(phone, lang, "4")
    phone.press("1")
    assert CALLED[lang] in phone.said and SKIPPED[lang] not in phone.said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_sms_status_reply_tells_a_skipped_patient_what_to_do(msg_app, msg_session, lang):
    from tests.fixtures_messaging import CITIZEN_PHONE
    from tests.test_messaging_sms_webhooks import _inbound

    found = skipped_patient(msg_session, CITIZEN_PHONE, lang)
    _inbound(msg_app.test_client(), f"STATUS {found.reference}", "SM" + "5" * 32)
    with reading(msg_session):
        row = msg_session.scalars(select(OutboxMessage).where(
            OutboxMessage.dedupe_key == "sms-reply:SM" + "5" * 32)).one()
        template, language, params = row.template, row.language, dict(row.params)
    assert template == "reply_opd_skipped" and language == lang
    text = render(lang, f"sms.{template}", **params)
    assert ({"en": "your token 2 was called, but you were not at the OPD room. Please tell "
                   "the OPD registration counter that you have come: they can call your "
                   "token again.",
             "hi": "आपका टोकन 2 बुलाया गया था, पर आप कमरे के पास नहीं थे। ओपीडी काउंटर पर "
                   "बताएँ कि आप आ गए हैं: आपको फिर बुलाया जा सकता है।"}[lang]) in text


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_portal_pages_show_a_skipped_token(client, session, lang):
    found = skipped_patient(session, E164, lang)
    portal = _signed_in(client, session, lang)
    portal.get(f"/portal/appointments/{found.reference}")
    assert portal.status == 200
    assert PORTAL_SKIPPED[lang] in portal.text()
    assert CALLED[lang] not in portal.text()
    # The list shows today's checked-in visit with the same words.
    portal.get("/portal/appointments")
    assert found.reference[:4] in portal.text().replace(" ", "")
    assert PORTAL_SKIPPED[lang] in portal.text()


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_portal_pages_show_a_passed_token(client, session, lang):
    reference = passed_patient(session, E164)
    portal = _signed_in(client, session, lang)
    portal.get(f"/portal/appointments/{reference}")
    assert portal.status == 200
    assert PORTAL_PASSED[lang] in portal.text()
    portal.get("/portal/appointments")
    assert PORTAL_PASSED[lang] in portal.text()


def test_the_hall_display_lists_skipped_tokens_until_recalled(client, session):
    found = skipped_patient(session, E164, "en")
    board = client.get(f"/opd/display/{found.department_id}.json").get_json()
    assert board["skipped"] == [2]
    assert {"room": 2, "token": 2} not in board["rooms"]
    hall = client.get(f"/opd/display/{found.department_id}").get_data(as_text=True)
    assert ("Tokens called while the patient was not here: 2. If yours is one of them, "
            "please go to the OPD registration counter: you can still be called.") in hall
    assert "ये टोकन बुलाए गए थे, पर मरीज़ यहाँ नहीं थे: 2।" in hall
    recall(session, found.visit_id, 2, hospital_id=found.hospital_id)
    session.commit()
    board = client.get(f"/opd/display/{found.department_id}.json").get_json()
    assert board["skipped"] == [] and {"room": 2, "token": 2} in board["rooms"]
    hall = client.get(f"/opd/display/{found.department_id}").get_data(as_text=True)
    assert 'id="skipped" hidden' in hall


def test_the_portal_says_seen_once_the_room_called_the_next_patient(client, session):
    found = skipped_patient(session, E164, "en")
    recall(session, found.visit_id, 2, hospital_id=found.hospital_id)
    opd_id = session.scalars(select(OpdVisit.session_id).where(
        OpdVisit.id == found.visit_id)).one()
    add_walk_in(session, opd_id)
    call_next(session, opd_id, 2)  # the walk-in to room 2: token 2 was seen
    session.commit()
    portal = _signed_in(client, session, "en")
    portal.get(f"/portal/appointments/{found.reference}")
    assert ("Your token 2 has already been seen in the OPD room. If you still need the "
            "doctor, please ask at the OPD registration counter.") in portal.text()
    assert "Please go to the OPD room now" not in portal.text()


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_sms_status_of_a_checked_in_patient_says_checked_in_not_done(
        msg_app, msg_session, lang):
    from tests.fixtures_messaging import CITIZEN_PHONE
    from tests.test_messaging_sms_webhooks import _inbound

    today = opd_today(msg_session, capacity=5)
    slot = today.slots[0]
    mine = book(msg_session, slot, phone=CITIZEN_PHONE, now=booking_time(slot), language=lang)
    check_in(msg_session, mine.reference, hospital_id=today.hospital.id,
             department_id=today.department.id, key=QR_KEY)
    reference = mine.reference
    msg_session.commit()
    _inbound(msg_app.test_client(), f"STATUS {reference}", "SM" + "6" * 32)
    with reading(msg_session):
        row = msg_session.scalars(select(OutboxMessage).where(
            OutboxMessage.dedupe_key == "sms-reply:SM" + "6" * 32)).one()
        template, params = row.template, dict(row.params)
    text = render(lang, f"sms.{template}", **params)
    if lang == "hi":
        assert f"बुकिंग नंबर {reference} वाले मरीज़ की " in text and "हाज़िरी लग गई है, टोकन " in text
        assert "पूरी हो चुकी है" not in text
    else:
        assert f"the patient of booking number {reference} checked in at " in text
