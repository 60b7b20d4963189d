"""An appointment the verified mobile booked for someone else (a family member's eHealth
card on the family's phone, or another mobile) is not "your appointment" on the portal:
its page, its confirmations (booked, moved, cancelled), the cancel question, the move
page and the visit day's queue sentences name the patient, or say "the patient" when no
name was given, each in a whole sentence of its own, in Hindi and English. The patient's
own mobile still reads "your"."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from booking_core.appointments import Appointment, Channel, book_appointment
from booking_core.ehealth import CardIssuer, issue_card
from booking_core.opd_board import Progress
from booking_core.refs import spaced_card_number
from locales import render
from locales.formatting import format_date, format_wait
from portal_web import views_appointments
from tests.fixtures_api import reading
from tests.opd_factories import booking_time, opd_today
from tests.test_portal_pages import E164, Portal

FAMILY = "+919876501234"  # the grandmother's card was issued to the family's phone
# The sentences that speak to the patient as "you" ("Your appointment is booked.").
OWN = ["portal.appointment.title", "portal.done.booked", "portal.done.rescheduled",
       "portal.done.cancelled", "portal.appointment.bring_papers",
       "portal.appointment.bring_early", "portal.appointment.started_no_cancel",
       "portal.cancel.question", "portal.cancel.after"]
# The move page's and the visit day's, and their words that speak to the reader as the
# patient ("Your token", "Move my appointment", «आपकी बारी»).
SPOKEN_TO = ["portal.appointment.bring_number", "portal.reschedule.confirm",
             "portal.reschedule.current_time", "portal.reschedule.own_day_full",
             *(f"portal.opd.{state}" for state in ("not_started", "serving", "wait",
                                                   "wait_soon", "called", "seen", "passed",
                                                   "skipped"))]
YOU = {"en": re.compile(r"\b(you|your|yours|my)\b", re.I), "hi": re.compile("आप|अपन|मेर")}
# Whose appointment, and the suffix of its sentences' msgids.
CASES = {"own": "", "for": "_for", "other": "_other"}


@pytest.fixture
def portal(client, session):
    return Portal(client, session)


def _own_sentences(lang: str) -> list[str]:
    """The "your appointment" sentences, their placeholders cut off, and the words of
    ``SPOKEN_TO`` between placeholders that say "you", "your" or "my"."""
    return [render(lang, key).split("{")[0].strip() or render(lang, key).split("}")[-1]
            for key in OWN] + [
        words.strip() for key in SPOKEN_TO
        for words in re.split(r"\{[^}]*\}", render(lang, key)) if YOU[lang].search(words)]


def _said_to_the_patient(text: str, lang: str) -> list[str]:
    return [s for s in _own_sentences(lang) if len(s) > 8 and s in text]


def _later(session, catalogue) -> tuple[str, str]:
    """The later time's id and day, read before any request (on SQLite a lazy load
    during a request holds the write lock the app waits for)."""
    found = (str(catalogue.later_slot.id), catalogue.later_slot.local_day.isoformat())
    session.commit()
    return found


def _move_and_cancel(portal, later, reference: str, lang: str, case: str, **names):
    """Move the appointment to the later day and cancel it, checking each page."""
    portal.get(f"/portal/appointments/{reference}/reschedule?day={later[1]}")
    portal.post(f"/portal/appointments/{reference}/reschedule", {"slot": later[0]})
    assert render(lang, f"portal.done.rescheduled_{case}", **names) in portal.text()
    portal.get(f"/portal/appointments/{reference}/cancel")
    question = portal.text()
    assert render(lang, "portal.cancel.after_other") in question
    assert not _said_to_the_patient(question, lang), _said_to_the_patient(question, lang)
    assert (names.get("patient_name") or render(lang, "portal.appointment.title_other")
            .split()[0]) in question
    portal.post(f"/portal/appointments/{reference}/cancel", {"confirm": "yes"})
    said = portal.text()
    assert render(lang, f"portal.done.cancelled_{case}", **names) in said
    assert not _said_to_the_patient(said, lang), _said_to_the_patient(said, lang)


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_family_members_card_booking_names_them_everywhere(portal, session, catalogue,
                                                             lang):
    later = _later(session, catalogue)
    card = issue_card(session, phone=FAMILY, name="Kamla Devi", year_of_birth=1950,
                      via=CardIssuer.COUNTER).card.number
    session.commit()
    portal.choose(lang)
    portal.get(f"/portal/book/review?slot={catalogue.slot.id}")
    portal.verify("/portal/book/review", {"slot": str(catalogue.slot.id)})
    portal.post("/portal/book/review", {"slot": str(catalogue.slot.id), "step": "book",
                                        "card_number": spaced_card_number(card)})
    with reading(session):
        booked = session.scalar(select(Appointment))
        assert booked.citizen.phone == FAMILY and booked.booked_by_phone == E164
        reference = booked.reference
    text = portal.text()
    assert render(lang, "portal.done.booked_for", patient_name="Kamla Devi",
                  digits="1234") in text
    assert render(lang, "portal.appointment.title_for", patient_name="Kamla Devi") in text
    assert render(lang, "portal.appointment.bring_papers_other") in text
    assert render(lang, "portal.appointment.bring_early_other") in text
    assert not _said_to_the_patient(text, lang), _said_to_the_patient(text, lang)
    assert {"en": "Your appointment", "hi": "आपका अपॉइंटमेंट"}[lang] not in text
    _move_and_cancel(portal, later, reference, lang, "for", patient_name="Kamla Devi")


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_booking_for_another_mobile_without_a_name_says_the_patient(portal, session,
                                                                     catalogue, lang):
    later = _later(session, catalogue)
    reference = book_appointment(session, slot_id=catalogue.slot.id, phone=FAMILY,
                                 channel=Channel.IVR, language=lang,
                                 booked_by_phone=E164).reference
    session.commit()
    portal.choose(lang)
    portal.get("/portal/appointments")
    portal.verify("/portal/appointments")
    portal.get(f"/portal/appointments/{reference}")
    text = portal.text()
    assert portal.status == 200
    assert render(lang, "portal.appointment.title_other") in text
    assert render(lang, "portal.appointment.bring_early_other") in text
    assert not _said_to_the_patient(text, lang), _said_to_the_patient(text, lang)
    _move_and_cancel(portal, later, reference, lang, "other")


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_patients_own_mobile_still_reads_your(portal, session, catalogue, lang):
    reference = book_appointment(session, slot_id=catalogue.slot.id, phone=E164,
                                 channel=Channel.IVR, language=lang,
                                 patient_name="Asha Devi").reference
    session.commit()
    portal.choose(lang)
    portal.get("/portal/appointments")
    portal.verify("/portal/appointments")
    portal.get(f"/portal/appointments/{reference}/cancel")
    assert render(lang, "portal.cancel.after") in portal.text()
    portal.post(f"/portal/appointments/{reference}/cancel", {"confirm": "yes"})
    assert render(lang, "portal.done.cancelled") in portal.text()
    assert render(lang, "portal.appointment.title") in portal.text()


def _booked_as(session, slot, case: str, lang: str, **kw) -> tuple[str, dict[str, str]]:
    """An appointment on ``slot`` seen by the verified mobile: the patient's own (named),
    booked by it for a named family member on the family's phone, or for another mobile
    with no name. Its reference, and the names its sentences take."""
    names = {"own": {"phone": E164, "patient_name": "Asha Devi"},
             "for": {"phone": FAMILY, "booked_by_phone": E164, "patient_name": "Kamla Devi"},
             "other": {"phone": FAMILY, "booked_by_phone": E164}}[case]
    found = book_appointment(session, slot_id=slot.id, channel=Channel.IVR, language=lang,
                             **names, **kw)
    reference = found.reference
    session.commit()
    return reference, ({"patient_name": names["patient_name"]} if case == "for" else {})


def _signed_in(portal, lang: str) -> None:
    portal.choose(lang)
    portal.get("/portal/appointments")
    portal.verify("/portal/appointments")


def _sentence(lang: str, key: str, case: str, **params) -> str:
    return render(lang, key + CASES[case], **params)


def _not_said_to_the_patient(portal, lang: str, case: str) -> None:
    if case != "own":
        said = _said_to_the_patient(portal.text(), lang)
        assert not said, said


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_move_page_speaks_of_whose_appointment_it_is(portal, session, catalogue, lang,
                                                         case):
    reference, names = _booked_as(session, catalogue.slot, case, lang)
    own_day = catalogue.slot.local_day
    _signed_in(portal, lang)
    # Its own day has no other time: the page opens on the next day, saying so.
    portal.get(f"/portal/appointments/{reference}/reschedule")
    assert _sentence(lang, "portal.reschedule.own_day_full", case,
                     day=format_date(lang, own_day), **names) in portal.text()
    move = re.findall(r'<button type="submit" class="primary">([^<]*)</button>', portal.page)
    assert [html.unescape(b) for b in move] == [
        _sentence(lang, "portal.reschedule.confirm", case, **names)]
    _not_said_to_the_patient(portal, lang, case)
    # Its own day asked for: its time shown as the one held now, not offered.
    portal.get(f"/portal/appointments/{reference}/reschedule?day={own_day.isoformat()}")
    held = re.findall(rf'value="{catalogue.slot.id}" disabled>\s*<span><strong[^>]*>[^<]+'
                      r"</strong><small>([^<]*)</small>", portal.page)
    assert [html.unescape(h) for h in held] == [
        _sentence(lang, "portal.reschedule.current_time", case, **names)]
    _not_said_to_the_patient(portal, lang, case)


# Where the appointment stands in the OPD queue, and the sentences the page says of it.
QUEUE = {
    "not_started": (dict(serving=0, ahead=1), [("not_started", {})]),
    "waiting": (dict(serving=1, ahead=2, wait_minutes=12),
                [("serving", {"serving": 1}), ("wait", {"wait": 720})]),
    "next": (dict(serving=1, ahead=0), [("serving", {"serving": 1}), ("wait_soon", {})]),
    "called": (dict(serving=2, ahead=0, called=True), [("called", {})]),
    "seen": (dict(serving=3, ahead=0, called=True, seen=True), [("seen", {})]),
    "passed": (dict(serving=3, ahead=0, passed=True), [("passed", {"serving": 3})]),
    "skipped": (dict(serving=3, ahead=0, passed=True, skipped=True), [("skipped", {})]),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_visit_days_queue_speaks_of_whose_appointment_it_is(
        portal, session, monkeypatch, lang, case):
    today = opd_today(session, capacity=10)
    reference, names = _booked_as(session, today.slots[0], case, lang,
                                  now=booking_time(today.slots[0]))
    _signed_in(portal, lang)
    token = 1
    # The real reading first (no OPD session yet: not started), on the list and the page.
    not_started = _sentence(lang, "portal.opd.not_started", case, token=token, **names)
    portal.get("/portal/appointments")
    assert not_started in portal.text()
    _not_said_to_the_patient(portal, lang, case)
    portal.get(f"/portal/appointments/{reference}")
    assert not_started in portal.text()
    assert _sentence(lang, "portal.appointment.bring_number",
                     "own" if case == "own" else "other") in portal.text()
    _not_said_to_the_patient(portal, lang, case)
    # Then each state of the queue, as ``opd_board.progress`` reads it.
    for state, (where, said) in QUEUE.items():
        def reading_of(_session, appointment, where=where):
            return Progress(**{"appointment": appointment, "token": token,
                               "wait_minutes": None, "called": False, **where})

        monkeypatch.setattr(views_appointments, "progress", reading_of)
        portal.get(f"/portal/appointments/{reference}")
        shown = re.findall(r'<section class="card" id="opd-today"[^>]*>(.*?)</section>',
                           portal.page, re.S)
        sentences = [html.unescape(p) for p in re.findall(r"<p>([^<]*)</p>", shown[0])]
        assert sentences == [
            _sentence(lang, f"portal.opd.{key}", case, token=token, **names,
                      **{k: format_wait(lang, v) if k == "wait" else v
                         for k, v in params.items()})
            for key, params in said], state
        _not_said_to_the_patient(portal, lang, case)
