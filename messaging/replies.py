"""Citizens' SMS commands: opt-out, opt-in, HELP, CANCEL/रद्द and STATUS/स्थिति.

What a message means is read by ``messaging.keywords``: Twilio's opt-out words (STOP,
END, QUIT, a bare CANCEL...) and their Hindi equivalents opt the number out and get the
one "stopped" reply; ``CANCEL <reference>`` cancels that booking, while a bare CANCEL is
an opt-out, as Twilio's own filtering treats it (the reasons are in that module).

Replies are outbox rows, not TwiML ``<Message>``: they then take the same road as every
other SMS (DLT templates, delivery status, retries, opt-out rules, the demo inbox and the
console's view of failures), and a row's ``dedupe_key`` of ``sms-reply:<MessageSid>``
plus the ``inbound_sms`` record make a webhook delivered twice act and reply once.
Everything here can also be done by calling the IVR: Indian routes may drop inbound SMS.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking_core.appointments import (
    Appointment,
    AppointmentStatus,
    BookingRules,
    Channel,
    TooLateToCancel,
    cancel_appointment,
    find_appointment,
    message_params,
)
from booking_core.base import Conflict, DomainError, unit_of_work, utcnow
from booking_core.citizens import find_citizen, set_sms_opt_out
from booking_core.ehealth import card_appointments, find_card
from booking_core.opd_board import progress
from booking_core.opd_day import local_today
from booking_core.outbox import add_sms
from booking_core.phones import last_digits, mask_phone, try_normalise_mobile
from booking_core.quiet_hours import NO_QUIET_HOURS
from booking_core.refs import RefKind, is_valid_card_number, reference_kind, spaced_card_number
from grievances.services import find_grievance
from locales import render
from locales.formatting import sms_date
from messaging.keywords import Command, parse_command
from messaging.models import InboundSms

log = logging.getLogger(__name__)

DEVANAGARI = re.compile(r"[\u0900-\u097F]")
# A card's upcoming appointments answered by ``STATUS <card>``: one SMS each, at most.
CARD_STATUS_TEXTS = 3


@dataclass(frozen=True)
class Reply:
    template: str
    params: dict[str, Any]
    # Further texts of the same answer (a card's appointments, one SMS each).
    more: tuple[Reply, ...] = ()


def handle_inbound(
    session: Session, *, message_sid: str, from_phone: str, body: str, tz: str,
    helpline_number: str, quiet_hours: str = NO_QUIET_HOURS,
) -> str:
    """Act on one incoming SMS and queue its reply; returns the command name. A
    MessageSid seen before does nothing (Twilio may deliver a webhook twice).
    ``quiet_hours`` (``SMS_QUIET_HOURS``): a seat a CANCEL frees at night is offered to
    the waiting list when they end (``booking_core.waiting_list.offer_freed_seat``)."""
    if session.scalar(select(InboundSms.id).where(InboundSms.message_sid == message_sid)):
        return "duplicate"
    command = parse_command(body)
    citizen = find_citizen(session, from_phone)
    lang = reply_language(citizen.preferred_language if citizen else None, command, body)
    session.rollback()  # end the read before the services open their transactions
    reply = _run(session, command, from_phone, lang, tz, helpline_number, quiet_hours)
    try:
        with unit_of_work(session):
            row = None
            if reply is not None:
                row = add_sms(session, from_phone, reply.template, lang, reply.params,
                              dedupe_key=f"sms-reply:{message_sid}")
                for number, further in enumerate(reply.more, 2):
                    add_sms(session, from_phone, further.template, lang, further.params,
                            dedupe_key=f"sms-reply:{message_sid}:{number}")
            session.add(InboundSms(message_sid=message_sid, from_phone=from_phone,
                                   command=command.name, reply_outbox_id=row and row.id))
    except IntegrityError:  # the same SID handled concurrently: one reply is queued
        return "duplicate"
    log.info("sms %s from %s: %s", message_sid, mask_phone(from_phone), command.name)
    return command.name


def reply_language(known: str | None, command: Command, body: str) -> str:
    """The citizen's language on record; else the language of the keyword they used
    ("band karo" is Hindi in Roman letters); else Hindi for any Devanagari."""
    if known:
        return known
    if command.language:
        return command.language
    return "hi" if DEVANAGARI.search(body or "") else "en"


def _run(session: Session, command: Command, phone: str, lang: str, tz: str,
         number: str, quiet_hours: str = NO_QUIET_HOURS) -> Reply | None:
    if command.name == "stop":
        _set_opt_out(session, phone, True)
        return Reply("reply_stopped", {})
    if command.name == "start":
        _set_opt_out(session, phone, False)
        return Reply("reply_started", {})
    if command.name == "status" and is_valid_card_number(command.reference):
        try:
            return _card_status(session, command.reference, phone, lang, tz)
        except DomainError:
            return Reply("reply_unknown_card", {"card": spaced_card_number(command.reference)})
        finally:
            session.rollback()
    if command.name in ("cancel", "status"):
        kind = reference_kind(command.reference)
        try:
            if kind is RefKind.APPOINTMENT and command.name == "cancel":
                return _cancel(session, command.reference, phone, lang,
                               BookingRules(tz=tz, quiet_hours=quiet_hours))
            if kind is RefKind.APPOINTMENT:
                return _appointment_status(session, command.reference, phone, lang, tz)
            if kind is RefKind.GRIEVANCE and command.name == "cancel":
                find_grievance(session, command.reference, phone)
                return Reply("reply_cancel_appointments_only", {"reference": command.reference})
            if kind is RefKind.GRIEVANCE:
                return _grievance_status(session, command.reference, phone, lang, tz)
        except DomainError:
            pass
        finally:
            session.rollback()
        # CANCEL is for bookings only: its "not found" names no complaint.
        unknown = "reply_unknown_booking" if command.name == "cancel" else (
            "reply_unknown_reference")
        return Reply(unknown, {"reference": command.reference[:12]})
    if not number:  # no phone number of ours to name (an SMS sender id is not one)
        return Reply("reply_help_no_number", {})
    return Reply("reply_help", {"number": number})


def _set_opt_out(session: Session, phone: str, opted_out: bool) -> None:
    """The opt-out/opt-in rule: a flag on the citizen; ``messaging.rules`` reads it."""
    with unit_of_work(session):
        set_sms_opt_out(session, phone, opted_out)


# Why a booking found on the sender's mobile cannot be cancelled, by its status: the
# citizen is told so in a whole sentence, never "no such booking" (STATUS finds it).
NOT_CANCELLABLE = {
    AppointmentStatus.CANCELLED: "reply_already_cancelled",
    AppointmentStatus.OPD_CLOSED: "reply_already_cancelled",
    AppointmentStatus.ATTENDED: "reply_already_checked_in",
    AppointmentStatus.NO_SHOW: "reply_too_late_to_cancel",
}


def _cancel(session: Session, reference: str, phone: str, lang: str, rules: BookingRules
            ) -> Reply | None:
    """CANCEL <booking number> from the patient's mobile or the one that booked it.
    The patient's cancellation SMS is the reply to the patient, in the language every
    reply to them uses (``lang``); the phone that booked it for them is told in a
    sentence of its own that the patient has been told."""
    appointment = find_appointment(session, reference, phone)
    if appointment.status in NOT_CANCELLABLE:
        return Reply(NOT_CANCELLABLE[appointment.status], {"reference": reference})
    patient = appointment.citizen.phone
    own = patient == try_normalise_mobile(phone)
    try:
        cancel_appointment(session, reference, channel=Channel.SMS, phone=phone,
                           actor="sms", language=lang if own else None, rules=rules)
    except TooLateToCancel:
        return Reply("reply_too_late_to_cancel", {"reference": reference})
    except Conflict:  # its status changed since we read it (checked in at the counter)
        session.rollback()
        status = find_appointment(session, reference, phone).status
        if status not in NOT_CANCELLABLE:
            raise
        return Reply(NOT_CANCELLABLE[status], {"reference": reference})
    if own:
        return None  # the cancellation SMS the booking core queues is the reply
    return Reply("reply_cancelled_for_patient",
                 {"reference": reference, "last": last_digits(patient)})


def _appointment_status(session: Session, reference: str, phone: str, lang: str,
                        tz: str) -> Reply:
    return _status_reply(session, find_appointment(session, reference, phone), lang, tz)


# STATUS <booking number>: one whole sentence per status, each saying what it needs of
# the visit (a status word dropped into one frame read «बुकिंग नंबर … की हाज़िरी लग
# चुकी है» and "is checked in at the OPD counter: ..., token ...").
STATUS_REPLY = {
    AppointmentStatus.BOOKED: "reply_appointment_status_booked",
    AppointmentStatus.CANCELLED: "reply_appointment_status_cancelled",
    AppointmentStatus.OPD_CLOSED: "reply_appointment_status_opd_closed",
    AppointmentStatus.ATTENDED: "reply_appointment_status_attended",
    AppointmentStatus.NO_SHOW: "reply_appointment_status_no_show",
}

# On the visit day, a token the queue passed is told what happened and what to do at
# the counter (``opd_board.progress``: not checked in, or called and skipped).
QUEUE_PASSED = {False: "reply_opd_passed", True: "reply_opd_skipped"}


def _status_reply(session: Session, appointment: Appointment, lang: str, tz: str) -> Reply:
    params = message_params(appointment, lang, tz)
    if (appointment.status in (AppointmentStatus.BOOKED, AppointmentStatus.ATTENDED)
            and appointment.visit_day == local_today(utcnow(), tz)):
        where = progress(session, appointment)
        if where.passed:
            return Reply(QUEUE_PASSED[where.skipped], {
                "hospital": params["hospital"], "department": params["department"],
                "token": where.token})
    return Reply(STATUS_REPLY[appointment.status], {
        "reference": appointment.reference, "hospital": params["hospital"],
        "department": params["department"], "date": params["date"],
        "time": params["time"], "token": params["token"]})


def _card_status(session: Session, number: str, phone: str, lang: str, tz: str) -> Reply:
    """``STATUS <card number>`` from the card's own mobile: the card's upcoming
    appointments, one text each (at most ``CARD_STATUS_TEXTS``, soonest first), in the
    templates of ``STATUS <booking number>`` (``STATUS_REPLY``)."""
    card = find_card(session, number, phone)
    upcoming = card_appointments(session, card)
    if not upcoming:
        return Reply("reply_card_no_appointments", {"card": spaced_card_number(card.number)})
    texts = [_status_reply(session, appointment, lang, tz)
             for appointment in upcoming[:CARD_STATUS_TEXTS]]
    return Reply(texts[0].template, texts[0].params, more=tuple(texts[1:]))


def _grievance_status(session: Session, reference: str, phone: str, lang: str,
                      tz: str) -> Reply:
    grievance = find_grievance(session, reference, phone)
    status = render(lang, f"messaging.grievance_status.{grievance.shown_status}")
    zone = ZoneInfo(tz)
    # An old complaint's last change says its year (``sms_date``).
    updated = sms_date(lang, grievance.updated_at.astimezone(zone).date(),
                       today=utcnow().astimezone(zone).date())
    return Reply("reply_grievance_status",
                 {"reference": reference, "status": status, "date": updated})
