"""One search over everything an agent may be asked about.

A caller gives a reference, their mobile (or its last digits), their name, their
eHealth card number or their ABHA number; the agent types it into one box and sees
grievances (open and closed), appointments, callback requests, citizens and eHealth
cards, each saying what it is. Whatever tab the
agent was on, every status is searched: a closed grievance is still the one the caller
is asking about.

A hospital's own staff (``within_hospital``: ``StaffUser.grievance_hospital``) search
that hospital's grievances and appointments only, and the people who have one there;
never the helpline's callbacks.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session, joinedload

from booking_core.appointments import Appointment
from booking_core.citizens import Citizen
from booking_core.ehealth import EHealthCard
from booking_core.lookup import (
    SearchTerm,
    TermKind,
    card_holders,
    card_matches,
    citizen_matches,
    escape_like,
    phone_matches,
    read_term,
)
from booking_core.refs import RefKind
from contact_centre.models import CallbackRequest
from grievances.models import Grievance

LIMIT_PER_KIND = 20


class HitKind(enum.StrEnum):
    GRIEVANCE = "grievance"
    APPOINTMENT = "appointment"
    CALLBACK = "callback"
    CITIZEN = "citizen"
    CARD = "card"


@dataclass(frozen=True)
class SearchHit:
    kind: HitKind
    record: Any  # Grievance, Appointment, CallbackRequest, Citizen or EHealthCard
    exact: bool = False  # the reference itself, not a record of the same person


@dataclass(frozen=True)
class SearchResults:
    term: SearchTerm
    hits: list[SearchHit]

    def count(self, kind: HitKind) -> int:
        return sum(1 for hit in self.hits if hit.kind == kind)


def search_records(session: Session, raw: str | None, *, within_hospital: int | None,
                   limit: int = LIMIT_PER_KIND) -> SearchResults:
    """Everything ``raw`` names, exact reference matches first, then grievances,
    appointments, callbacks and citizens, newest first within each kind. Read only.
    ``within_hospital``: the viewer is that hospital's staff (see the module's doc)."""
    term = read_term(raw)
    if term.empty:
        return SearchResults(term, [])
    citizen_ids = select(Citizen.id).where(citizen_matches(term)).scalar_subquery()
    grievance_scope: ColumnElement[bool] = true()
    appointment_scope: ColumnElement[bool] = true()
    person_scope: ColumnElement[bool] = true()
    if within_hospital is not None:
        grievance_scope = Grievance.hospital_id == within_hospital
        appointment_scope = Appointment.hospital_id == within_hospital
        person_scope = or_(
            Citizen.id.in_(select(Grievance.citizen_id).where(grievance_scope)),
            Citizen.id.in_(select(Appointment.citizen_id).where(appointment_scope)))
    hits: list[SearchHit] = []

    by_reference: Any = false()
    if TermKind.REFERENCE in term.kinds:
        by_reference = (Grievance.reference == term.digits
                        if term.reference_kind == RefKind.GRIEVANCE
                        else Appointment.reference == term.digits)

    grievances = session.scalars(
        select(Grievance).options(joinedload(Grievance.citizen))
        .where(or_(Grievance.citizen_id.in_(citizen_ids),
                   by_reference if term.reference_kind == RefKind.GRIEVANCE else false()),
               grievance_scope)
        .order_by(Grievance.created_at.desc(), Grievance.id.desc()).limit(limit)
    ).all()
    for grievance in grievances:
        hits.append(SearchHit(HitKind.GRIEVANCE, grievance,
                              exact=grievance.reference == term.digits))

    appointment_match: list[ColumnElement[bool]] = [Appointment.citizen_id.in_(citizen_ids)]
    if term.kinds & {TermKind.PHONE, TermKind.PHONE_DIGITS}:
        appointment_match.append(phone_matches(Appointment.booked_by_phone, term))
    if TermKind.ABHA in term.kinds:
        appointment_match.append(Appointment.abha_number == term.digits)
    if term.kinds & {TermKind.CARD, TermKind.ABHA}:
        appointment_match.append(Appointment.ehealth_card_id.in_(
            select(EHealthCard.id).where(card_matches(term))))
    if TermKind.NAME in term.kinds:
        appointment_match.append(Appointment.patient_name.ilike(
            "%" + escape_like(term.name) + "%", escape="\\"))
    if term.reference_kind == RefKind.APPOINTMENT:
        appointment_match.append(by_reference)
    appointments = session.scalars(
        select(Appointment)
        .options(joinedload(Appointment.slot), joinedload(Appointment.hospital),
                 joinedload(Appointment.department), joinedload(Appointment.citizen))
        .where(or_(*appointment_match), appointment_scope)
        .order_by(Appointment.visit_day.desc(), Appointment.id.desc()).limit(limit)
    ).all()
    for appointment in appointments:
        hits.append(SearchHit(HitKind.APPOINTMENT, appointment,
                              exact=appointment.reference == term.digits))

    if term.kinds & {TermKind.PHONE, TermKind.PHONE_DIGITS} and within_hospital is None:
        callbacks = session.scalars(
            select(CallbackRequest).where(phone_matches(CallbackRequest.phone, term))
            .order_by(CallbackRequest.requested_at.desc()).limit(limit)
        ).all()
        hits.extend(SearchHit(HitKind.CALLBACK, cb) for cb in callbacks)

    citizens = session.scalars(
        select(Citizen).where(or_(citizen_matches(term), card_holders(term)), person_scope)
        .order_by(Citizen.id.desc()).limit(limit)
    ).all()
    hits.extend(SearchHit(HitKind.CITIZEN, citizen) for citizen in citizens)

    cards = session.scalars(
        select(EHealthCard).options(joinedload(EHealthCard.citizen))
        .where(card_matches(term),
               true() if within_hospital is None
               else EHealthCard.citizen_id.in_(select(Citizen.id).where(person_scope)))
        .order_by(EHealthCard.id.desc()).limit(limit)
    ).all()
    hits.extend(SearchHit(HitKind.CARD, card, exact=card.number == term.digits)
                for card in cards)
    hits.sort(key=lambda hit: not hit.exact)  # stable: the kinds keep their order
    return SearchResults(term, hits)
