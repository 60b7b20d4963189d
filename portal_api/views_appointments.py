"""Mobile verification and appointments: book, look up, cancel, reschedule."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, jsonify

from booking_core.appointments import (
    BookingRules,
    Channel,
    book_appointment,
    cancel_appointment,
    find_appointment,
    reschedule_appointment,
    upcoming_appointments,
)
from booking_core.base import utcnow
from booking_core.ehealth import book_with_card, find_card
from booking_core.phones import mask_phone, normalise_mobile
from booking_core.verification import check_code, send_code
from helpline.app import current_helpline, get_session
from portal_api import serialise
from portal_api.auth import VERIFICATION_MAX_AGE, issue_verification_token, verified_phone
from portal_api.blueprint import api
from portal_api.errors import body_field
from portal_api.parsing import json_body

log = logging.getLogger(__name__)


def booking_rules() -> BookingRules:
    """The booking window and time zone from the settings; the portal uses them too."""
    settings = current_helpline().settings
    return BookingRules(window_days=settings.booking_window_days,
                        tz=settings.helpline_timezone, quiet_hours=settings.sms_quiet_hours)


def _tz() -> str:
    return str(current_helpline().settings.helpline_timezone)


@api.post("/verifications")
def request_code() -> Any:
    """Send a one-time code by SMS to the number the citizen gave."""
    body = json_body("VerificationRequest")
    settings = current_helpline().settings
    now = utcnow()
    sent = send_code(get_session(), body["phone"], body.get("language", "hi"),
                     ttl_seconds=settings.otp_ttl_seconds,
                     per_hour=settings.otp_per_number_per_hour, now=now)
    log.info("verification code queued for %s", mask_phone(sent.phone))
    return jsonify(phone=mask_phone(sent.phone),
                   expires_at=serialise.when(sent.expires_at, _tz()),
                   expires_in_seconds=int((sent.expires_at - now).total_seconds())), 202


@api.post("/verifications/confirm")
def confirm_code() -> Any:
    """Exchange a correct code for a verification token bound to the number."""
    body = json_body("VerificationConfirm")
    phone = check_code(get_session(), body["phone"], body["code"],
                       max_attempts=current_helpline().settings.otp_max_attempts)
    token = issue_verification_token(current_app.config["SECRET_KEY"], phone)
    return jsonify(verification_token=token, phone=mask_phone(phone),
                   expires_in_seconds=VERIFICATION_MAX_AGE)


@api.post("/appointments")
def book() -> Any:
    """Book a seat for the verified number."""
    phone = verified_phone()
    body = json_body("BookingRequest")
    session = get_session()
    if body.get("ehealth_card_number"):  # one of this mobile's cards: the card's person
        with body_field("ehealth_card_number", "card_number"):
            card = find_card(session, body["ehealth_card_number"], phone)
        appointment = book_with_card(
            session, card_number=card.number, slot_id=body["slot_id"],
            channel=Channel.PORTAL, language=body.get("language", "hi"), actor="portal",
            rules=booking_rules())
    else:
        appointment = book_appointment(
            session, slot_id=body["slot_id"], phone=phone, channel=Channel.PORTAL,
            language=body.get("language", "hi"), patient_name=body.get("patient_name"),
            abha_number=body.get("abha_number"), actor="portal", rules=booking_rules(),
        )
    return jsonify(serialise.appointment(appointment, _tz())), 201


@api.get("/appointments")
def my_appointments() -> Any:
    """The verified mobile's coming appointments, as patient or as the one who booked
    them, soonest first: what a citizen could not list before."""
    phone = verified_phone()
    found = upcoming_appointments(get_session(), phone)
    return jsonify(appointments=[serialise.appointment(a, _tz()) for a in found])


@api.post("/appointments/lookup")
def look_up_appointment() -> Any:
    """An appointment by reference and the mobile that holds or booked it. A POST so
    the number never sits in a URL (access logs, browser history)."""
    body = json_body("AppointmentLookup")
    phone = normalise_mobile(body["phone"])  # a bad number is 422 whatever the reference
    appointment = find_appointment(get_session(), body["reference"], phone)
    return jsonify(serialise.appointment(appointment, _tz()))


@api.post("/appointments/<reference>/cancel")
def cancel(reference: str) -> Any:
    phone = verified_phone()
    appointment = cancel_appointment(get_session(), reference, channel=Channel.PORTAL,
                                     phone=phone, actor="portal", rules=booking_rules())
    return jsonify(serialise.appointment(appointment, _tz()))


@api.post("/appointments/<reference>/reschedule")
def reschedule(reference: str) -> Any:
    phone = verified_phone()
    body = json_body("RescheduleRequest")
    appointment = reschedule_appointment(get_session(), reference, body["slot_id"],
                                         channel=Channel.PORTAL, phone=phone, actor="portal",
                                         rules=booking_rules())
    return jsonify(serialise.appointment(appointment, _tz()))
