"""Hospital resource data: beds by type, ventilators, medicine stock, staff on duty.

Each current figure carries when it was updated and by whom (a feed token, a console
user); every update also lands in ``resource_update`` so the history is kept. Figures
older than the configured age (6 hours by default) are flagged stale.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from booking_core.base import Base, InvalidInput, UTCDateTime, unit_of_work, utcnow
from booking_core.hospitals import Hospital

# Units hospitals report medicine stock in; the console names these in both languages
# and shows any other unit a hospital's feed sends as written.
MEDICINE_UNITS = ("tablets", "capsules", "sachets", "vials", "bottles", "strips", "doses")


class BedType(enum.StrEnum):
    GENERAL = "general"
    OXYGEN = "oxygen"
    ICU = "icu"
    VENTILATOR = "ventilator"


class BedCount(Base):
    __tablename__ = "bed_count"
    __table_args__ = (UniqueConstraint("hospital_id", "bed_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospital.id"))
    bed_type: Mapped[str] = mapped_column(String(16))
    total: Mapped[int]
    occupied: Mapped[int]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(80), default="")

    @property
    def vacant(self) -> int:
        return max(0, self.total - self.occupied)


class EquipmentCount(Base):
    __tablename__ = "equipment_count"
    __table_args__ = (UniqueConstraint("hospital_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospital.id"))
    kind: Mapped[str] = mapped_column(String(32))  # "ventilator"
    total: Mapped[int]
    in_use: Mapped[int]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(80), default="")


class MedicineStock(Base):
    __tablename__ = "medicine_stock"
    __table_args__ = (UniqueConstraint("hospital_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospital.id"))
    item: Mapped[str] = mapped_column(String(120))
    quantity: Mapped[int]
    unit: Mapped[str] = mapped_column(String(24))
    reorder_level: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(80), default="")

    @property
    def below_reorder(self) -> bool:
        return self.quantity <= self.reorder_level


class StaffOnDuty(Base):
    __tablename__ = "staff_on_duty"
    __table_args__ = (UniqueConstraint("hospital_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospital.id"))
    role: Mapped[str] = mapped_column(String(40))  # doctor, nurse, specialist, ...
    on_duty: Mapped[int]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(80), default="")


class ResourceUpdate(Base):
    """The history: one row per accepted update, as it was sent."""

    __tablename__ = "resource_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospital.id"), index=True)
    source: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


STAFF_ROLES = ("doctor", "specialist", "nurse", "paramedic", "pharmacist", "technician")
MAX_COUNT = 100_000


@dataclass(frozen=True)
class BedFigures:
    hospital_id: int
    bed_type: str
    total: int
    occupied: int
    vacant: int
    updated_at: dt.datetime
    stale: bool


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise InvalidInput(f"{name} must be a whole number from 0 to {MAX_COUNT}", field=name,
                           reason="count")
    return value


def _text(value: Any, name: str, max_len: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise InvalidInput(f"{name} must be text of 1 to {max_len} characters", field=name)
    return value.strip()


def update_resources(
    session: Session,
    hospital_id: int,
    payload: dict[str, Any],
    *,
    source: str,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    """Apply a hospital's resource report; all of it or none of it.

    ``payload`` may hold any of ``beds`` ({type: {total, occupied}}), ``ventilators``
    ({total, in_use}), ``medicines`` ([{item, quantity, unit, reorder_level}]) and
    ``staff`` ({role: on_duty}). Returns how many figures of each kind were written.
    """
    now = now or utcnow()
    if not isinstance(payload, dict) or not payload:
        raise InvalidInput("an update needs beds, ventilators, medicines or staff")
    unknown = set(payload) - {"beds", "ventilators", "medicines", "staff"}
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}")
    counts = {"beds": 0, "ventilators": 0, "medicines": 0, "staff": 0}
    with unit_of_work(session):
        if session.get(Hospital, hospital_id) is None:
            raise InvalidInput("no such hospital", field="hospital")
        beds = payload.get("beds", {})
        if not isinstance(beds, dict):
            raise InvalidInput("beds must be an object keyed by bed type", field="beds")
        for bed_type, figures in beds.items():
            if bed_type not in BedType.__members__.values():
                raise InvalidInput(f"unknown bed type {bed_type!r}", field="beds")
            if not isinstance(figures, dict):
                raise InvalidInput("each bed type needs total and occupied", field="beds")
            total = _count(figures.get("total"), f"beds.{bed_type}.total")
            occupied = _count(figures.get("occupied"), f"beds.{bed_type}.occupied")
            if occupied > total:
                raise InvalidInput("occupied beds cannot exceed total", field=f"beds.{bed_type}")
            _upsert(session, BedCount, dict(hospital_id=hospital_id, bed_type=bed_type),
                    total=total, occupied=occupied, updated_at=now, source=source)
            counts["beds"] += 1
        if "ventilators" in payload:
            vent = payload["ventilators"]
            if not isinstance(vent, dict):
                raise InvalidInput("ventilators needs total and in_use", field="ventilators")
            total = _count(vent.get("total"), "ventilators.total")
            in_use = _count(vent.get("in_use"), "ventilators.in_use")
            if in_use > total:
                raise InvalidInput("ventilators in use cannot exceed total", field="ventilators")
            _upsert(session, EquipmentCount, dict(hospital_id=hospital_id, kind="ventilator"),
                    total=total, in_use=in_use, updated_at=now, source=source)
            counts["ventilators"] = 1
        medicines = payload.get("medicines", [])
        if not isinstance(medicines, list) or len(medicines) > 500:
            raise InvalidInput("medicines must be a list of at most 500 items", field="medicines")
        for med in medicines:
            if not isinstance(med, dict):
                raise InvalidInput("each medicine needs item, quantity and unit", field="medicines")
            _upsert(
                session, MedicineStock,
                dict(hospital_id=hospital_id, item=_text(med.get("item"), "item", 120)),
                quantity=_count(med.get("quantity"), "quantity"),
                unit=_text(med.get("unit"), "unit", 24),
                reorder_level=_count(med.get("reorder_level", 0), "reorder_level"),
                updated_at=now, source=source,
            )
            counts["medicines"] += 1
        staff = payload.get("staff", {})
        if not isinstance(staff, dict):
            raise InvalidInput("staff must be an object keyed by role", field="staff")
        for role, on_duty in staff.items():
            if role not in STAFF_ROLES:
                raise InvalidInput(f"unknown staff role {role!r}", field="staff")
            _upsert(session, StaffOnDuty, dict(hospital_id=hospital_id, role=role),
                    on_duty=_count(on_duty, f"staff.{role}"), updated_at=now, source=source)
            counts["staff"] += 1
        session.add(ResourceUpdate(hospital_id=hospital_id, source=source, payload=payload, at=now))
    return counts


def _upsert(session: Session, model: type[Base], key: dict[str, Any], **values: Any) -> None:
    row = session.scalar(select(model).filter_by(**key))
    if row is None:
        session.add(model(**key, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)


def vacant_beds(
    session: Session,
    *,
    hospital_id: int | None = None,
    district: str | None = None,
    stale_after: dt.timedelta = dt.timedelta(hours=6),
    now: dt.datetime | None = None,
) -> list[BedFigures]:
    """Current bed figures by hospital and type, each flagged stale when older than
    ``stale_after``."""
    now = now or utcnow()
    query = select(BedCount).join(Hospital, Hospital.id == BedCount.hospital_id)
    if hospital_id is not None:
        query = query.where(BedCount.hospital_id == hospital_id)
    if district is not None:
        query = query.where(Hospital.district == district)
    order = {t.value: i for i, t in enumerate(BedType)}
    rows = sorted(session.scalars(query), key=lambda r: (r.hospital_id, order.get(r.bed_type, 9)))
    return [
        BedFigures(r.hospital_id, r.bed_type, r.total, r.occupied, r.vacant, r.updated_at,
                   now - r.updated_at > stale_after)
        for r in rows
    ]


def hospital_resources(session: Session, hospital_id: int) -> dict[str, Any]:
    """Everything known about one hospital's resources, for the console and the API."""
    return {
        "ventilators": session.scalar(
            select(EquipmentCount).filter_by(hospital_id=hospital_id, kind="ventilator")
        ),
        "medicines": list(session.scalars(
            select(MedicineStock).filter_by(hospital_id=hospital_id).order_by(MedicineStock.item)
        )),
        "staff": list(session.scalars(
            select(StaffOnDuty).filter_by(hospital_id=hospital_id).order_by(StaffOnDuty.role)
        )),
    }


class StockLevel(enum.StrEnum):
    """What a citizen needs to know of a medicine: is it there. Quantities stay with
    the hospital and the console."""

    IN_STOCK = "in_stock"
    LOW = "low"  # at or below the hospital's reorder level
    OUT = "out"


def stock_level(quantity: int, reorder_level: int) -> StockLevel:
    if quantity <= 0:
        return StockLevel.OUT
    if quantity <= reorder_level:
        return StockLevel.LOW
    return StockLevel.IN_STOCK


@dataclass(frozen=True)
class Figure:
    """One public figure with its age: ``value`` is vacant beds, free ventilators or
    staff on duty; ``total`` the beds or ventilators there are (None for staff)."""

    kind: str  # a bed type, "ventilator", a staff role
    value: int
    total: int | None
    updated_at: dt.datetime
    stale: bool


@dataclass(frozen=True)
class MedicineFigure:
    item: str
    level: StockLevel
    updated_at: dt.datetime
    stale: bool


@dataclass(frozen=True)
class PublicResources:
    """Everything the public may see of one hospital's resources, each figure flagged
    stale when older than the configured age (``RESOURCE_STALE_HOURS``)."""

    hospital_id: int
    beds: list[Figure]
    ventilators: Figure | None
    medicines: list[MedicineFigure]
    staff: list[Figure]

    @property
    def updated_at(self) -> dt.datetime | None:
        """The newest update time of any figure, None when the hospital never reported."""
        figures = [*self.beds, *self.staff]
        if self.ventilators is not None:
            figures.append(self.ventilators)
        times = [f.updated_at for f in figures] + [m.updated_at for m in self.medicines]
        return max(times, default=None)


def public_resources(
    session: Session,
    hospital_id: int,
    *,
    stale_after: dt.timedelta = dt.timedelta(hours=6),
    now: dt.datetime | None = None,
) -> PublicResources:
    """Vacant beds by type, free ventilators, medicine availability (in stock / low /
    out) and staff on duty by role (in ``STAFF_ROLES`` order) of one hospital; for the
    portal and the public API. Read-only; an unknown hospital simply has no figures."""
    now = now or utcnow()

    def old(at: dt.datetime) -> bool:
        return now - at > stale_after

    beds = [Figure(b.bed_type, b.vacant, b.total, b.updated_at, b.stale)
            for b in vacant_beds(session, hospital_id=hospital_id, stale_after=stale_after,
                                 now=now)]
    current = hospital_resources(session, hospital_id)
    vent: EquipmentCount | None = current["ventilators"]
    ventilators = None if vent is None else Figure(
        "ventilator", max(0, vent.total - vent.in_use), vent.total, vent.updated_at,
        old(vent.updated_at))
    medicines = [MedicineFigure(m.item, stock_level(m.quantity, m.reorder_level),
                                m.updated_at, old(m.updated_at)) for m in current["medicines"]]
    order = {role: i for i, role in enumerate(STAFF_ROLES)}
    staff = [Figure(s.role, s.on_duty, None, s.updated_at, old(s.updated_at))
             for s in sorted(current["staff"], key=lambda s: order.get(s.role, 99))]
    return PublicResources(hospital_id, beds, ventilators, medicines, staff)
