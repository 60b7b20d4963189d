"""Citizens, known by their mobile number."""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import ForeignKey, String, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from booking_core.base import (
    Base,
    InvalidInput,
    UTCDateTime,
    typed_digits,
    unit_of_work,
    utcnow,
)
from booking_core.person_names import optional_person_name
from booking_core.phones import normalise_mobile


class InvalidAbha(InvalidInput):
    code = "invalid_abha"


class Citizen(Base):
    __tablename__ = "citizen"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str | None] = mapped_column(String(120))
    year_of_birth: Mapped[int | None]
    abha_number: Mapped[str | None] = mapped_column(String(14), index=True)
    preferred_language: Mapped[str | None] = mapped_column(String(5))
    last_hospital_id: Mapped[int | None] = mapped_column(ForeignKey("hospital.id"))
    # Opted out of SMS (an opt-out word, or Twilio's 21610 "unsubscribed recipient"):
    # reminders are not sent (see messaging rules).
    sms_opted_out: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow
    )


def normalise_abha(raw: str | None, *, field: str = "abha_number") -> str | None:
    """14 digits, written with or without dashes (``12-3456-7890-1234``). ``field``
    names the field in the error's details.

    No public checksum is documented for ABHA numbers, so none is invented.
    """
    if raw is None or str(raw).strip() == "":
        return None
    text = typed_digits(str(raw).strip().replace("-", "").replace(" ", ""))  # not "²"
    if text is None or len(text) != 14:
        raise InvalidAbha("an ABHA number has 14 digits", field=field)
    return text


# The oldest person the helpline registers: born at most this many years ago.
OLDEST_AGE = 125


class YearOutOfRange(InvalidInput):
    """A year of birth that is a year, but not one a living person was born in
    (``details``: ``first`` and ``last``, the years allowed, for the sentence)."""

    code = "year_out_of_range"


def birth_years(today: dt.date | None = None) -> range:
    """The years of birth the helpline accepts: from ``OLDEST_AGE`` years ago to this
    year, both included."""
    year = (today or dt.date.today()).year
    return range(year - OLDEST_AGE, year + 1)


def validate_year_of_birth(year: int | None, today: dt.date | None = None) -> int | None:
    """``year`` if a living person can have been born in it. Raises ``InvalidInput``
    (``field`` year_of_birth) for no year at all and ``YearOutOfRange`` (with the first
    and last years allowed) for 1800 or next year, so the person is told which years."""
    if year is None:
        return None
    if isinstance(year, bool) or not isinstance(year, int):
        raise InvalidInput("give the year of birth", field="year_of_birth")
    allowed = birth_years(today)
    if year not in allowed:
        raise YearOutOfRange(
            f"the year of birth is between {allowed[0]} and {allowed[-1]}",
            field="year_of_birth", first=allowed[0], last=allowed[-1])
    return year


def find_citizen(session: Session, phone: str) -> Citizen | None:
    return session.scalar(select(Citizen).where(Citizen.phone == normalise_mobile(phone)))


_BY_PHONE = select(Citizen).where(Citizen.phone == bindparam("phone"))


def get_or_create_citizen(
    session: Session,
    phone: str,
    *,
    name: str | None = None,
    year_of_birth: int | None = None,
    abha_number: str | None = None,
    language: str | None = None,
) -> Citizen:
    """The citizen with this mobile, created on first contact.

    Who the mobile's owner is (``name``, ``year_of_birth``, ``abha_number``) is only
    filled in where still unknown, never replaced: these details arrive with a booking,
    and a booking is often for someone else on the same phone (a caller booking for
    their mother gives her name), so replacing would put the patient's name on the
    owner's record and lose his (search by it would find nothing). The patient's own
    details stay on the appointment. ``language`` is a preference and is updated.

    A name is checked like a card holder's (``person_names.clean_person_name``:
    refused, never cut), whether or not it is kept. Runs inside the caller's
    transaction."""
    e164 = normalise_mobile(phone)
    citizen = session.scalar(_BY_PHONE, {"phone": e164})
    if citizen is None:
        citizen = _insert_citizen(session, e164)
    identity = {
        "name": optional_person_name(name),
        "year_of_birth": validate_year_of_birth(year_of_birth),
        "abha_number": normalise_abha(abha_number) or None,
    }
    for attribute, value in identity.items():
        if value is not None and not getattr(citizen, attribute):
            setattr(citizen, attribute, value)
    # Only a language that differs is set: the flush then has nothing to look at when
    # nothing changed (the phone line's every booking).
    if language and citizen.preferred_language != language:
        citizen.preferred_language = language
    session.flush()
    return citizen


def _insert_citizen(session: Session, e164: str) -> Citizen:
    """The citizen row for ``e164``, inserted unless a concurrent transaction got there
    first. ``ON CONFLICT DO NOTHING`` rather than catching the unique violation: a
    violation is written to PostgreSQL's own log with the key, a full mobile number."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(Citizen).values(phone=e164)
                    .on_conflict_do_nothing(index_elements=[Citizen.phone]))
    return session.scalars(select(Citizen).where(Citizen.phone == e164)).one()


def set_sms_opt_out(session: Session, phone: str, opted_out: bool) -> None:
    """Record whether this mobile wants reminders, creating its citizen on first
    contact: an opt-out must hold for a number we never saw before (Twilio refuses to
    send to it with 21610, or its first SMS to us is STOP), so that reminders later
    written for it are suppressed. One upsert, so two workers or webhooks recording the
    same new number at once cannot collide on the unique phone. Runs inside the
    caller's transaction."""
    e164 = normalise_mobile(phone)
    now = utcnow()
    dialect = session.get_bind().dialect.name
    statement: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        statement = postgresql.insert(Citizen)
    elif dialect == "sqlite":
        statement = sqlite.insert(Citizen)
    else:
        get_or_create_citizen(session, e164).sms_opted_out = opted_out
        return
    session.execute(
        statement.values(phone=e164, sms_opted_out=opted_out, created_at=now, updated_at=now)
        .on_conflict_do_update(index_elements=["phone"],
                               set_={"sms_opted_out": opted_out, "updated_at": now})
    )


@functools.cache
def _language_upsert(dialect: str) -> postgresql.Insert | sqlite.Insert:
    """``remember_language``'s upsert, built once per dialect (parameters ``phone``,
    ``language``, ``now``); Core, since the phone line wants only the last hospital."""
    table = Citizen.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = bindparam("now", type_=table.c.updated_at.type)
    language = bindparam("language", type_=table.c.preferred_language.type)
    return (
        insert(table)  # type: ignore[arg-type, return-value]
        .values(phone=bindparam("phone", type_=table.c.phone.type), preferred_language=language,
                sms_opted_out=False, created_at=now, updated_at=now)
        .on_conflict_do_update(index_elements=["phone"],
                               set_={"preferred_language": language, "updated_at": now})
        .returning(table.c.last_hospital_id)
    )


_SET_LAST_HOSPITAL = (update(Citizen).where(Citizen.id == bindparam("citizen_id"))
                      .values(last_hospital_id=bindparam("hospital_id")))


def remember_hospital(session: Session, citizen: Citizen, hospital_id: int) -> None:
    """Record the hospital a citizen booked at last (the phone line offers it first), in
    the caller's transaction: one UPDATE when it changed, the loaded ``citizen`` kept in
    step."""
    if citizen.last_hospital_id == hospital_id:
        return
    session.connection().execute(_SET_LAST_HOSPITAL, {"citizen_id": citizen.id,
                                                      "hospital_id": hospital_id})
    set_committed_value(citizen, "last_hospital_id", hospital_id)


def remember_language(session: Session, phone: str, language: str) -> int:
    """Record the language a caller chose, so the next call starts in it. Returns the
    caller's last hospital (0: none yet), which the phone line offers first.

    One upsert (the citizen is created on first contact), so it is atomic by itself
    and costs the phone line's webhook one round trip."""
    e164 = normalise_mobile(phone)
    now = utcnow()
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        with unit_of_work(session):
            citizen = get_or_create_citizen(session, e164, language=language)
            return citizen.last_hospital_id or 0
    with unit_of_work(session, one_statement=True):
        last = session.connection().execute(
            _language_upsert(dialect), {"phone": e164, "language": language, "now": now}
        ).scalar()
    return last or 0
