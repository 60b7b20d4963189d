"""eHealth cards: one number per person, the identity a citizen gives on every channel.

The rules live here:
- a card number is eleven digits with a Damm check digit (``booking_core.refs``): typed
  on a keypad, read out digit by digit, never mistaken for a booking or grievance
  reference;
- a card is issued once per *person*, not per phone: a family shares one mobile, so a
  person is the verified mobile, the name (spaces and case ignored) and the year of
  birth. Sex is recorded when given but is not part of who the person is (one typed
  without it and later with it is the same person). Issuing again for the same person,
  from any channel and concurrently too, returns the card already issued: one
  ``INSERT ... ON CONFLICT DO NOTHING`` on that key, never read-then-write;
- an ABHA number (14 digits) may be linked to a card, once: an ABHA already on another
  card is refused;
- the holder's name is letters of any script with spaces, dots, apostrophes and
  hyphens, at most ``NAME_MAX`` characters (``booking_core.person_names``): a name with
  digits or signs, or a longer one, is refused with its reason, never cut short;
- a card carries no medical data: medical records stay in the hospital information
  system (``docs/ARCHITECTURE.md``).
"""

from __future__ import annotations

import datetime as dt
import enum
import unicodedata
from dataclasses import dataclass

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from booking_core.appointments import (
    Appointment,
    AppointmentStatus,
    BookingRules,
    Channel,
    book_appointment,
)
from booking_core.base import (
    Base,
    Conflict,
    FieldRefusals,
    InvalidInput,
    NotFound,
    UTCDateTime,
    enum_column,
    unit_of_work,
    utcnow,
)
from booking_core.citizens import Citizen, get_or_create_citizen, normalise_abha
from booking_core.citizens import validate_year_of_birth as _check_year
from booking_core.person_names import NAME_MAX, clean_person_name
from booking_core.phones import normalise_mobile
from booking_core.refs import (
    CardNumberProblem,
    card_number_problem,
    new_card_number,
    normalise_reference,
)
from booking_core.slots import Slot


class Sex(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class CardIssuer(enum.StrEnum):
    """Where a card was issued: the portal (after the mobile's one-time code), an agent
    in the console, or a hospital's registration counter (through the API)."""

    PORTAL = "portal"
    AGENT = "agent"
    COUNTER = "counter"


class InvalidCardNumber(InvalidInput):
    """Not an eHealth card number. ``details["reason"]`` says which slip, for a sentence
    of its own (``refs.CardNumberProblem``: ``not_digits``, ``too_short``, ``too_long``,
    ``first_digit``, ``check_digit``) and ``details["digits"]`` how many digits were
    typed ("a card number has 11 digits; you typed 9")."""

    code = "invalid_card_number"


# The developer's words for each slip (the API's ``message``); people read their own
# language's sentence for ``reason``.
_SLIP_MESSAGES = {
    CardNumberProblem.NOT_DIGITS: "an eHealth card number is digits only (spaces and "
                                  "hyphens allowed)",
    CardNumberProblem.TOO_SHORT: "an eHealth card number has 11 digits; {digits} given",
    CardNumberProblem.TOO_LONG: "an eHealth card number has 11 digits; {digits} given",
    CardNumberProblem.FIRST_DIGIT: "an eHealth card number starts with 5",
    CardNumberProblem.CHECK_DIGIT: "the eHealth card number's check digit does not match: "
                                   "a digit mistyped or two swapped",
}


def check_card_number(number: str) -> str:
    """``number`` as typed (spaces, hyphens, any script's digits) as the card number's
    eleven ASCII digits, else ``InvalidCardNumber`` saying which slip it is, so that
    every channel tells a number typed short from one with a digit wrong."""
    problem = card_number_problem(number)
    if problem is not None:
        reason, digits = problem
        raise InvalidCardNumber(_SLIP_MESSAGES[reason].format(digits=digits),
                                field="card_number", reason=reason.value, digits=digits)
    return normalise_reference(number)


class AbhaOnAnotherCard(Conflict):
    code = "abha_on_another_card"


class EHealthCard(Base):
    __tablename__ = "ehealth_card"
    __table_args__ = (
        UniqueConstraint("citizen_id", "name_key", "year_of_birth",
                         name="uq_ehealth_card_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(11), unique=True)
    # The verified mobile the card was issued to (shared by a family).
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id"))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    name_key: Mapped[str] = mapped_column(String(NAME_MAX))
    year_of_birth: Mapped[int]
    sex: Mapped[Sex | None] = mapped_column(enum_column(Sex, 8))
    abha_number: Mapped[str | None] = mapped_column(String(14), unique=True)
    issued_via: Mapped[CardIssuer] = mapped_column(enum_column(CardIssuer, 8))
    issued_by: Mapped[str | None] = mapped_column(String(80))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    citizen: Mapped[Citizen] = relationship()

    @property
    def phone(self) -> str:
        return self.citizen.phone


def name_key(name: str) -> str:
    """The name as it identifies a person: NFC, case-folded, one space between words
    ("Asha  devi" and "ASHA DEVI" are one person)."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())[:NAME_MAX]


def _year(year: object) -> int:
    if isinstance(year, bool) or not isinstance(year, int):
        raise InvalidInput("give the year of birth", field="year_of_birth")
    checked = _check_year(year)
    assert checked is not None
    return checked


@dataclass(frozen=True)
class CardPerson:
    """A card holder's details as checked and tidied by ``check_card_person``."""

    name: str
    year_of_birth: int
    sex: Sex | None
    abha_number: str | None


def _sex(sex: Sex | str | None) -> Sex | None:
    try:
        return Sex(sex) if sex else None
    except ValueError as exc:
        raise InvalidInput("sex is female, male or other", field="sex") from exc


def check_card_person(*, name: str, year_of_birth: int | None, sex: Sex | str | None = None,
                      abha_number: str | None = None) -> CardPerson:
    """The person's details for a card, each field checked on its own so that every fault
    is reported at once: ``FieldErrors`` (``booking_core.base``) when more than one field
    is refused, else that field's own error (see ``issue_card``). A form may call it
    before the mobile is verified, to say everything wrong in one answer."""
    refusals = FieldRefusals()
    clean = refusals.check("name", clean_person_name, name)
    year = refusals.check("year_of_birth", _year, year_of_birth)
    sex_value = refusals.check("sex", _sex, sex)
    abha = refusals.check("abha_number", normalise_abha, abha_number)
    refusals.raise_any()
    assert clean is not None and year is not None
    return CardPerson(clean, year, sex_value, abha)


@dataclass(frozen=True)
class IssuedCard:
    card: EHealthCard
    new: bool  # False: this person already held the card


def issue_card(
    session: Session,
    *,
    phone: str,
    name: str,
    year_of_birth: int | None,
    sex: Sex | str | None = None,
    abha_number: str | None = None,
    via: CardIssuer,
    actor: str | None = None,
) -> IssuedCard:
    """The eHealth card of the person (``phone``, ``name``, ``year_of_birth``), issued
    now unless that person already holds one, which is then returned unchanged except
    that a sex or an ABHA number given now fills in one not recorded yet.

    ``phone`` must already be verified by the caller of this function (the portal's
    one-time code, an agent or a counter clerk who saw the person). The name is checked
    and tidied by ``booking_core.person_names.clean_person_name``, never cut short.
    Raises ``InvalidName``, ``NameTooLong``, ``InvalidInput`` (no year (None), sex),
    ``YearOutOfRange`` (a year no living person was born in), ``InvalidAbha``, or
    ``FieldErrors`` holding several of these (``check_card_person``: every field is
    checked before any is refused); then ``AbhaOnAnotherCard``.
    """
    e164 = normalise_mobile(phone)
    person = check_card_person(name=name, year_of_birth=year_of_birth, sex=sex,
                               abha_number=abha_number)
    clean, year, sex_value, abha = (person.name, person.year_of_birth, person.sex,
                                    person.abha_number)
    key = name_key(clean)
    with unit_of_work(session):
        citizen = get_or_create_citizen(session, e164)
        insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
                  else sqlite.insert)
        card, new = None, False
        for _ in range(20):  # a clash of random numbers: draw again (never in practice)
            inserted = session.execute(
                insert(EHealthCard).values(
                    number=new_card_number(), citizen_id=citizen.id, name=clean,
                    name_key=key, year_of_birth=year, sex=sex_value, issued_via=via,
                    issued_by=actor, issued_at=utcnow())
                # Any unique key: the person's (issued before, or by a concurrent
                # request) or the number's. Not caught as an IntegrityError: that would
                # write the person's key to PostgreSQL's log.
                .on_conflict_do_nothing()
                .returning(EHealthCard.id)
            ).scalar_one_or_none()
            new = inserted is not None
            card = session.scalar(select(EHealthCard).where(
                EHealthCard.citizen_id == citizen.id, EHealthCard.name_key == key,
                EHealthCard.year_of_birth == year))
            if card is not None:
                break
        if card is None:
            raise Conflict("could not allocate a card number")
        if sex_value and card.sex is None:
            card.sex = sex_value
        if abha and card.abha_number != abha:
            _link_abha(session, card, abha)
    return IssuedCard(card, new)


def _link_abha(session: Session, card: EHealthCard, abha: str) -> None:
    holder = session.scalar(select(EHealthCard.id).where(EHealthCard.abha_number == abha))
    if holder is not None and holder != card.id:
        raise AbhaOnAnotherCard("that ABHA number is linked to another card",
                                field="abha_number")
    if card.abha_number is not None:
        raise Conflict("this card already has an ABHA number linked", field="abha_number")
    card.abha_number = abha
    session.flush()


def link_abha(session: Session, number: str, abha_number: str) -> EHealthCard:
    """Link an ABHA number (14 digits, dashes optional) to the card ``number``. Linking
    the same ABHA again is harmless; an ABHA on another card, or a second ABHA on this
    card, is refused."""
    abha = normalise_abha(abha_number)
    if abha is None:
        raise InvalidInput("give the ABHA number", field="abha_number")
    with unit_of_work(session):
        card = find_card(session, number)
        if card.abha_number != abha:
            _link_abha(session, card, abha)
    return card


def find_card(session: Session, number: str, phone: str | None = None) -> EHealthCard:
    """The card with ``number`` (spaces and dashes ignored). With ``phone``, only if it
    was issued to that mobile: the portal and SMS never show someone else's card.
    Raises ``InvalidCardNumber`` (a typing slip, and which: ``check_card_number``) or
    ``NotFound``."""
    digits = check_card_number(number)
    card = session.scalar(select(EHealthCard).where(EHealthCard.number == digits))
    if card is None or (phone is not None and card.citizen.phone != normalise_mobile(phone)):
        raise NotFound("no eHealth card with that number", entity="ehealth_card")
    return card


def cards_for_phone(session: Session, phone: str) -> list[EHealthCard]:
    """The cards issued to this mobile (a family's), oldest first."""
    e164 = normalise_mobile(phone)
    return list(session.scalars(
        select(EHealthCard).join(Citizen, Citizen.id == EHealthCard.citizen_id)
        .where(Citizen.phone == e164).order_by(EHealthCard.id)))


def card_appointments(
    session: Session, card: EHealthCard, now: dt.datetime | None = None
) -> list[Appointment]:
    """This card's active appointments still to come, soonest first: exactly those
    booked with the card, not every appointment of the shared mobile."""
    now = now or utcnow()
    return list(session.scalars(
        select(Appointment).join(Slot, Slot.id == Appointment.slot_id)
        .where(Appointment.ehealth_card_id == card.id,
               Appointment.status == AppointmentStatus.BOOKED, Slot.ends_at > now)
        .order_by(Slot.starts_at)))


def book_with_card(
    session: Session,
    *,
    card_number: str,
    slot_id: int,
    channel: Channel,
    language: str = "hi",
    booked_by_phone: str | None = None,
    actor: str | None = None,
    rules: BookingRules | None = None,
    now: dt.datetime | None = None,
    idempotency_key: str | None = None,
    requested_by: str = "",
    within_hospital: int | None = None,
) -> Appointment:
    """Book ``slot_id`` for the card holder: the appointment is linked to the card, in
    the holder's name (and ABHA, if linked), and its SMS go to the card's mobile.
    ``booked_by_phone`` is the number that asked, when it is not the card's (then the
    card's mobile is told who booked). Same rules and errors as ``book_appointment``,
    plus ``InvalidCardNumber`` and ``NotFound``."""
    card = find_card(session, card_number)
    phone, name, abha, card_id = card.citizen.phone, card.name, card.abha_number, card.id
    if booked_by_phone and normalise_mobile(booked_by_phone) == phone:
        booked_by_phone = None
    return book_appointment(
        session, slot_id=slot_id, phone=phone, channel=channel, language=language,
        patient_name=name, abha_number=abha, booked_by_phone=booked_by_phone, actor=actor,
        rules=rules, now=now, idempotency_key=idempotency_key, requested_by=requested_by,
        abha_of_phone_owner=False, ehealth_card_id=card_id, within_hospital=within_hospital,
    )
