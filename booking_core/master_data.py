"""Hospitals and their OPD departments as administrators keep them: validated whole,
saved in one transaction with an audit entry (``booking_core.audit``).

Input arrives as the text a person typed (the console passes its form fields as they
are); every rule about it lives here, so a bad value is refused the same way wherever
it comes from. A refusal names each field at fault and why (``InvalidFields``), and
changes nothing. Schedules, closures and holidays are in ``booking_core.opd_calendar``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking_core.audit import record_change
from booking_core.base import Forbidden, InvalidInput, NotFound, unit_of_work, whole_number
from booking_core.hospitals import DELHI_DISTRICTS, Department, Hospital, Ownership

SHORT_NAME_MAX = 30  # DLT's limit for an SMS variable; also what the phone line says
MAX_ALIASES = 20
ALIAS_MAX = 60

# Why a field was refused; each has words in both console catalogs
# (``console.md.err.<reason>``).
FIELD_REASONS = (
    "required", "too_long", "not_latin", "not_devanagari", "bad_code", "code_taken",
    "unknown_district", "bad_phone", "unknown_choice", "too_many_aliases", "bad_number",
    "bad_time", "ends_before_start", "shorter_than_slot", "overlaps", "counter_too_many",
    "past_day", "already_closed", "holiday_taken", "not_found", "name_taken",
    "department_name_taken",
)


class InvalidFields(InvalidInput):
    """One or more fields were refused: ``errors`` maps each field name to a reason from
    ``FIELD_REASONS``. Nothing was saved."""

    code = "invalid_fields"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("check the highlighted fields", errors=errors)
        self.errors = errors


@dataclass(frozen=True)
class Editor:
    """Who is changing master data: a console user's name, role and hospital."""

    username: str
    role: str
    hospital_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def may_edit_hospital_opd(editor: Editor, hospital_id: int) -> bool:
    """Departments, schedules and closures: administrators for every hospital, staff
    attached to a hospital for their own."""
    return editor.is_admin or (editor.hospital_id is not None
                               and editor.hospital_id == hospital_id)


def require_admin(editor: Editor) -> None:
    """Hospitals themselves and public holidays are for administrators only."""
    if not editor.is_admin:
        raise Forbidden("administrators only")


def require_hospital_opd(editor: Editor, hospital_id: int) -> None:
    if not may_edit_hospital_opd(editor, hospital_id):
        raise Forbidden("not your hospital")


# Reading what a person typed ----------------------------------------------------------


def _has_devanagari(text: str) -> bool:
    return any("\u0900" <= ch <= "\u097f" for ch in text)


def _has_latin(text: str) -> bool:
    return any(ch.isascii() and ch.isalpha() for ch in text)


def clean_text(raw: str | None) -> str:
    """Whitespace collapsed, NFC (Devanagari typed on different keyboards compares
    equal), control characters dropped."""
    text = unicodedata.normalize("NFC", raw or "")
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\n\t")
    return " ".join(text.split())


class FieldCheck:
    """Collects every field's problem, so a form comes back with all of them at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def fail(self, name: str, reason: str) -> None:
        self.errors.setdefault(name, reason)

    def text(self, name: str, raw: str | None, *, max_len: int, required: bool = True,
             script: str | None = None) -> str:
        value = clean_text(raw)
        if not value:
            if required:
                self.fail(name, "required")
        elif len(value) > max_len:
            self.fail(name, "too_long")
        elif script == "latin" and not _has_latin(value):
            self.fail(name, "not_latin")
        elif script == "devanagari" and not _has_devanagari(value):
            self.fail(name, "not_devanagari")
        return value[:max_len]

    def number(self, name: str, raw: str | None, low: int, high: int,
               default: int | None = None) -> int:
        if default is not None and not clean_text(raw):
            return default
        value = whole_number(clean_text(raw))
        if value is None or not low <= value <= high:
            self.fail(name, "bad_number")
            return low
        return value

    def aliases(self, name: str, raw: str | None, script: str) -> list[str]:
        """One name per line or comma; each in ``script``."""
        found = [clean_text(part) for part in re.split(r"[,\n;]", raw or "")]
        found = list(dict.fromkeys(a for a in found if a))
        if len(found) > MAX_ALIASES:
            self.fail(name, "too_many_aliases")
        for alias in found:
            if len(alias) > ALIAS_MAX:
                self.fail(name, "too_long")
            elif script == "latin" and not _has_latin(alias):
                self.fail(name, "not_latin")
            elif script == "devanagari" and not _has_devanagari(alias):
                self.fail(name, "not_devanagari")
        return found[:MAX_ALIASES]

    def done(self) -> None:
        if self.errors:
            raise InvalidFields(self.errors)


def same_name_key(name: str | None) -> str:
    """A name as a caller tells it apart: letter case, spaces and Unicode forms aside
    ("LNJP  hospital" is "LNJP Hospital")."""
    return " ".join(unicodedata.normalize("NFC", name or "").casefold().split())


def _names_taken(check: FieldCheck, values: dict[str, str], others: list[tuple[str, ...]],
                 reason: str) -> None:
    """Refuse each of ``values`` (field -> name) that another record already has in any
    of its names (``others``): the phone line offers both by name, and a caller could
    not choose between two the same ("For Orthopaedics, press 1. For Orthopaedics,
    press 2."), nor could staff in a list."""
    taken = {same_name_key(name) for names in others for name in names if name}
    for field, name in values.items():
        if name and field not in check.errors and same_name_key(name) in taken:
            check.fail(field, reason)


def split_aliases(aliases: list[str]) -> tuple[list[str], list[str]]:
    """(Latin, Devanagari) aliases, as the forms show them."""
    hindi = [a for a in aliases if _has_devanagari(a)]
    return [a for a in aliases if a not in hindi], hindi


# Hospitals ---------------------------------------------------------------------------


@dataclass
class HospitalInput:
    """A hospital form as typed."""

    code: str = ""
    name_en: str = ""
    name_hi: str = ""
    short_en: str = ""
    short_hi: str = ""
    district: str = ""
    address: str = ""
    phone: str = ""
    ownership: str = Ownership.GOVERNMENT.value
    active: bool = True
    aliases_en: str = ""
    aliases_hi: str = ""


def hospital_record(h: Hospital) -> dict[str, Any]:
    """A hospital as its audit entries show it."""
    return {"code": h.code, "name_en": h.name_en, "name_hi": h.name_hi,
            "short_en": h.short_en, "short_hi": h.short_hi, "district": h.district,
            "address": h.address, "phone": h.phone,
            "ownership": getattr(h.ownership, "value", h.ownership), "active": h.active,
            "aliases": list(h.aliases or [])}


def _landline(check: FieldCheck, raw: str) -> str:
    text = clean_text(raw)
    if not text:
        check.fail("phone", "required")
        return ""
    try:
        number = phonenumbers.parse(text, "IN") if len(text) <= 32 else None
    except NumberParseException:
        number = None
    if number is None or number.country_code != 91 or not phonenumbers.is_valid_number(number):
        check.fail("phone", "bad_phone")
        return ""
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)


def save_hospital(session: Session, form: HospitalInput, *, editor: Editor,
                  hospital_id: int | None = None) -> Hospital:
    """Create a hospital (``hospital_id`` None) or change one, from a form.

    Every field is checked: English names in Latin letters and Hindi ones in
    Devanagari, short names (what the phone line says and SMS carry) at most 30
    characters in both languages, a Delhi district, a valid Indian phone number, a code
    of 2-16 capital letters or digits not used by another hospital, and no name (either
    language, full or short) that another hospital already has (``name_taken``). Raises
    ``InvalidFields`` (nothing saved), ``Forbidden`` for anyone but an administrator,
    ``NotFound``.
    """
    require_admin(editor)
    check = FieldCheck()
    code = clean_text(form.code).upper()
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9-]{1,15}", code):
        check.fail("code", "required" if not code else "bad_code")
    values = {
        "name_en": check.text("name_en", form.name_en, max_len=200, script="latin"),
        "name_hi": check.text("name_hi", form.name_hi, max_len=200, script="devanagari"),
        "short_en": check.text("short_en", form.short_en, max_len=SHORT_NAME_MAX,
                               script="latin"),
        "short_hi": check.text("short_hi", form.short_hi, max_len=SHORT_NAME_MAX,
                               script="devanagari"),
        "address": check.text("address", form.address, max_len=300),
    }
    district = clean_text(form.district)
    if district not in DELHI_DISTRICTS:
        check.fail("district", "required" if not district else "unknown_district")
    phone = _landline(check, form.phone)
    if form.ownership not in {o.value for o in Ownership}:
        check.fail("ownership", "unknown_choice")
    aliases = [*check.aliases("aliases_en", form.aliases_en, "latin"),
               *check.aliases("aliases_hi", form.aliases_hi, "devanagari")]
    with unit_of_work(session):
        if hospital_id is None:
            hospital = Hospital(code=code)
            before = None
        else:
            found = session.get(Hospital, hospital_id, with_for_update=True)
            if found is None:
                raise NotFound("no such hospital", entity="hospital")
            hospital, before = found, hospital_record(found)
        if "code" not in check.errors and session.scalar(select(Hospital.id).where(
                Hospital.code == code, Hospital.id != (hospital_id or 0))) is not None:
            check.fail("code", "code_taken")
        _names_taken(check, {k: v for k, v in values.items() if k != "address"},
                     [tuple(row) for row in session.execute(select(
                         Hospital.name_en, Hospital.name_hi, Hospital.short_en,
                         Hospital.short_hi).where(Hospital.id != (hospital_id or 0)))],
                     "name_taken")
        check.done()
        hospital.code = code
        for name, value in values.items():
            setattr(hospital, name, value)
        hospital.district, hospital.district_hi = district, DELHI_DISTRICTS[district]
        hospital.phone = phone
        hospital.ownership = Ownership(form.ownership)
        hospital.active = bool(form.active)
        hospital.aliases = aliases
        session.add(hospital)
        session.flush()
        record_change(session, actor=editor.username, entity="hospital", key=hospital.id,
                      hospital_id=hospital.id, before=before, after=hospital_record(hospital))
    return hospital


# Departments -------------------------------------------------------------------------


@dataclass
class DepartmentInput:
    """An OPD department form as typed."""

    code: str = ""
    name_en: str = ""
    name_hi: str = ""
    aliases_en: str = ""
    aliases_hi: str = ""
    position: str = ""


def department_record(d: Department) -> dict[str, Any]:
    return {"hospital_id": d.hospital_id, "code": d.code, "name_en": d.name_en,
            "name_hi": d.name_hi, "aliases": list(d.aliases or []), "position": d.position}


def save_department(session: Session, hospital_id: int, form: DepartmentInput, *,
                    editor: Editor, department_id: int | None = None) -> Department:
    """Create or change an OPD department of ``hospital_id``, with the names callers
    say: Latin aliases ("bone", "ortho") and Devanagari ones ("हड्डी"), which the phone
    line matches against speech in either language. The code (2-32 letters, saved small,
    digits, ``-`` or ``_``) and each name are unique within the hospital
    (``department_name_taken``); a new department goes last
    unless given a position. Raises ``InvalidFields``, ``Forbidden``, ``NotFound``."""
    require_hospital_opd(editor, hospital_id)
    check = FieldCheck()
    code = clean_text(form.code).lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{1,31}", code):
        check.fail("code", "required" if not code else "bad_code")
    name_en = check.text("name_en", form.name_en, max_len=120, script="latin")
    name_hi = check.text("name_hi", form.name_hi, max_len=120, script="devanagari")
    aliases = [*check.aliases("aliases_en", form.aliases_en, "latin"),
               *check.aliases("aliases_hi", form.aliases_hi, "devanagari")]
    with unit_of_work(session):
        if session.get(Hospital, hospital_id) is None:
            raise NotFound("no such hospital", entity="hospital")
        if department_id is None:
            department = Department(hospital_id=hospital_id)
            before = None
            last = session.scalar(select(func.max(Department.position)).where(
                Department.hospital_id == hospital_id))
            default_position = 0 if last is None else last + 1
        else:
            found = session.get(Department, department_id, with_for_update=True)
            if found is None or found.hospital_id != hospital_id:
                raise NotFound("no such department in this hospital", entity="department")
            department, before = found, department_record(found)
            default_position = found.position
        position = check.number("position", form.position, 0, 999, default=default_position)
        if "code" not in check.errors and session.scalar(select(Department.id).where(
                Department.hospital_id == hospital_id, Department.code == code,
                Department.id != (department_id or 0))) is not None:
            check.fail("code", "code_taken")
        _names_taken(check, {"name_en": name_en, "name_hi": name_hi},
                     [tuple(row) for row in session.execute(select(
                         Department.name_en, Department.name_hi).where(
                         Department.hospital_id == hospital_id,
                         Department.id != (department_id or 0)))],
                     "department_name_taken")
        check.done()
        department.code, department.name_en, department.name_hi = code, name_en, name_hi
        department.aliases, department.position = aliases, position
        session.add(department)
        session.flush()
        record_change(session, actor=editor.username, entity="department", key=department.id,
                      hospital_id=hospital_id, before=before,
                      after=department_record(department))
    return department
