"""Hospitals, departments, availability and beds through /api/v1."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, text

from booking_core.resources import update_resources
from booking_core.slots import day_availability, days_with_free_seats, free_slots
from tests.factories import IST, make_slot
from tests.fixtures_api import API


def test_hospitals_list_hindi_names_and_district_filter(client, catalogue, conforms):
    body = client.get(f"{API}/hospitals").json
    conforms(body, "HospitalList")
    by_code = {h["code"]: h for h in body["hospitals"]}
    assert by_code["LNH"]["name_hi"] == "लोक नायक अस्पताल"
    assert by_code["GTB"]["district"] == "Shahdara" and by_code["GTB"]["district_hi"] == "शाहदरा"
    only = client.get(f"{API}/hospitals?district=Shahdara").json["hospitals"]
    assert [h["code"] for h in only] == ["GTB"]


def test_one_hospital_and_its_departments(client, catalogue, conforms):
    hid = catalogue.hospital.id
    one = client.get(f"{API}/hospitals/{hid}")
    assert one.status_code == 200 and one.json["code"] == "LNH"
    conforms(one.json, "Hospital")
    deps = client.get(f"{API}/hospitals/{hid}/departments").json
    conforms(deps, "DepartmentList")
    assert [d["code"] for d in deps["departments"]] == ["ortho"]
    assert deps["departments"][0]["name_hi"] == "हड्डी रोग"


def test_unknown_hospital_is_404_json(client, catalogue):
    for path in ("/hospitals/999", "/hospitals/999/departments",
                 f"/hospitals/999/departments/{catalogue.department.id}/availability"):
        res = client.get(API + path)
        assert res.status_code == 404, path
        assert res.json["error"]["code"] == "not_found"
        assert res.json["error"]["details"]["entity"] == "hospital"


def test_department_of_another_hospital_is_404(client, catalogue):
    res = client.get(f"{API}/hospitals/{catalogue.hospital.id}/departments/"
                     f"{catalogue.other_department.id}/availability")
    assert res.status_code == 404 and res.json["error"]["details"]["entity"] == "department"


def _availability(client, catalogue, query=""):
    return client.get(f"{API}/hospitals/{catalogue.hospital.id}/departments/"
                      f"{catalogue.department.id}/availability{query}")


def test_availability_lists_days_and_slots(client, session, catalogue, conforms):
    full = make_slot(session, catalogue.department, starts_in=dt.timedelta(days=6),
                     capacity=2, booked=2)
    res = _availability(client, catalogue)
    assert res.status_code == 200
    conforms(res.json, "Availability")
    days = [d["date"] for d in res.json["days"]]
    assert catalogue.slot.local_day.isoformat() in days
    assert full.local_day.isoformat() not in days
    # Without a date: the first free day's slots.
    assert res.json["date"] == days[0]
    assert res.json["days"][0]["free_seats"] == 3
    day = catalogue.later_slot.local_day.isoformat()
    that_day = _availability(client, catalogue, f"?date={day}").json
    assert [s["id"] for s in that_day["slots"]] == [catalogue.later_slot.id]
    slot = that_day["slots"][0]
    assert slot["free_seats"] == 3 and slot["starts_at"].endswith("+05:30")
    assert dt.datetime.fromisoformat(slot["starts_at"]) == catalogue.later_slot.starts_at


def test_availability_date_errors(client, catalogue):
    today = dt.datetime.now(IST).date()
    cases = {
        "?date=tomorrow": (400, "invalid_parameter"),
        "?date=2025-02-30": (400, "invalid_parameter"),
        f"?date={today - dt.timedelta(days=1)}": (422, "past_date"),
        f"?date={today + dt.timedelta(days=90)}": (422, "outside_booking_window"),
    }
    for query, (status, code) in cases.items():
        res = _availability(client, catalogue, query)
        assert (res.status_code, res.json["error"]["code"]) == (status, code), query


def test_beds_with_update_time_and_stale_flag(client, session, catalogue, conforms):
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=7)
    update_resources(session, catalogue.hospital.id,
                     {"beds": {"icu": {"total": 20, "occupied": 15},
                               "general": {"total": 100, "occupied": 40}}},
                     source="test")
    update_resources(session, catalogue.other_hospital.id,
                     {"beds": {"icu": {"total": 10, "occupied": 10}}}, source="test", now=old)
    body = client.get(f"{API}/beds").json
    conforms(body, "BedList")
    assert body["stale_after_hours"] == 6.0
    rows = {(b["hospital_code"], b["bed_type"]): b for b in body["beds"]}
    assert rows[("LNH", "icu")]["vacant"] == 5 and rows[("LNH", "icu")]["stale"] is False
    assert rows[("GTB", "icu")]["stale"] is True and rows[("GTB", "icu")]["vacant"] == 0
    assert dt.datetime.fromisoformat(rows[("GTB", "icu")]["updated_at"]) == old
    icu_lnh = client.get(f"{API}/beds?hospital_id={catalogue.hospital.id}&bed_type=icu").json
    assert [(b["hospital_code"], b["bed_type"]) for b in icu_lnh["beds"]] == [("LNH", "icu")]


def test_beds_bad_filters(client, catalogue):
    assert client.get(f"{API}/beds?bed_type=luxury").status_code == 400
    assert client.get(f"{API}/beds?hospital_id=abc").json["error"]["code"] == "invalid_parameter"
    assert client.get(f"{API}/beds?hospital_id=999").status_code == 404


def test_unknown_route_and_method_are_json(client):
    missing = client.get(f"{API}/no-such-thing")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    wrong = client.delete(f"{API}/hospitals")
    assert wrong.status_code == 405 and wrong.json["error"]["code"] == "method_not_allowed"


def test_reads_survive_a_dropped_database_connection(app, client, catalogue, database_url):
    """GET views use pooled autocommit connections without pre-ping on PostgreSQL; a
    connection the server dropped costs a retry, not an error."""
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL connections only")
    assert client.get(f"{API}/hospitals").status_code == 200
    engine = app.extensions["portal_api.read_sessions.engine"]
    with engine.connect() as conn:  # the pooled connection the view used
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    killer = create_engine(database_url)
    with killer.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    killer.dispose()
    res = client.get(f"{API}/hospitals")
    assert res.status_code == 200 and len(res.json["hospitals"]) == 2


def test_one_trip_day_availability_agrees_with_the_separate_reads(session, catalogue):
    dep = catalogue.department
    make_slot(session, dep, starts_in=dt.timedelta(days=2, hours=1), capacity=4, booked=1)
    make_slot(session, dep, starts_in=dt.timedelta(days=2, hours=2), capacity=2, booked=2)
    make_slot(session, dep, starts_in=dt.timedelta(hours=-1))
    for day in (catalogue.slot.local_day, catalogue.later_slot.local_day,
                catalogue.slot.local_day + dt.timedelta(days=40)):
        days, slots = day_availability(session, dep.id, day)
        assert days == days_with_free_seats(session, dep.id, limit=31)
        assert slots == free_slots(session, dep.id, day)
    session.commit()
