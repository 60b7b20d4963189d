"""Hospital resource figures and grievance records in the core."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from booking_core.base import InvalidInput, NotFound
from booking_core.outbox import OutboxMessage
from booking_core.resources import (
    BedCount,
    ResourceUpdate,
    hospital_resources,
    update_resources,
    vacant_beds,
)
from grievances.models import GrievanceStatus
from grievances.services import (
    InvalidGrievanceReference,
    find_grievance,
    register_grievance,
)
from tests.factories import make_hospital


def test_resource_update_writes_current_figures_and_history(session, now):
    hospital = make_hospital(session)
    counts = update_resources(session, hospital.id, {
        "beds": {"general": {"total": 100, "occupied": 80}, "icu": {"total": 10, "occupied": 10}},
        "ventilators": {"total": 8, "in_use": 3},
        "medicines": [{"item": "Paracetamol 500 mg", "quantity": 0, "unit": "tablets",
                       "reorder_level": 500}],
        "staff": {"doctor": 12, "nurse": 30},
    }, source="feed:test", now=now - dt.timedelta(hours=7))
    assert counts == {"beds": 2, "ventilators": 1, "medicines": 1, "staff": 2}
    figures = {f.bed_type: f for f in vacant_beds(session, hospital_id=hospital.id, now=now)}
    assert figures["general"].vacant == 20 and figures["icu"].vacant == 0
    assert all(f.stale for f in figures.values())  # 7 h old > 6 h
    update_resources(session, hospital.id, {"beds": {"general": {"total": 100, "occupied": 90}}},
                     source="console:nurse", now=now)
    figures = {f.bed_type: f for f in vacant_beds(session, hospital_id=hospital.id, now=now)}
    assert figures["general"].vacant == 10 and not figures["general"].stale
    assert figures["icu"].stale
    assert session.scalar(select(func.count()).select_from(ResourceUpdate)) == 2
    res = hospital_resources(session, hospital.id)
    assert res["medicines"][0].below_reorder and res["ventilators"].in_use == 3


@pytest.mark.parametrize("payload", [
    {},
    {"beds": {"general": {"total": 5, "occupied": 6}}},
    {"beds": {"luxury": {"total": 5, "occupied": 1}}},
    {"beds": {"general": {"total": "5", "occupied": 1}}},
    {"beds": {"general": {"total": True, "occupied": 1}}},
    {"beds": {"general": {"total": -1, "occupied": 0}}},
    {"beds": []},
    {"staff": {"astronaut": 3}},
    {"medicines": [{"item": "", "quantity": 1, "unit": "x"}]},
    {"ventilators": {"total": 1, "in_use": 2}},
    {"surprise": 1},
])
def test_bad_resource_updates_change_nothing(session, payload):
    hospital = make_hospital(session)
    with pytest.raises(InvalidInput):
        update_resources(session, hospital.id, payload, source="feed:test")
    assert session.scalar(select(func.count()).select_from(BedCount)) == 0
    assert session.scalar(select(func.count()).select_from(ResourceUpdate)) == 0


def test_partial_bad_update_is_all_or_nothing(session):
    hospital = make_hospital(session)
    with pytest.raises(InvalidInput):
        update_resources(session, hospital.id, {
            "beds": {"general": {"total": 10, "occupied": 2}},
            "staff": {"astronaut": 1},
        }, source="feed:test")
    assert session.scalar(select(func.count()).select_from(BedCount)) == 0


def test_register_grievance_queues_reference_sms(session):
    hospital = make_hospital(session)
    grievance = register_grievance(session, phone="9812345678", category="cleanliness",
                                   channel="portal", language="en",
                                   description="Toilets in ward 4 not cleaned",
                                   hospital_id=hospital.id)
    assert grievance.status == GrievanceStatus.REGISTERED
    assert grievance.reference[0] in "6789"
    sms = session.scalars(select(OutboxMessage)).one()
    assert sms.template == "grievance_registered" and grievance.reference in sms.body
    assert find_grievance(session, grievance.reference, "09812345678").id == grievance.id
    with pytest.raises(NotFound):
        find_grievance(session, grievance.reference, "9812300000")
    typo = grievance.reference[:-1] + str((int(grievance.reference[-1]) + 1) % 10)
    with pytest.raises(InvalidGrievanceReference):
        find_grievance(session, typo)
    assert [e.kind for e in grievance.events] == ["registered"]


@pytest.mark.parametrize("kwargs", [
    {"category": "aliens", "description": "x"},
    {"category": "other", "description": ""},
    {"category": "other", "description": "x" * 5000},
    {"category": "other", "description": "Dirty ward", "hospital_id": 99999},
])
def test_bad_grievances_are_refused(session, kwargs):
    with pytest.raises(InvalidInput):
        register_grievance(session, phone="9812345678", channel="portal", **kwargs)
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_voice_only_grievance_is_accepted(session):
    grievance = register_grievance(session, phone="9812345678", category="other",
                                   channel="ivr", recording_sid="RE123",
                                   recording_url="https://api.twilio.com/x/Recordings/RE123",
                                   recording_seconds=40)
    assert grievance.description == "" and grievance.recording_sid == "RE123"
