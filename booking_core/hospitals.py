"""Hospitals and their OPD departments, with the names callers say."""

from __future__ import annotations

import datetime as dt
import enum
import unicodedata
from collections.abc import Iterable

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, select, true
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from booking_core.base import Base, NotFound, UTCDateTime, enum_column, fit_words, utcnow
from booking_core.spoken_names import fold_name, match_spoken_name


class Ownership(enum.StrEnum):
    """Who runs a hospital: Delhi's government hospitals came first; private hospitals
    join the helpline in phases."""

    GOVERNMENT = "government"
    PRIVATE = "private"


# Delhi's revenue districts, English and Hindi: the phone line's district menu reads them.
DELHI_DISTRICTS: dict[str, str] = {
    "Central": "मध्य", "East": "पूर्वी", "New Delhi": "नई दिल्ली", "North": "उत्तरी",
    "North East": "उत्तर पूर्वी", "North West": "उत्तर पश्चिमी", "Shahdara": "शाहदरा",
    "South": "दक्षिणी", "South East": "दक्षिण पूर्वी", "South West": "दक्षिण पश्चिमी",
    "West": "पश्चिमी",
}

# The districts named by a direction, which Delhi says with the city's name: «मध्य
# दिल्ली», "North West Delhi" (New Delhi and Shahdara are said as they are).
SAID_WITH_DELHI = frozenset(DELHI_DISTRICTS) - {"New Delhi", "Shahdara"}


def district_as_said(en: str, hi: str | None, lang: str) -> str:
    """A district's name as a caller hears it in ``lang``: «मध्य दिल्ली» for the stored
    «मध्य», "Central Delhi" for "Central"; a district of another name as stored (the
    English name where the Hindi one is missing)."""
    hindi = lang == "hi" and bool(hi)
    name = hi if hindi and hi else en
    if en not in SAID_WITH_DELHI:
        return name
    return f"{name} दिल्ली" if hindi else f"{name} Delhi"



class Hospital(Base):
    __tablename__ = "hospital"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_hi: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(60), index=True)
    district_hi: Mapped[str] = mapped_column(String(60), default="")
    # Short names (at most 30 characters, DLT's limit for an SMS variable).
    short_en: Mapped[str] = mapped_column(String(30), default="")
    short_hi: Mapped[str] = mapped_column(String(30), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    # Other names callers use: "LNJP", "इरविन अस्पताल".
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    ownership: Mapped[Ownership] = mapped_column(
        enum_column(Ownership, 12), default=Ownership.GOVERNMENT,
        server_default=Ownership.GOVERNMENT.value)
    # An inactive hospital is offered nowhere (phone line, portal); its records stay.
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    departments: Mapped[list[Department]] = relationship(
        back_populates="hospital", order_by="Department.position"
    )

    def name(self, lang: str) -> str:
        return self.name_hi if lang == "hi" else self.name_en

    def short_name(self, lang: str) -> str:
        """The name the phone line, SMS and console use ("LNJP Hospital"): shorter to
        say and to text. A citizen's page names a hospital in full, always through
        ``portal_web.i18n.hospital_name``."""
        short = self.short_hi if lang == "hi" else self.short_en
        return fit_words(short or self.name(lang))

    def district_name(self, lang: str) -> str:
        """The district as people read and say it («मध्य दिल्ली», "Central Delhi")."""
        return district_as_said(self.district, self.district_hi, lang)


class Department(Base):
    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("hospital_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospital.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name_en: Mapped[str] = mapped_column(String(120))
    name_hi: Mapped[str] = mapped_column(String(120))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)

    hospital: Mapped[Hospital] = relationship(back_populates="departments")

    def name(self, lang: str) -> str:
        return self.name_hi if lang == "hi" else self.name_en


def list_hospitals(session: Session, district: str | None = None, *,
                   active_only: bool = False) -> list[Hospital]:
    """Hospitals by English name; ``active_only`` for what citizens are offered."""
    query = select(Hospital).order_by(Hospital.name_en)
    if active_only:
        query = query.where(Hospital.active.is_(True))
    if district:
        query = query.where(Hospital.district == district)
    return list(session.scalars(query))


def in_name_order(hospitals: Iterable[Hospital], lang: str, *,
                  short: bool = False) -> list[Hospital]:
    """``hospitals`` in the order of the names a list shows them by, in ``lang``: a
    Hindi page lists «अरुणा आसफ़ अली अस्पताल», «दीन दयाल उपाध्याय अस्पताल», «भगवान
    महावीर अस्पताल» as a Hindi reader looks for them, where the English names' order
    would give Aruna, Bhagwan, Deen. ``short`` for a list that shows ``short_name``
    (the console's pickers); every hospital list a person reads is ordered here.

    Devanagari's code points follow the varnamala (vowels, then क to ह; a consonant's
    anusvara, vowel signs and conjuncts after it, in a dictionary's order), so the
    NFC-normalised, case-folded names compare as Hindi collation does: no ICU needed."""

    def shown(hospital: Hospital) -> tuple[str, int]:
        name = hospital.short_name(lang) if short else hospital.name(lang)
        return collation_key(name), hospital.id

    return sorted(hospitals, key=shown)


def collation_key(name: str) -> str:
    """What a list a person reads sorts ``name`` by, English or Hindi (see
    ``in_name_order``)."""
    return unicodedata.normalize("NFC", name).casefold()


def districts_in_name_order(districts: Iterable[tuple[str, str]],
                            lang: str) -> list[tuple[str, str]]:
    """(English, Hindi) district names in the order of the names a list shows, in
    ``lang``: «उत्तरी», «दक्षिणी», «पूर्वी» on a Hindi page (the Hindi name, the English
    one where a district has none), North, South, East's order on an English one."""
    def shown(district: tuple[str, str]) -> tuple[str, str]:
        en, hi = district
        return collation_key(hi if lang == "hi" and hi else en), en

    return sorted(districts, key=shown)


def list_districts(session: Session) -> list[tuple[str, str]]:
    """(English, Hindi) district names that have an active hospital, alphabetically."""
    rows = session.execute(
        select(Hospital.district, Hospital.district_hi).where(Hospital.active.is_(True))
        .distinct().order_by(Hospital.district)
    )
    return [(en, hi) for en, hi in rows]


def get_hospital(session: Session, hospital_id_or_code: int | str) -> Hospital:
    if isinstance(hospital_id_or_code, int):
        hospital = session.get(Hospital, hospital_id_or_code)
    else:
        hospital = session.scalar(
            select(Hospital).where(Hospital.code == str(hospital_id_or_code).upper())
        )
    if hospital is None:
        raise NotFound("no such hospital", entity="hospital")
    return hospital


def list_departments(session: Session, hospital_id: int) -> list[Department]:
    return list(
        session.scalars(
            select(Department)
            .where(Department.hospital_id == hospital_id)
            .order_by(Department.position, Department.id)
        )
    )


def get_department(session: Session, hospital_id: int, department: int | str) -> Department:
    query = select(Department).where(Department.hospital_id == hospital_id)
    if isinstance(department, int):
        query = query.where(Department.id == department)
    else:
        query = query.where(Department.code == str(department).lower())
    found = session.scalar(query)
    if found is None:
        raise NotFound("no such department in this hospital", entity="department")
    return found


def find_hospitals(
    session: Session, text: str | None = None, district: str | None = None,
    lang: str = "en",
) -> list[Hospital]:
    """Hospitals whose name, short name, code or any alias contains ``text``, or
    matches it word by word (``match_spoken_name``), in either script; within
    ``district`` (its English or Hindi name) when given. Best match first, then by
    their name in ``lang`` (``in_name_order``: the language of the list they go on);
    every active hospital when both are empty (an inactive one is offered to
    nobody)."""
    hospitals = in_name_order(list_hospitals(session, active_only=True), lang)
    if district:
        wanted = fold_name(district)
        hospitals = [h for h in hospitals
                     if wanted in (fold_name(h.district), fold_name(h.district_hi))]
    typed = fold_name(text or "")
    if not typed:
        return hospitals
    names = {h.id: [h.name_en, h.name_hi, h.short_en, h.short_hi, h.code, *(h.aliases or [])]
             for h in hospitals}
    scores = dict(match_spoken_name(typed, list(names.items())))
    for hospital_id, known in names.items():
        if any(typed in fold_name(name) for name in known if name):
            scores[hospital_id] = max(scores.get(hospital_id, 0.0), 0.9)
    found = [h for h in hospitals if scores.get(h.id, 0.0) >= 0.5]
    return sorted(found, key=lambda h: -scores[h.id])
