"""Realistic demo data: Delhi government hospitals, their OPDs, beds and medicines,
and console accounts. Loading it twice changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_core.base import unit_of_work, utcnow
from booking_core.holidays import PublicHoliday
from booking_core.hospitals import Department, Hospital
from booking_core.master_data import DELHI_DISTRICTS
from booking_core.resources import BedCount, update_resources
from booking_core.slots import OpdSchedule, generate_slots
from contact_centre.accounts import create_staff_user
from contact_centre.models import StaffUser
from helpline.demo_activity import load_demo_activity

# code, English name, Hindi name, short English, short Hindi, district (its Hindi name is
# Delhi's own, ``DELHI_DISTRICTS``, as the console's master data sets it), address,
# phone, aliases callers say.
HOSPITALS = [
    ("LNH", "Lok Nayak Hospital", "लोक नायक अस्पताल", "LNJP Hospital",
     "एलएनजेपी अस्पताल", "Central", "Jawaharlal Nehru Marg, New Delhi 110002",
     "011-23232400", ["LNJP", "Lok Nayak Jai Prakash", "Irwin", "एलएनजेपी", "लोकनायक",
                      "इरविन"]),
    ("GTB", "Guru Teg Bahadur Hospital", "गुरु तेग बहादुर अस्पताल", "GTB Hospital",
     "जीटीबी अस्पताल", "Shahdara", "Dilshad Garden, Delhi 110095",
     "011-22586262", ["GTB", "Guru Tegh Bahadur", "जीटीबी", "गुरु तेग बहादुर"]),
    ("DDU", "Deen Dayal Upadhyay Hospital", "दीन दयाल उपाध्याय अस्पताल", "DDU Hospital",
     "डीडीयू अस्पताल", "West", "Hari Nagar, New Delhi 110064",
     "011-25494402", ["DDU", "Deen Dayal", "डीडीयू", "दीनदयाल"]),
    ("BSA", "Dr. Baba Saheb Ambedkar Hospital", "डॉ. बाबा साहेब अम्बेडकर अस्पताल",
     "BSA Hospital Rohini", "बीएसए अस्पताल रोहिणी", "North West",
     "Sector 6, Rohini, Delhi 110085", "011-27055585",
     ["BSA", "Ambedkar", "Baba Saheb", "Rohini hospital", "बीएसए", "अंबेडकर", "अम्बेडकर",
      "बाबा साहेब"]),
    ("LBS", "Lal Bahadur Shastri Hospital", "लाल बहादुर शास्त्री अस्पताल", "LBS Hospital",
     "एलबीएस अस्पताल", "East", "Khichripur, Delhi 110091", "011-22245725",
     ["LBS", "Shastri", "Khichripur", "एलबीएस", "शास्त्री", "खिचड़ीपुर"]),
    ("AAA", "Aruna Asaf Ali Government Hospital", "अरुणा आसफ़ अली राजकीय अस्पताल",
     "Aruna Asaf Ali Hospital", "अरुणा आसफ़ अली अस्पताल", "North",
     "5 Rajpur Road, Delhi 110054", "011-23912641",
     ["Aruna Asaf Ali", "Rajpur Road hospital", "अरुणा आसफ अली", "अरुणा"]),
    ("RGSSH", "Rajiv Gandhi Super Speciality Hospital", "राजीव गांधी सुपर स्पेशलिटी अस्पताल",
     "Rajiv Gandhi SS Hospital", "राजीव गांधी अस्पताल", "Shahdara",
     "Tahirpur, Delhi 110093", "011-22890000",
     ["Rajiv Gandhi", "RGSSH", "Tahirpur", "राजीव गांधी", "ताहिरपुर"]),
    ("SGMH", "Sanjay Gandhi Memorial Hospital", "संजय गांधी स्मारक अस्पताल",
     "Sanjay Gandhi Hospital", "संजय गांधी अस्पताल", "North West",
     "Mangolpuri, Delhi 110083", "011-27922843",
     ["Sanjay Gandhi", "SGM", "Mangolpuri", "संजय गांधी", "मंगोलपुरी"]),
    ("GGSH", "Guru Gobind Singh Government Hospital", "गुरु गोबिंद सिंह राजकीय अस्पताल",
     "Guru Gobind Singh Hospital", "गुरु गोबिंद सिंह अस्पताल", "West",
     "Raghubir Nagar, New Delhi 110027", "011-25161500",
     ["Guru Gobind Singh", "Raghubir Nagar", "गुरु गोबिंद सिंह", "रघुबीर नगर"]),
    ("BMH", "Bhagwan Mahavir Hospital", "भगवान महावीर अस्पताल", "Bhagwan Mahavir Hospital",
     "भगवान महावीर अस्पताल", "North West", "Pitampura, Delhi 110034",
     "011-27034341", ["Mahavir", "Bhagwan Mahavir", "Pitampura", "महावीर", "पीतमपुरा"]),
    ("ASBH", "Acharya Shree Bhikshu Government Hospital", "आचार्य श्री भिक्षु राजकीय अस्पताल",
     "Acharya Bhikshu Hospital", "आचार्य भिक्षु अस्पताल", "West",
     "Moti Nagar, New Delhi 110015", "011-25928125",
     ["Acharya Bhikshu", "Moti Nagar", "भिक्षु", "मोती नगर"]),
    ("JPCH", "Jag Pravesh Chandra Hospital", "जग प्रवेश चन्द्र अस्पताल",
     "Jag Pravesh Chandra Hospital", "जग प्रवेश चन्द्र अस्पताल", "North East",
     "Shastri Park, Delhi 110053", "011-22181660",
     ["Jag Pravesh", "JPC", "Shastri Park", "जग प्रवेश", "शास्त्री पार्क"]),
    ("MMMH", "Pt. Madan Mohan Malviya Hospital", "पं. मदन मोहन मालवीय अस्पताल",
     "Malviya Nagar Hospital", "मालवीय नगर अस्पताल", "South",
     "Malviya Nagar, New Delhi 110017", "011-26685050",
     ["Madan Mohan Malviya", "Malviya Nagar", "मदन मोहन मालवीय", "मालवीय नगर"]),
]

# code, English, Hindi, aliases (both scripts), weekdays, sessions (start, end), capacity
DEPARTMENTS = [
    ("medicine", "General Medicine", "सामान्य चिकित्सा",
     ["medicine", "general", "physician", "fever", "मेडिसिन", "बुखार", "सामान्य"]),
    ("surgery", "General Surgery", "सामान्य सर्जरी",
     ["surgery", "surgeon", "सर्जरी", "ऑपरेशन"]),
    ("ortho", "Orthopaedics", "हड्डी रोग",
     ["orthopaedics", "orthopedics", "ortho", "bone", "bones", "fracture", "हड्डी",
      "हड्डियों", "ऑर्थो"]),
    ("paeds", "Paediatrics", "बाल रोग",
     ["paediatrics", "pediatrics", "child", "children", "baby", "बच्चे", "बच्चों", "बाल",
      "शिशु"]),
    ("gynae", "Obstetrics and Gynaecology", "स्त्री एवं प्रसूति रोग",
     ["gynaecology", "gynecology", "gynae", "pregnancy", "women", "maternity", "स्त्री",
      "महिला", "प्रसूति", "गर्भावस्था"]),
    ("ent", "Ear, Nose and Throat", "नाक, कान, गला",
     ["ENT", "ear", "nose", "throat", "कान", "नाक", "गला"]),
    ("eye", "Ophthalmology", "नेत्र रोग",
     ["eye", "eyes", "ophthalmology", "आँख", "आंख", "नेत्र"]),
    ("skin", "Dermatology", "त्वचा रोग",
     ["skin", "dermatology", "त्वचा", "चमड़ी", "चर्म"]),
    ("dental", "Dental", "दंत रोग",
     ["dental", "teeth", "tooth", "dentist", "दांत", "दाँत", "दंत"]),
    ("psych", "Psychiatry", "मनोरोग",
     ["psychiatry", "mental health", "मानसिक", "मनोरोग"]),
]

# The gazetted holidays that fall on the same date every year (month, day, English and
# Hindi names): no OPD runs on them, so the demo offers no slot there. Holidays that move
# with the calendar (Holi, Diwali, Eid) are declared by an administrator each year.
FIXED_HOLIDAYS = [
    (1, 26, "Republic Day", "गणतंत्र दिवस"),
    (8, 15, "Independence Day", "स्वतंत्रता दिवस"),
    (10, 2, "Gandhi Jayanti", "गांधी जयंती"),
    (12, 25, "Christmas", "क्रिसमस"),
]

BEDS = {  # bed type -> (total, occupied) for a mid-sized hospital; scaled per hospital
    "general": (400, 340),
    "oxygen": (120, 96),
    "icu": (40, 37),
    "ventilator": (20, 18),
}

MEDICINES = [
    ("Paracetamol 500 mg", "tablets", 20000, 5000),
    ("Amoxicillin 500 mg", "capsules", 8000, 2000),
    ("ORS sachet", "sachets", 3000, 1000),
    ("Insulin (regular)", "vials", 150, 200),
    ("Metformin 500 mg", "tablets", 12000, 3000),
    ("Anti-rabies vaccine", "vials", 40, 50),
]

# username, name, role, language, the phone callbacks and queued callers ring.
DEMO_ACCOUNTS = [
    ("agent.asha", "Asha Verma", "agent", "hi", "+919810000101"),
    ("agent.rahul", "Rahul Singh", "agent", "en", "+919810000102"),
    ("supervisor.meena", "Meena Kapoor", "supervisor", "en", "+919810000103"),
    ("admin", "Helpline Admin", "admin", "en", None),
]


def load_demo_data(
    session: Session, *, tz: str = "Asia/Kolkata", weeks: int = 5,
    logins_file: Path | None = None,
) -> dict[str, int]:
    """Hospitals, departments, schedules, slots for ``weeks`` weeks, beds, medicines,
    demo accounts and a day's activity (``helpline.demo_activity``). Existing rows are
    left as they are; returns what was added."""
    added = {"hospitals": 0, "departments": 0, "slots": 0, "accounts": 0}
    with unit_of_work(session):
        for index, (code, en, hi, short_en, short_hi, district, address, phone, aliases) in (
            enumerate(HOSPITALS)
        ):
            hospital = session.scalar(select(Hospital).where(Hospital.code == code))
            if hospital is None:
                hospital = Hospital(
                    code=code, name_en=en, name_hi=hi, short_en=short_en, short_hi=short_hi,
                    district=district, district_hi=DELHI_DISTRICTS[district], address=address,
                    phone=phone, aliases=aliases,
                )
                session.add(hospital)
                session.flush()
                added["hospitals"] += 1
            for position, (dcode, den, dhi, daliases) in enumerate(DEPARTMENTS):
                if (index + position) % 7 == 6 and dcode in ("psych", "skin", "dental"):
                    continue  # not every hospital runs every OPD
                exists = session.scalar(
                    select(Department.id).where(
                        Department.hospital_id == hospital.id, Department.code == dcode
                    )
                )
                if exists:
                    continue
                department = Department(
                    hospital_id=hospital.id, code=dcode, name_en=den, name_hi=dhi,
                    aliases=daliases, position=position,
                )
                session.add(department)
                session.flush()
                added["departments"] += 1
                for weekday in range(6):  # Monday to Saturday
                    session.add(OpdSchedule(
                        department_id=department.id, weekday=weekday,
                        start_time=dt.time(9, 0),
                        end_time=dt.time(13, 0) if weekday < 5 else dt.time(12, 0),
                        slot_minutes=60, capacity=12 + (position % 3) * 4,
                    ))
        session.flush()
        today = utcnow().astimezone(ZoneInfo(tz)).date()
        # This year's and next year's fixed holidays still to come, before any slot.
        for year in (today.year, today.year + 1):
            for month, day, name_en, name_hi in FIXED_HOLIDAYS:
                date = dt.date(year, month, day)
                if date >= today and session.get(PublicHoliday, date) is None:
                    session.add(PublicHoliday(day=date, name=name_en, name_hi=name_hi))
        session.flush()
        added["slots"] = generate_slots(session, today, weeks * 7, tz)
    # Beds and medicines through the same path the hospitals' feed uses.
    for index, (code, *_rest) in enumerate(HOSPITALS):
        hospital = session.scalar(select(Hospital).where(Hospital.code == code))
        assert hospital is not None
        if session.scalar(select(BedCount.id).where(BedCount.hospital_id == hospital.id)):
            continue
        # HOSPITALS lists the biggest first (Lok Nayak, GTB, DDU, ...): beds scale down it.
        scale = max(0.5, 2.0 - index * 0.15)
        beds = {
            bed_type: {"total": int(total * scale),
                       "occupied": min(int(total * scale), int(occ * scale) + index % 5)}
            for bed_type, (total, occ) in BEDS.items()
        }
        update_resources(session, hospital.id, {
            "beds": beds,
            "ventilators": {"total": int(24 * scale), "in_use": int(20 * scale)},
            "medicines": [
                {"item": item, "unit": unit, "quantity": _demo_stock(index, n, qty, reorder),
                 "reorder_level": reorder}
                for n, (item, unit, qty, reorder) in enumerate(MEDICINES)
            ],
            "staff": {"doctor": 30 + index, "nurse": 80 + 2 * index, "specialist": 8,
                      "pharmacist": 4},
        }, source="demo-data")
    added["accounts"] = _demo_accounts(session, logins_file)
    added.update(load_demo_activity(session, tz=tz))
    return added


def _demo_stock(hospital: int, item: int, quantity: int, reorder_level: int) -> int:
    """A believable stock for the ``hospital``-th demo hospital's ``item``-th medicine:
    most items in stock, one running low everywhere, and one out at every third
    hospital, each a different item (not every medicine out at one hospital)."""
    if hospital % 3 == 2 and item == (hospital // 3 + 4) % len(MEDICINES):
        return 0
    if item == (hospital + 1) % len(MEDICINES):
        return reorder_level // 2
    return reorder_level + quantity * (hospital + 3) // 7


def _demo_accounts(session: Session, logins_file: Path | None) -> int:
    """Create the demo console accounts with fresh random passwords, written to
    ``logins_file`` (readable only by its owner) so ``make run`` can print them."""
    logins: dict[str, str] = {}
    if logins_file and logins_file.exists():
        logins = json.loads(logins_file.read_text())
    created = 0
    for username, name, role, language, phone in DEMO_ACCOUNTS:
        existing = session.scalar(select(StaffUser).where(StaffUser.username == username))
        if existing is not None:
            if phone and existing.phone is None:  # accounts made before agents had phones
                with unit_of_work(session):
                    existing.phone = phone
            continue
        password = secrets.token_urlsafe(12)
        create_staff_user(session, username=username, password=password, role=role,
                          display_name=name, language=language, phone=phone)
        logins[username] = password
        created += 1
    if logins_file and created:
        # Only passwords of accounts made just now are added; the others are kept as
        # they were. Written whole, then moved into place, owner-readable only.
        logins_file.parent.mkdir(parents=True, exist_ok=True)
        partial = logins_file.with_name(logins_file.name + ".new")
        partial.write_text(json.dumps(logins, indent=2))
        os.chmod(partial, 0o600)
        os.replace(partial, logins_file)
    return created
