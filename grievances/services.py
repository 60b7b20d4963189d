"""Registering grievances and telling citizens where they stand."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking_core.base import (
    FieldRefusals,
    InvalidInput,
    NotFound,
    chosen_language,
    unit_of_work,
    utcnow,
)
from booking_core.citizens import get_or_create_citizen
from booking_core.hospitals import Department, Hospital
from booking_core.idempotency import claim_key, earlier_result
from booking_core.outbox import add_sms
from booking_core.phones import normalise_mobile
from booking_core.refs import (
    RefKind,
    new_reference,
    normalise_reference,
    reference_problem,
)
from grievances.models import Grievance, GrievanceCategory, GrievanceEvent
from grievances.sla import start_clock

MAX_DESCRIPTION = 4000
# The least a written grievance says: at least this many letters, in at least this many
# words (see ``check_description``).
MIN_DESCRIPTION_LETTERS = 8
MIN_DESCRIPTION_WORDS = 2


class InvalidGrievanceReference(InvalidInput):
    code = "invalid_reference"


class DescriptionTooShort(InvalidInput):
    """A written grievance too short to act on ("a", "ok", "???"); ``details``: ``field``
    description, ``min_letters`` and ``min_words``."""

    code = "description_too_short"


def _letters(word: str) -> int:
    # Letters of any script with their marks: a Devanagari matra or virama counts, so
    # "दवाई" is four letters as it is four keystrokes; digits and signs do not.
    return sum(1 for ch in word if unicodedata.category(ch)[0] in "LM")


def check_description(description: str | None, *, recorded: bool = False) -> str:
    """The grievance's words, tidied, if a grievance officer can act on them.

    Refused (``field`` description): nothing written and no voice message
    (``InvalidInput``); more than ``MAX_DESCRIPTION`` characters (``InvalidInput``,
    ``max``); written words with fewer than ``MIN_DESCRIPTION_LETTERS`` letters or fewer
    than ``MIN_DESCRIPTION_WORDS`` words (``DescriptionTooShort``).

    Why this floor: the officer who receives the grievance must know what went wrong,
    and where, without calling the citizen back (the complaint is routed and its
    service-level clock starts at once, ``grievances.sla``). We found no published
    minimum to follow (the Government of India's CPGRAMS, the model for public
    grievance desks here, states none in its public material), so the floor is ours,
    set as low as a real complaint goes: "dirty ward", "no doctor", "डॉक्टर नहीं आए" and
    "दवाई नहीं मिली" pass; "a", "ok", "...", "!!!!" or one word alone ("dirty") do not.
    Only letters count (digits and signs say nothing alone); a voice message
    (``recorded``) needs no words at all.
    """
    text = (description or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput(f"description longer than {MAX_DESCRIPTION} characters",
                           field="description", max=MAX_DESCRIPTION)
    if not text:
        if recorded:
            return text
        # The same rule as too few words, said the same way (``reason`` names the case).
        raise InvalidInput("describe the grievance or record a message", field="description",
                           reason="no_description", min_letters=MIN_DESCRIPTION_LETTERS,
                           min_words=MIN_DESCRIPTION_WORDS)
    words = [word for word in text.split() if _letters(word)]
    if (sum(_letters(word) for word in words) < MIN_DESCRIPTION_LETTERS
            or len(words) < MIN_DESCRIPTION_WORDS):
        raise DescriptionTooShort(
            f"describe the grievance in at least {MIN_DESCRIPTION_WORDS} words "
            f"({MIN_DESCRIPTION_LETTERS} letters): what happened, and where",
            field="description", min_letters=MIN_DESCRIPTION_LETTERS,
            min_words=MIN_DESCRIPTION_WORDS)
    return text


def check_category(category: str) -> GrievanceCategory:
    try:
        return GrievanceCategory(category)
    except ValueError as exc:
        raise InvalidInput("unknown grievance category", field="category") from exc


def check_grievance(*, category: str, description: str | None, recorded: bool = False,
                    phone: str | None = None, session: Session | None = None,
                    hospital_id: int | None = None, department_id: int | None = None,
                    language: str | None = None) -> tuple[GrievanceCategory, str]:
    """The category and tidied words of a grievance, every field checked so that all
    faults are reported at once (``FieldErrors`` for several, else the one field's
    error: see ``check_category``, ``check_description``; with ``phone``, also the
    citizen's mobile, ``InvalidMobile`` under field "phone"; with ``session``, also
    that the hospital and department chosen exist, ``_check_place``; with ``language``,
    that it is one of the helpline's, ``chosen_language``).
    ``register_grievance`` calls it with all of them; a form may call it first, before
    the mobile is verified."""
    refusals = FieldRefusals()
    cat = refusals.check("category", check_category, category)
    text = refusals.check("description", check_description, description, recorded=recorded)
    if session is not None:
        refusals.check("hospital_id", _check_hospital, session, hospital_id)
        refusals.check("department_id", _check_department, session, department_id,
                       hospital_id)
    if language is not None:
        refusals.check("language", chosen_language, language)
    if phone is not None:  # last: an adapter saying one refusal says the words' first
        refusals.check("phone", normalise_mobile, phone)
    refusals.raise_any()
    assert cat is not None and text is not None
    return cat, text


def _check_hospital(session: Session, hospital_id: int | None) -> None:
    """A grievance's hospital, when one is named, exists (none: about the helpline)."""
    if hospital_id is not None and session.get(Hospital, hospital_id) is None:
        raise InvalidInput("no such hospital", field="hospital_id", reason="no_such_hospital")


def _check_department(session: Session, department_id: int | None,
                      hospital_id: int | None) -> None:
    """A grievance's department, when one is named, exists and is the hospital's."""
    if department_id is None:
        return
    dep = session.get(Department, department_id)
    if dep is None or (hospital_id is not None and dep.hospital_id != hospital_id):
        raise InvalidInput("no such department", field="department_id")


def record_event(
    session: Session, grievance: Grievance, kind: str, *, actor: str | None, channel: str,
    **details: Any,
) -> GrievanceEvent:
    event = GrievanceEvent(grievance=grievance, kind=kind, actor=actor, channel=channel,
                           details=details)
    session.add(event)
    grievance.updated_at = utcnow()
    return event


def register_grievance(
    session: Session,
    *,
    phone: str,
    category: str,
    channel: str,
    language: str = "hi",
    description: str = "",
    hospital_id: int | None = None,
    department_id: int | None = None,
    recording_sid: str | None = None,
    recording_url: str | None = None,
    recording_seconds: int | None = None,
    actor: str | None = None,
    now: dt.datetime | None = None,
    idempotency_key: str | None = None,
    requested_by: str = "",
) -> Grievance:
    """Register a grievance and queue its reference by SMS.

    A grievance needs words an officer can act on (``check_description``: a few words,
    not "a") or a voice message; a hospital is optional (a complaint about the helpline
    itself has none). Category, words, mobile, place and the citizen's language are
    checked together (``check_grievance``).
    With ``idempotency_key`` (the phone line passes the call and its recording) it is
    registered once per key: a repeated request gets the grievance the first one
    registered.
    """
    cat, text = check_grievance(category=category, description=description,
                                recorded=bool(recording_sid), phone=phone, session=session,
                                hospital_id=hospital_id, department_id=department_id,
                                language=language)
    now = now or utcnow()
    try:
        return _register(session, cat, phone=phone, language=language, text=text,
                         hospital_id=hospital_id, department_id=department_id,
                         recording_sid=recording_sid, recording_url=recording_url,
                         recording_seconds=recording_seconds, channel=channel, actor=actor,
                         now=now, idempotency_key=idempotency_key, requested_by=requested_by)
    except IntegrityError:
        done = earlier_result(session, idempotency_key) if idempotency_key else None
        if not done:
            raise
        return find_grievance(session, done)


def _register(session: Session, cat: GrievanceCategory, *, phone: str, language: str,
              text: str, hospital_id: int | None, department_id: int | None,
              recording_sid: str | None, recording_url: str | None,
              recording_seconds: int | None, channel: str, actor: str | None,
              now: dt.datetime, idempotency_key: str | None, requested_by: str) -> Grievance:
    with unit_of_work(session):
        # The reference first, so the claim records it as it is made (one statement).
        reference = _unused_reference(session)
        if idempotency_key:
            claim_key(session, idempotency_key, kind="grievance", owner=requested_by,
                      result=reference)
        citizen = get_or_create_citizen(session, phone, language=language)
        grievance = Grievance(
            reference=reference,
            category=cat,
            hospital_id=hospital_id,
            department_id=department_id,
            citizen=citizen,
            description=text,
            recording_sid=recording_sid,
            recording_url=recording_url,
            recording_seconds=recording_seconds,
            language=language,
            channel=channel,
            created_at=now,
            updated_at=now,
        )
        start_clock(session, grievance, now)
        session.add(grievance)
        session.flush()
        # Registered by staff says who; otherwise the citizen registered it themself.
        registered = record_event(session, grievance, "registered", actor=actor or "citizen",
                                  channel=channel, category=cat.value)
        registered.at = grievance.updated_at = now  # the trail starts when it was made
        add_sms(session, citizen.phone, "grievance_registered", language,
                {"reference": grievance.reference},
                dedupe_key=f"grievance:{grievance.id}:registered", grievance_id=grievance.id)
    return grievance


def _unused_reference(session: Session) -> str:
    for _ in range(20):
        ref = new_reference(RefKind.GRIEVANCE)
        if session.scalar(select(Grievance.id).where(Grievance.reference == ref)) is None:
            return ref
    raise RuntimeError("could not allocate a grievance reference")


def find_grievance(session: Session, reference: str, phone: str | None = None) -> Grievance:
    """The grievance with ``reference``; with ``phone`` (as typed), only if it is that
    citizen's. A malformed reference (``InvalidGrievanceReference``, field "reference")
    and a malformed phone (``InvalidMobile``, field "mobile") are refused together
    (``FieldErrors``; one alone is raised as itself) before anything is read; a number
    that is no grievance, or not that phone's, is ``NotFound``."""
    refusals = FieldRefusals()
    ref = normalise_reference(reference)
    problem = reference_problem(ref, RefKind.GRIEVANCE)
    if problem is not None:
        refusals.refuse("reference", InvalidGrievanceReference(
            "check the complaint number", entity="grievance", field="reference",
            reason=problem))
    e164 = (refusals.check("mobile", lambda: normalise_mobile(phone, field="mobile"))
            if phone is not None else None)
    refusals.raise_any()
    grievance = session.scalar(select(Grievance).where(Grievance.reference == ref))
    if grievance is None:
        raise NotFound("no grievance with that complaint number", entity="grievance")
    if phone is not None and grievance.citizen.phone != e164:
        raise NotFound("no grievance with that complaint number", entity="grievance")
    return grievance


def grievances_for_phone(session: Session, phone: str, limit: int = 5) -> list[Grievance]:
    from booking_core.citizens import Citizen

    return list(
        session.scalars(
            select(Grievance)
            .join(Citizen, Citizen.id == Grievance.citizen_id)
            .where(Citizen.phone == normalise_mobile(phone))
            .order_by(Grievance.created_at.desc())
            .limit(limit)
        )
    )
