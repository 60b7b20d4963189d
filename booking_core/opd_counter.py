"""What the OPD counter typed or scanned, and whose booking it names.

The counter's one box takes five things, told apart here and nowhere else:

- a booking number (``12345678``, spaces and dashes ignored);
- a booking QR code, ``DHHB1.<booking number>.<HMAC>`` (``opd_day.booking_code``),
  shown by the portal's appointment page;
- an eHealth card number (eleven digits, first ``5``: ``5063 7625 286`` in any
  spacing), which can never be a booking number (those have eight digits, first 1-4).
  Text whose first digit is 5 and that has more digits than a booking number, or
  letters or other signs among them, is taken as meant for a card number and checked
  as one (``ehealth.check_card_number``): a slip is refused saying which it is (a
  letter, a digit short or over, the check digit), never read as a booking number,
  and a letter is never dropped to leave eleven digits that name someone else's card;
- a patient's mobile number, in any way an Indian mobile is written (``98123 45678``,
  ``098123 45678``, ``+91 98123 45678``, ``91 9812345678``), for a patient who has lost
  the booking number: it never checks anyone in by itself. A mobile is no secret, and a
  family's one mobile books for several people, so the counter lists the appointments
  today at this hospital that it booked or that are the mobile's own (``MobileAppointments``)
  and the clerk checks in the one whose patient is at the counter by its booking number;
- an eHealth card's QR code, ``DHC1:<card number>:<year of birth>:<Ed25519
  signature>`` (``card_seal``), checked with the helpline's public key: a changed digit
  or another key's signature is refused as ``ForgedCard``, never looked up.

A card names a person, not a booking: the counter checks in the card holder's one
appointment today at this hospital (this department's first). Several of them (two
departments, or a no-show and a new booking) raise ``SeveralCardAppointments`` so the
clerk chooses; none raises ``CardHasNoAppointmentToday``. Only appointments booked with
the card count (``Appointment.ehealth_card_id``), as everywhere else a card is asked
about (``ehealth.card_appointments``): a family's shared mobile books for several
people, and its other bookings are not this person's.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_core.appointments import Appointment, AppointmentStatus
from booking_core.base import Conflict, NotFound, unit_of_work, utcnow
from booking_core.card_seal import PAYLOAD_PREFIX, ForgedCard, verify_seal
from booking_core.ehealth import check_card_number, find_card
from booking_core.opd_board import todays_appointments
from booking_core.opd_day import (
    CheckIn,
    OpdRules,
    check_in,
    local_today,
    read_booking_code,
)
from booking_core.phones import try_normalise_mobile
from booking_core.refs import (
    CARD_NUMBER_LENGTH,
    CARD_NUMBER_PREFIX,
    REFERENCE_LENGTH,
    CardNumberProblem,
    card_number_problem,
    normalise_reference,
)
from booking_core.slots import Slot


class CodeKind(enum.StrEnum):
    BOOKING = "booking"  # a booking number, typed or from its QR code
    CARD = "card"  # an eHealth card number, typed or from its QR code
    MOBILE = "mobile"  # a patient's mobile number (E.164), typed


@dataclass(frozen=True)
class CounterCode:
    kind: CodeKind
    number: str  # the booking number as typed (find_appointment checks it), the card's
    # eleven ASCII digits, or the mobile as +91XXXXXXXXXX
    year_of_birth: int | None = None  # from a card's QR code


class CardHasNoAppointmentToday(NotFound):
    """The card is genuine but its holder has no appointment today at this hospital."""

    code = "opd_card_no_appointment"


class ChooseAppointment(Conflict):
    """The counter's text names a person, not one booking: the clerk chooses from
    ``appointments`` (today's at this hospital, this department's first, then by time)
    and checks in the chosen one's booking number."""

    code = "opd_choose"

    def __init__(self, message: str, appointments: list[Appointment]) -> None:
        super().__init__(message, references=[a.reference for a in appointments])
        self.appointments = appointments


class SeveralCardAppointments(ChooseAppointment):
    """The card holder has more than one appointment today at this hospital."""

    code = "opd_card_several"

    def __init__(self, appointments: list[Appointment]) -> None:
        super().__init__("the card holder has several appointments today", appointments)


class MobileAppointments(ChooseAppointment):
    """A mobile number was typed: its appointments today at this hospital, one or more,
    for the clerk to match the patient's name against (``mobile``: E.164)."""

    code = "opd_mobile_choose"

    def __init__(self, mobile: str, appointments: list[Appointment]) -> None:
        super().__init__("the mobile's appointments today", appointments)
        self.mobile = mobile


class MobileHasNoAppointmentToday(NotFound):
    """The typed mobile booked nothing for today at this hospital, nor is it the mobile
    of a patient booked today here (``mobile``: E.164)."""

    code = "opd_mobile_no_appointment"

    def __init__(self, mobile: str) -> None:
        super().__init__("no appointment today for this mobile", entity="mobile")
        self.mobile = mobile


def read_counter_code(text: str, *, booking_key: bytes, card_key: Ed25519PublicKey
                      ) -> CounterCode:
    """Tell what the counter typed or scanned (see the module doc). Raises
    ``ForgedCode`` (a booking QR code with a wrong signature), ``ForgedCard`` (a card
    QR code the helpline did not sign) or ``InvalidCardNumber`` (text meant as a card
    number that is not one, ``details["reason"]`` saying which slip)."""
    text = (text or "").strip()
    if text.upper().startswith(PAYLOAD_PREFIX + ":"):
        sealed = verify_seal(text, card_key)
        return CounterCode(CodeKind.CARD, sealed.number, sealed.year_of_birth)
    reference = read_booking_code(text, booking_key)
    if (mobile := counter_mobile(reference)) is not None:
        return CounterCode(CodeKind.MOBILE, mobile)
    if meant_as_card_number(reference):
        return CounterCode(CodeKind.CARD, check_card_number(reference))
    return CounterCode(CodeKind.BOOKING, reference)


def counter_mobile(text: str) -> str | None:
    """The Indian mobile ``text`` is written as (E.164), or None. Never a card or a
    booking number: those have 11 digits first 5 and 8 digits, an Indian mobile 10
    digits first 6-9 (with ``0``, ``91``, ``+91`` or ``0091`` before them)."""
    return try_normalise_mobile(text)


def meant_as_card_number(text: str) -> bool:
    """Whether the counter's typed ``text`` is meant as an eHealth card number: it has
    a card number's 11 digits (whatever the first: a card number's first digit
    mistyped, or a mobile typed with its 0, is said as such), or its first digit is 5
    (no booking or complaint number starts with 5, nor does an Indian mobile) and it
    has more digits than a booking number, or something other than digits, spaces and
    hyphens among them. Whether it *is* one, and if not which slip, is
    ``check_card_number``'s to say; text not meant as one is a booking number's to
    check (eight digits, first 5: a booking number with its first digit wrong)."""
    digits = normalise_reference(text)
    if len(digits) == CARD_NUMBER_LENGTH:
        return True
    if not digits.startswith(CARD_NUMBER_PREFIX):
        return False
    problem = card_number_problem(text)
    return len(digits) > REFERENCE_LENGTH or (
        problem is not None and problem[0] is CardNumberProblem.NOT_DIGITS)


def card_appointments_today(session: Session, code: CounterCode, *, hospital_id: int,
                            department_id: int, today: dt.date) -> list[Appointment]:
    """The card holder's appointments today at this hospital that are not cancelled,
    this department's first, then by time. Raises ``InvalidCardNumber`` (a mistyped
    number), ``NotFound`` (no such card) or ``ForgedCard`` (a QR code whose year of
    birth is not the card's)."""
    card = find_card(session, code.number)
    if code.year_of_birth is not None and code.year_of_birth != card.year_of_birth:
        raise ForgedCard("the code's year of birth is not the card's", field="payload")
    found = session.scalars(
        select(Appointment).join(Slot, Slot.id == Appointment.slot_id)
        .where(Appointment.ehealth_card_id == card.id,
               Appointment.hospital_id == hospital_id,
               Appointment.visit_day == today,
               Appointment.status != AppointmentStatus.CANCELLED)
        .order_by(Slot.starts_at, Appointment.id))
    return sorted(found, key=lambda a: a.department_id != department_id)


def check_in_at_counter(
    session: Session,
    text: str,
    *,
    hospital_id: int,
    department_id: int,
    booking_key: bytes,
    card_key: Ed25519PublicKey,
    actor: str = "",
    rules: OpdRules | None = None,
    now: dt.datetime | None = None,
) -> CheckIn:
    """Check in whoever the counter's text names at ``department_id``: a booking number
    or its QR code, or an eHealth card number or its QR code (the card holder's one
    appointment today at this hospital; one in another department is refused as
    ``WrongDepartment``, naming it, like its booking number would be).

    Raises what ``opd_day.check_in`` raises, plus ``ForgedCard``, ``InvalidCardNumber``,
    ``NotFound`` (entity ``ehealth_card``), ``CardHasNoAppointmentToday`` and
    ``SeveralCardAppointments`` (the clerk picks one and checks in its booking number).
    A mobile number checks nobody in: it raises ``MobileAppointments`` (its
    appointments today at this hospital, to choose from) or
    ``MobileHasNoAppointmentToday``.
    """
    rules = rules or OpdRules()
    now = now or utcnow()
    code = read_counter_code(text, booking_key=booking_key, card_key=card_key)
    reference = code.number
    if code.kind == CodeKind.MOBILE:
        with unit_of_work(session):
            found = [a for a in todays_appointments(session, code.number, now, rules.tz)
                     if a.hospital_id == hospital_id]
        if not found:
            raise MobileHasNoAppointmentToday(code.number)
        raise MobileAppointments(code.number, sorted(
            found, key=lambda a: a.department_id != department_id))
    if code.kind == CodeKind.CARD:
        with unit_of_work(session):
            found = card_appointments_today(session, code, hospital_id=hospital_id,
                                            department_id=department_id,
                                            today=local_today(now, rules.tz))
            here = [a for a in found if a.department_id == department_id]
        if not found:
            raise CardHasNoAppointmentToday("no appointment today for this card",
                                            entity="ehealth_card")
        if len(here) > 1 or (not here and len(found) > 1):
            raise SeveralCardAppointments(found)
        reference = found[0].reference
    return check_in(session, reference, hospital_id=hospital_id, department_id=department_id,
                    key=booking_key, actor=actor, rules=rules, now=now)
