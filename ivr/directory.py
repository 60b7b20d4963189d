"""Hospitals and departments as the phone line reads them: reference data, reused by a
web process for ``IVR_DIRECTORY_TTL_SECONDS`` (default 60 s) instead of being read on
every webhook.

Only reference data lives here, never anything about a call: any process still answers
any webhook. A hospital or department added, renamed, deactivated or removed is heard
within the TTL, whichever web process answers: a hospital onboarded in the console can
be booked by phone a minute later. A caller who picks a hospital removed meanwhile
hears that it is no longer available, and the list as it now is (``ivr.choosers``).
The cached rows are detached, read-only snapshots shared by the process's threads: read
their columns, never change them or add them to a session (their relationships are not
loaded).

The hospitals' order is the day's demand ranking (``booking_core.demand``), computed
once per process per day (``Directory.ranking``, kept by date): the same in every
process all day, so the TTL's refreshes never reorder the menu. What a key means does
not depend on it anyway: a menu's spoken page travels in the call's state
(``ivr.choosers``).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from booking_core.base import NotFound, utcnow
from booking_core.demand import demand_day, hospital_ranking, in_ranking_order
from booking_core.hospitals import (
    Department,
    Hospital,
    list_departments,
    list_districts,
    list_hospitals,
)
from booking_core.slots import departments_holding_opd
from helpline.db import READ_ONLY


@dataclass(frozen=True)
class Snapshot:
    hospitals: list[Hospital]  # the most asked-for first (the day's ``hospital_ranking``)
    # hospital id -> the departments a caller can book, in menu order: those that sit
    # an OPD (``departments_holding_opd``); ``department_by_id`` names every one.
    departments: dict[int, list[Department]]
    districts: list[tuple[str, str]]  # (English, Hindi), alphabetically
    hospital_by_id: dict[int, Hospital]
    department_by_id: dict[int, Department]

    def hospital(self, hospital_id: int) -> Hospital:
        try:
            return self.hospital_by_id[hospital_id]
        except KeyError:
            raise NotFound("no such hospital", entity="hospital") from None

    def department(self, department_id: int) -> Department:
        try:
            return self.department_by_id[department_id]
        except KeyError:
            raise NotFound("no such department", entity="department") from None

    def hospitals_in(self, district: str | None) -> list[Hospital]:
        return [h for h in self.hospitals if district is None or h.district == district]


def read_snapshot(session: Session, ranking: list[int] | None = None,
                  today: dt.date | None = None) -> Snapshot:
    """The active hospitals in ``ranking``'s order (the day's, ``Directory.ranking``;
    None: the order they were added), their departments and districts. With ``today``
    (the helpline's local date), a hospital's menu of departments leaves out those
    that sit no OPD from that day on (``departments_holding_opd``)."""
    # An inactive hospital (``Hospital.active``) is offered to no caller.
    hospitals = in_ranking_order(list_hospitals(session, active_only=True), ranking or [])
    every = {h.id: list_departments(session, h.id) for h in hospitals}
    sitting = departments_holding_opd(session, today) if today is not None else None
    return Snapshot(
        hospitals=hospitals,
        departments={h: [d for d in ds if sitting is None or d.id in sitting]
                     for h, ds in every.items()},
        districts=list_districts(session),
        hospital_by_id={h.id: h for h in hospitals},
        department_by_id={d.id: d for ds in every.values() for d in ds},
    )


class Directory:
    """One per app (``app.extensions["ivr.directory"]``); thread-safe."""

    def __init__(self, sessions: sessionmaker[Session], ttl_seconds: float,
                 clock: Callable[[], float] = time.monotonic, *, tz: str = "Asia/Kolkata",
                 now: Callable[[], dt.datetime] = utcnow) -> None:
        self._sessions = sessions
        self._ttl = ttl_seconds
        self._clock = clock
        self._tz = tz
        self._now = now
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._read_at = 0.0
        self._ranking: tuple[dt.date, list[int]] | None = None

    def today(self) -> dt.date:
        """The helpline's local date (``demand_day``)."""
        return demand_day(self._tz, self._now())

    def ranking(self, session: Session) -> list[int]:
        """Today's hospital ranking, read once per day (``hospital_ranking``)."""
        day = self.today()
        kept = self._ranking
        if kept is None or kept[0] != day:
            kept = (day, hospital_ranking(session, day, tz=self._tz))
            self._ranking = kept
        return kept[1]

    def snapshot(self, session: Session) -> Snapshot:
        """The current lists; with no TTL, read in the request's own ``session``."""
        if self._ttl <= 0:
            return read_snapshot(session, self.ranking(session), self.today())
        snapshot = self._snapshot
        if snapshot is not None and self._clock() - self._read_at < self._ttl:
            return snapshot
        with self._lock:  # one thread reads, the others wait for its result
            if self._snapshot is None or self._clock() - self._read_at >= self._ttl:
                with self._sessions() as own:
                    # Read-only: the request's own transaction may hold SQLite's write lock.
                    own.connection(execution_options=READ_ONLY)
                    self._snapshot = read_snapshot(own, self.ranking(own), self.today())
                    own.expunge_all()
                self._read_at = self._clock()
            return self._snapshot
