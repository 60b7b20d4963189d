"""Master-data pages in the console: who may open what, refused forms come back with
what was typed and a reason at each field in the user's language, nothing half-saved,
and the phone line offers only active hospitals."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from booking_core.audit import AuditEntry
from booking_core.hospitals import Department, Hospital
from booking_core.slots import OpdSchedule, Slot
from grievances.models import PublicHoliday
from ivr.directory import read_snapshot
from tests.factories import IST, make_department, make_hospital
from tests.fixtures_console import make_staff

HOSPITAL = {
    "code": "SGM", "name_en": "Sanjay Gandhi Memorial Hospital",
    "name_hi": "संजय गांधी मेमोरियल अस्पताल", "short_en": "Sanjay Gandhi Hospital",
    "short_hi": "संजय गांधी अस्पताल", "district": "North West",
    "address": "Mangolpuri, Delhi 110083", "phone": "011-27922843", "ownership": "government",
    "active": "1", "aliases_en": "SGM", "aliases_hi": "मंगोलपुरी",
}


def text(response) -> str:
    return response.get_data(as_text=True)


def field_error(html: str, field: str) -> str:
    found = re.search(rf'id="err-{re.escape(field)}">([^<]+)<', html)
    return found.group(1) if found else ""


def test_an_admin_onboards_a_hospital_with_a_department_and_a_schedule(session, console,
                                                                      admin_user):
    console.login("admin.one")
    assert console.get("/console/admin/hospitals").status_code == 200
    answer = console.post("/console/admin/hospitals/new", HOSPITAL)
    assert answer.status_code == 302
    hospital_id = session.scalars(select(Hospital.id).where(Hospital.code == "SGM")).one()
    session.rollback()  # SQLite: the test's read must not hold the lock the app needs
    page = text(console.get(answer.headers["Location"]))
    assert "Sanjay Gandhi Memorial Hospital" in page and "Government" in page
    answer = console.post(f"/console/admin/hospitals/{hospital_id}/departments", {
        "code": "medicine", "name_en": "General Medicine", "name_hi": "सामान्य चिकित्सा",
        "aliases_en": "fever\nphysician", "aliases_hi": "बुखार"})
    assert answer.status_code == 302
    department_id = session.scalars(select(Department.id).where(
        Department.hospital_id == hospital_id)).one()
    session.rollback()
    grid = {"row": [str(i) for i in range(7)]}
    for i in range(7):
        grid.update({f"weekday-{i}": str(i), f"start-{i}": "09:00", f"end-{i}": "13:00",
                     f"slot_minutes-{i}": "60", f"capacity-{i}": "12" if i < 6 else "",
                     f"counter_seats-{i}": "2"})
        if i < 6:  # Sunday stays closed, its row as the grid draws it
            grid[f"open-{i}"] = "1"
    answer = console.post(f"/console/admin/departments/{department_id}/schedule", grid)
    assert answer.status_code == 302
    session.rollback()
    weekdays = session.scalars(select(OpdSchedule.weekday).where(
        OpdSchedule.department_id == department_id).order_by(OpdSchedule.weekday)).all()
    assert weekdays == [0, 1, 2, 3, 4, 5]
    assert session.scalar(select(func.count()).select_from(Slot).where(
        Slot.department_id == department_id, Slot.capacity == 10)) > 20
    session.rollback()
    log = text(console.get("/console/admin/audit"))
    assert "Weekly OPD schedule: <strong>General Medicine (Sanjay Gandhi Hospital)" in log
    assert "admin.one" in log
    assert "सामान्य चिकित्सा" in log  # Devanagari as written, not \\u escapes


def test_a_refused_hospital_form_keeps_what_was_typed_and_says_why_in_hindi(
        session, console, admin_user):
    console.login("admin.one")
    console.post("/console/me/language", {"language": "hi", "next": "/console/"})
    bad = {**HOSPITAL, "short_en": "Sanjay Gandhi Memorial Hospital Mangolpuri",
           "name_hi": "Sanjay Gandhi", "phone": "12"}
    answer = console.post("/console/admin/hospitals/new", bad)
    assert answer.status_code == 422
    page = text(answer)
    assert field_error(page, "short_en") == "यह बहुत लंबा है।"
    assert field_error(page, "name_hi") == "इसे देवनागरी (हिन्दी) में लिखें।"
    assert field_error(page, "phone") == "यह भारत का सही फ़ोन नंबर नहीं है।"
    assert field_error(page, "code") == ""
    assert 'value="Sanjay Gandhi Memorial Hospital Mangolpuri"' in page
    assert "कुछ भी सेव नहीं हुआ" in page
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Hospital)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_a_refused_schedule_marks_the_row_it_came_from(session, console, admin_user):
    department_id = make_department(session, make_hospital(session)).id
    session.rollback()
    console.login("admin.one")
    answer = console.post(f"/console/admin/departments/{department_id}/schedule", {
        "row": ["0", "1", "2"], "weekday-0": "0", "start-0": "09:00", "end-0": "13:00",
        "slot_minutes-0": "60", "capacity-0": "10", "counter_seats-0": "0",
        "weekday-1": "1", "start-1": "09:00", "end-1": "13:00", "slot_minutes-1": "60",
        "capacity-1": "", "counter_seats-1": "0", "open-0": "1",  # unticked, as drawn
        "weekday-2": "2", "start-2": "14:00", "end-2": "10:00", "slot_minutes-2": "60",
        "capacity-2": "10", "counter_seats-2": "0", "open-2": "1"})
    assert answer.status_code == 422
    page = text(answer)
    assert field_error(page, "r2-end") == "The end must be after the start."
    assert field_error(page, "r0-end") == ""
    session.rollback()
    assert session.scalar(select(func.count()).select_from(OpdSchedule)) == 0


def test_hospital_staff_edit_their_own_hospital_only(session, console):
    own_id, other_id = make_hospital(session).id, make_hospital(session).id
    make_staff(session, "staff.own", hospital_id=own_id)
    session.rollback()
    console.login("staff.own")
    answer = console.get("/console/admin/hospitals")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(
        f"/console/admin/hospitals/{own_id}")
    assert console.get(f"/console/admin/hospitals/{own_id}").status_code == 200
    assert console.get(f"/console/admin/hospitals/{other_id}").status_code == 403
    assert console.get(f"/console/admin/hospitals/{own_id}/edit").status_code == 403
    assert console.post("/console/admin/hospitals/new", HOSPITAL).status_code == 403
    assert console.post(f"/console/admin/hospitals/{other_id}/departments", {
        "code": "eye", "name_en": "Eye", "name_hi": "नेत्र"}).status_code == 403
    assert console.get("/console/admin/holidays").status_code == 403
    day = (dt.datetime.now(IST) + dt.timedelta(days=3)).date().isoformat()
    assert console.post(f"/console/admin/hospitals/{own_id}/closures",
                        {"day": day}).status_code == 302
    session.rollback()
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.hospital_id == own_id)) == 1


@pytest.mark.parametrize("path", ["/console/admin/hospitals", "/console/admin/holidays",
                                  "/console/admin/audit", "/console/admin/hospitals/new"])
def test_agents_without_a_hospital_get_no_master_data(session, console, agent, path):
    console.login("agent.one")
    assert console.get(path).status_code == 403
    assert "/console/admin/hospitals" not in text(console.get("/console/"))


def test_holidays_page_adds_and_removes_a_holiday(session, console, admin_user):
    console.login("admin.one")
    day = (dt.datetime.now(IST) + dt.timedelta(days=40)).date()
    answer = console.post("/console/admin/holidays", {
        "day": day.isoformat(), "name_en": "Guru Nanak Jayanti", "name_hi": "गुरु नानक जयंती"})
    assert answer.status_code == 302
    assert "Guru Nanak Jayanti" in text(console.get("/console/admin/holidays"))
    again = console.post("/console/admin/holidays", {
        "day": day.isoformat(), "name_en": "Again", "name_hi": "फिर"})
    assert again.status_code == 422
    assert field_error(text(again), "day") == "That day is already a holiday."
    assert console.post(f"/console/admin/holidays/{day.isoformat()}/delete").status_code == 302
    assert console.post("/console/admin/holidays/2026-02-30/delete").status_code == 404
    assert "Guru Nanak Jayanti" not in text(console.get("/console/admin/holidays"))
    # A past day changes nothing (its OPDs have run; deadlines are counted when each
    # clock starts) and would sit unseen: refused in words, nothing recorded.
    for past in ("2020-01-26", (dt.datetime.now(IST) - dt.timedelta(days=1)).date().isoformat()):
        refused = console.post("/console/admin/holidays", {
            "day": past, "name_en": "Republic Day", "name_hi": "गणतंत्र दिवस"})
        assert refused.status_code == 422
        assert field_error(text(refused), "day") == "Choose today or a later date."
    assert session.scalar(select(func.count()).select_from(PublicHoliday)) == 0


def test_the_phone_line_offers_only_active_hospitals(session, console, admin_user):
    shown = make_hospital(session, district="West", district_hi="पश्चिमी").id
    hidden = make_hospital(session, district="Shahdara", district_hi="शाहदरा").code
    hidden_id = session.scalar(select(Hospital.id).where(Hospital.code == hidden))
    session.rollback()
    console.login("admin.one")
    form = {**HOSPITAL, "code": hidden, "district": "Shahdara", "active": "0"}
    assert console.post(f"/console/admin/hospitals/{hidden_id}/edit", form).status_code == 302
    session.rollback()
    snapshot = read_snapshot(session)
    assert [h.id for h in snapshot.hospitals] == [shown]
    assert snapshot.districts == [("West", "पश्चिमी")]
    session.rollback()
    api = console.client.get("/api/v1/hospitals").get_json()
    assert [h["id"] for h in api["hospitals"]] == [shown]


def test_the_change_log_shows_values_as_people_read_them(session, console):
    make_staff(session, "admin.hi", role="admin", language="hi")
    console.login("admin.hi")
    assert console.post("/console/admin/hospitals/new", HOSPITAL).status_code == 302
    day = (dt.datetime.now(IST) + dt.timedelta(days=40)).date()
    assert console.post("/console/admin/holidays", {
        "day": day.isoformat(), "name_en": "Holi", "name_hi": "होली"}).status_code == 302
    session.rollback()
    log = text(console.get("/console/admin/audit"))
    entries = log.split('id="audit"', 1)[1]
    assert "उत्तर पश्चिमी" in entries and "North West" not in entries  # the district
    assert "सरकारी" in entries and "government" not in entries  # its ownership's label
    assert day.isoformat() not in entries  # the holiday's day as a date


def test_patients_per_slot_typed_on_an_unticked_day_is_refused_not_dropped(
        session, console, admin_user):
    hospital = make_hospital(session)
    department_id = make_department(session, hospital).id
    session.commit()
    console.login("admin.one")
    grid = {"row": [str(i) for i in range(7)]}
    for i in range(7):  # every day's seats typed, no day ticked
        grid.update({f"weekday-{i}": str(i), f"start-{i}": "09:00", f"end-{i}": "13:00",
                     f"slot_minutes-{i}": "60", f"capacity-{i}": "12",
                     f"counter_seats-{i}": "0"})
    answer = console.post(f"/console/admin/departments/{department_id}/schedule", grid)
    assert answer.status_code == 422
    page = text(answer)
    assert page.count("Tick this day to run the OPD on it, or clear this number.") == 7
    assert 'value="12"' in page  # what was typed is still there
    session.rollback()
    assert session.scalar(select(func.count()).select_from(OpdSchedule).where(
        OpdSchedule.department_id == department_id)) == 0
    session.rollback()
    # Ticking two of them saves those two; an unticked day left empty is no mistake.
    for i in range(7):
        grid[f"capacity-{i}"] = "12" if i in (0, 2) else ""
    grid.update({"open-0": "1", "open-2": "1"})
    assert console.post(f"/console/admin/departments/{department_id}/schedule",
                        grid).status_code == 302
    session.rollback()
    assert sorted(session.scalars(select(OpdSchedule.weekday).where(
        OpdSchedule.department_id == department_id))) == [0, 2]
    session.rollback()
    # Unticking a day that ran (its seats still shown) closes it: no refusal.
    grid.pop("open-2")
    grid["capacity-2"] = "12"
    assert console.post(f"/console/admin/departments/{department_id}/schedule",
                        grid).status_code == 302


# What each code's hint says, in both languages: letters of either case are accepted
# (a hospital's code is saved in capitals, a department's in small letters).
CODE_HINTS = {
    "en": {"f-code": "2 to 16 letters, digits or hyphens (-), starting with a letter or "
                     "digit, e.g. LNH. Small letters are saved as capitals. Used in feeds "
                     "and reports.",
           "d-code": "2 to 32 letters, digits, hyphens (-) or underscores (_), starting with "
                     "a letter or digit, e.g. ortho. Capital letters are saved as small "
                     "letters."},
    "hi": {"f-code": "2 से 16 अंग्रेज़ी अक्षर, अंक या हाइफ़न (-), शुरुआत किसी अक्षर या अंक "
                     "से हो, जैसे LNH। छोटे अक्षर बड़े अक्षरों में सेव होते हैं। फ़ीड और "
                     "रिपोर्ट में यही इस्तेमाल होता है।",
           "d-code": "2 से 32 अंग्रेज़ी अक्षर, अंक, हाइफ़न (-) या अंडरस्कोर (_), शुरुआत किसी "
                     "अक्षर या अंक से हो, जैसे ortho। बड़े अक्षर छोटे अक्षरों में सेव होते "
                     "हैं।"},
}


def hint(html: str, field: str) -> str:
    found = re.search(rf'id="hint-{re.escape(field)}">([^<]+)<', html)
    return found.group(1) if found else ""


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_code_hints_say_that_either_case_is_accepted(session, console, admin_user, lang):
    console.login("admin.one")
    if lang == "hi":
        console.post("/console/me/language", {"language": "hi", "next": "/console/"})
    form = text(console.get("/console/admin/hospitals/new"))
    assert hint(form, "f-code") == CODE_HINTS[lang]["f-code"]
    answer = console.post("/console/admin/hospitals/new", {**HOSPITAL, "code": "sgm"})
    assert answer.status_code == 302
    hospital = session.scalars(select(Hospital).where(Hospital.code == "SGM")).one()
    hospital_id = hospital.id
    session.rollback()
    page = text(console.get(answer.headers["Location"]))
    assert hint(page, "d-code") == CODE_HINTS[lang]["d-code"]
    assert "small letters or digits" not in page and "छोटे अक्षर या अंक" not in page
    answer = console.post(f"/console/admin/hospitals/{hospital_id}/departments", {
        "code": "Gen_Medicine-2", "name_en": "General Medicine", "name_hi": "सामान्य चिकित्सा"})
    assert answer.status_code == 302
    assert session.scalars(select(Department.code).where(
        Department.hospital_id == hospital_id)).one() == "gen_medicine-2"
    session.rollback()


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_hospital_forms_districts_are_in_the_order_of_the_names_shown(
        session, console, admin_user, lang):
    console.login("admin.one")
    console.post("/console/me/language", {"language": lang, "next": "/console/"})
    page = text(console.get("/console/admin/hospitals/new"))
    select_html = page.split('name="district"', 1)[1].split("</select>", 1)[0]
    shown = [s.strip() for s in re.findall(r"<option value=\"[^\"]+\"[^>]*>([^<]+)</option>",
                                           select_html)]
    from booking_core.master_data import DELHI_DISTRICTS

    names = list(DELHI_DISTRICTS.values() if lang == "hi" else DELHI_DISTRICTS)
    assert sorted(shown) == sorted(names)
    assert shown[:3] == (["उत्तर पश्चिमी", "उत्तर पूर्वी", "उत्तरी"] if lang == "hi"
                         else ["Central", "East", "New Delhi"]), shown


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_each_alias_box_gives_examples_in_its_own_script(session, console, admin_user, lang):
    console.login("admin.one")
    console.post("/console/me/language", {"language": lang, "next": "/console/"})
    page = text(console.get("/console/admin/hospitals/new"))
    latin = re.search(r'id="hint-f-aliases_en">([^<]*)<', page).group(1)
    devanagari = re.search(r'id="hint-f-aliases_hi">([^<]*)<', page).group(1)
    assert "LNJP" in latin and "एलएनजेपी" not in latin, latin
    assert "एलएनजेपी" in devanagari and "LNJP" not in devanagari, devanagari
