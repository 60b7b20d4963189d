"""Slot generation, closures, the migrations and the demo data."""

from __future__ import annotations

import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, select

from booking_core.base import unit_of_work
from booking_core.hospitals import Hospital, match_spoken_name
from booking_core.slots import Slot, close_day, days_with_free_seats, free_slots, generate_slots
from contact_centre.models import StaffUser
from helpline.demo_data import load_demo_data
from helpline.models import metadata
from tests.factories import make_department, make_hospital, make_schedule


def _next(weekday: int) -> dt.date:
    today = dt.date.today() + dt.timedelta(days=1)
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7)


def test_schedules_make_slots_once_and_honour_closures(session):
    hospital = make_hospital(session)
    dept = make_department(session, hospital)
    make_schedule(session, dept, weekday=0, start_time=dt.time(9), end_time=dt.time(12),
                  capacity=8)
    monday = _next(0)
    with unit_of_work(session):
        close_day(session, hospital.id, monday + dt.timedelta(days=7), reason_en="Holi")
    with unit_of_work(session):
        added = generate_slots(session, monday, 14)
    assert added == 3  # three hourly slots on the first Monday; the second is closed
    with unit_of_work(session):
        assert generate_slots(session, monday, 14) == 0
    slots = session.scalars(select(Slot).order_by(Slot.starts_at)).all()
    local_hours = [s.starts_at.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))).hour
                   for s in slots]
    assert local_hours == [9, 10, 11] and all(s.capacity == 8 for s in slots)
    # A closure declared after slots exist closes them.
    with unit_of_work(session):
        close_day(session, hospital.id, monday, department_id=dept.id)
    assert free_slots(session, dept.id, monday) == []
    assert days_with_free_seats(session, dept.id) == []


def test_spoken_names_match_in_both_scripts(session):
    load_demo_data(session, weeks=1)
    hospitals = session.scalars(select(Hospital)).all()
    candidates = [(h.id, [h.name_en, h.name_hi, *h.aliases]) for h in hospitals]
    by_code = {h.code: h.id for h in hospitals}
    for spoken, code in [("लोक नायक", "LNH"), ("Lok Nayak hospital", "LNH"), ("LNJP", "LNH"),
                         ("जीटीबी अस्पताल", "GTB"), ("guru teg bahadur", "GTB"),
                         ("अम्बेडकर अस्पताल", "BSA"), ("deen dayal", "DDU")]:
        best = match_spoken_name(spoken, candidates)
        assert best and best[0][0] == by_code[code], spoken
    assert match_spoken_name("pizza delivery", candidates) == []


def test_demo_data_is_real_and_idempotent(session):
    first = load_demo_data(session, weeks=1)
    assert first["hospitals"] >= 10 and first["slots"] > 0 and first["accounts"] == 4
    second = load_demo_data(session, weeks=1)
    assert second == {"hospitals": 0, "departments": 0, "slots": 0, "accounts": 0,
                      "grievances": 0, "calls": 0, "callbacks": 0}
    lok_nayak = session.scalar(select(Hospital).where(Hospital.code == "LNH"))
    assert lok_nayak.name_hi == "लोक नायक अस्पताल" and lok_nayak.district == "Central"
    assert all(len(h.short_en) <= 30 and len(h.short_hi) <= 30
               for h in session.scalars(select(Hospital)))
    assert session.scalar(select(func.count()).select_from(StaffUser)) == 4
    assert first["grievances"] >= 8 and first["calls"] >= 5 and first["callbacks"] >= 3


def test_migrations_match_the_models(database_url):
    """Autogenerate finds nothing to add: the schema comes from migrations only."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def test_migrations_have_a_single_head():
    from alembic.script import ScriptDirectory

    from helpline.migrate import alembic_config

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, heads
