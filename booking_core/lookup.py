"""What an agent typed into a search box, and which citizens it can name.

One reading of a search term serves every list that searches (the queue's filter and
the console-wide search), so a reference, a phone number, its last digits, an ABHA
number or a name finds the same people everywhere.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, false, or_, select

from booking_core.citizens import Citizen
from booking_core.ehealth import EHealthCard
from booking_core.phones import try_normalise_mobile
from booking_core.refs import RefKind, is_valid_card_number, normalise_reference, reference_kind

MAX_TERM = 60
# Fewer trailing digits than this would match too many numbers to be of use.
MIN_PHONE_DIGITS = 4
MIN_NAME_LETTERS = 2
ABHA_DIGITS = 14


class TermKind(enum.StrEnum):
    REFERENCE = "reference"  # a valid appointment or grievance reference
    PHONE = "phone"  # a whole Indian mobile number
    PHONE_DIGITS = "phone_digits"  # the last digits of a mobile number
    ABHA = "abha"  # a 14-digit ABHA number
    CARD = "card"  # an eHealth card number (11 digits, valid check digit)
    NAME = "name"  # letters: part of a citizen's or patient's name
    NOTHING = "nothing"  # too short or nothing searchable


@dataclass(frozen=True)
class SearchTerm:
    """A search box's text, read once: which kinds of record it may name.

    Eight digits with a valid check digit are a reference, and also the last digits of
    a phone (a mobile ending in them is still worth showing); ten digits that make a
    valid Indian mobile are that mobile.
    """

    raw: str
    kinds: frozenset[TermKind]
    digits: str = ""
    phone: str | None = None
    reference_kind: RefKind | None = None
    name: str = ""

    @property
    def empty(self) -> bool:
        return TermKind.NOTHING in self.kinds


def read_term(raw: str | None) -> SearchTerm:
    text = " ".join((raw or "").split())[:MAX_TERM]
    if any(ch.isalpha() for ch in text):
        name = text.strip()
        if sum(ch.isalpha() for ch in name) >= MIN_NAME_LETTERS:
            return SearchTerm(text, frozenset({TermKind.NAME}), name=name)
        return SearchTerm(text, frozenset({TermKind.NOTHING}))
    digits = normalise_reference(text)
    kinds: set[TermKind] = set()
    phone = try_normalise_mobile(text) if len(digits) >= 10 else None
    if phone:
        kinds.add(TermKind.PHONE)
    ref_kind = reference_kind(digits) if len(digits) == 8 else None
    if ref_kind is not None:
        kinds.add(TermKind.REFERENCE)
    if len(digits) == ABHA_DIGITS:
        kinds.add(TermKind.ABHA)
    if is_valid_card_number(digits):
        kinds.add(TermKind.CARD)
    if not phone and MIN_PHONE_DIGITS <= len(digits) <= 10:
        kinds.add(TermKind.PHONE_DIGITS)
    if not kinds:
        kinds.add(TermKind.NOTHING)
    return SearchTerm(text, frozenset(kinds), digits=digits, phone=phone,
                      reference_kind=ref_kind)


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def phone_matches(column: Any, term: SearchTerm) -> ColumnElement[bool]:
    """``column`` (an E.164 phone column) is the number searched for, or ends in its
    digits."""
    if TermKind.PHONE in term.kinds and term.phone:
        return cast(ColumnElement[bool], column == term.phone)
    if TermKind.PHONE_DIGITS in term.kinds:
        return cast(ColumnElement[bool], column.like("%" + term.digits))
    return false()


def card_matches(term: SearchTerm) -> ColumnElement[bool]:
    """The eHealth cards this term names: by card number, ABHA number, holder's name, or
    the mobile they were issued to (a family's cards)."""
    conditions: list[ColumnElement[bool]] = []
    if term.kinds & {TermKind.PHONE, TermKind.PHONE_DIGITS}:
        conditions.append(EHealthCard.citizen_id.in_(
            select(Citizen.id).where(phone_matches(Citizen.phone, term))))
    if TermKind.CARD in term.kinds:
        conditions.append(EHealthCard.number == term.digits)
    if TermKind.ABHA in term.kinds:
        conditions.append(EHealthCard.abha_number == term.digits)
    if TermKind.NAME in term.kinds:
        conditions.append(EHealthCard.name.ilike("%" + escape_like(term.name) + "%",
                                                 escape="\\"))
    return or_(*conditions) if conditions else false()


def card_holders(term: SearchTerm) -> ColumnElement[bool]:
    """The citizens (mobiles) the cards this term names were issued to."""
    return Citizen.id.in_(select(EHealthCard.citizen_id).where(card_matches(term)))


def citizen_matches(term: SearchTerm) -> ColumnElement[bool]:
    """The citizens this term names: by phone (whole or last digits), ABHA or name. (A
    card number names a card, whose mobile a family shares: see ``card_holders``.)"""
    conditions: list[ColumnElement[bool]] = []
    if term.kinds & {TermKind.PHONE, TermKind.PHONE_DIGITS}:
        conditions.append(phone_matches(Citizen.phone, term))
    if TermKind.ABHA in term.kinds:
        conditions.append(Citizen.abha_number == term.digits)
    if TermKind.NAME in term.kinds:
        conditions.append(Citizen.name.ilike("%" + escape_like(term.name) + "%", escape="\\"))
    return or_(*conditions) if conditions else false()
