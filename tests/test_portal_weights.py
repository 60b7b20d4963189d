"""Every portal page stays light for a cheap phone on a slow connection: under 100 KB
with everything it links, no web fonts, no scripts, one small stylesheet of our own."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from bench.portal_weights import BUDGET_BYTES, page_weight, portal_paths
from booking_core.appointments import Channel, book_appointment
from booking_core.resources import update_resources
from portal_api.auth import issue_verification_token
from tests.factories import make_department, make_hospital, make_schedule, make_slot

CSS = Path(__file__).resolve().parent.parent / "portal_web" / "static" / "portal.css"


def test_every_page_is_under_the_budget_in_both_languages(app, session, catalogue, now):
    # A big hospital: every figure reported, a long medicine list, many OPDs and slots.
    update_resources(session, catalogue.hospital.id, {
        "beds": {t: {"total": 400, "occupied": 380} for t in ("general", "oxygen", "icu",
                                                               "ventilator")},
        "ventilators": {"total": 40, "in_use": 39},
        "medicines": [{"item": f"Medicine number {n} 500 mg tablets", "quantity": n * 7,
                       "unit": "tablets", "reorder_level": 100} for n in range(120)],
        "staff": {"doctor": 120, "specialist": 40, "nurse": 300, "paramedic": 60,
                  "pharmacist": 12, "technician": 30},
    }, source="test", now=now - dt.timedelta(hours=7))
    for n in range(25):  # each with a weekly OPD: one without is not listed
        make_schedule(session, make_department(
            session, catalogue.hospital, code=f"opd{n}",
            name_en=f"Outpatient department number {n}",
            name_hi=f"बाह्य रोगी विभाग संख्या {n}"), weekday=n % 6)
    for n in range(40):
        make_hospital(session, name_en=f"Delhi Government Hospital {n}",
                      name_hi=f"दिल्ली सरकारी अस्पताल {n}")
    slots = [make_slot(session, catalogue.department,
                       starts_in=dt.timedelta(days=3, minutes=15 * n), minutes=15)
             for n in range(32)]
    held = book_appointment(session, slot_id=catalogue.slot.id, phone="+919812345678",
                            channel=Channel.PORTAL)
    client = app.test_client()
    client.set_cookie("portal_mobile", issue_verification_token(
        app.config["SECRET_KEY"], "+919812345678"), path="/portal")
    paths = portal_paths(catalogue.hospital.id, catalogue.department.id, slots[0].id,
                         held.reference, slots[0].local_day)
    weights = [page_weight(client, path, lang) for path in paths for lang in ("hi", "en")]
    over = [(w.path, w.lang, w.total) for w in weights if w.total >= BUDGET_BYTES]
    assert over == []
    heaviest = max(weights, key=lambda w: w.total)
    # The hospital page really carried the long list it was measured with.
    figures = client.get(f"/portal/hospitals/{catalogue.hospital.id}").get_data(as_text=True)
    assert figures.count("Medicine number") == 120 and "Outpatient department number 24" in (
        client.get(f"/portal/book/{catalogue.hospital.id}").get_data(as_text=True))
    assert heaviest.total_gzip < 20_000, heaviest


def test_no_web_fonts_no_scripts_one_stylesheet(app, client, catalogue):
    css = CSS.read_text()
    assert "@font-face" not in css and "@import" not in css and "url(" not in css
    assert len(css.encode()) < 12_000
    page = client.get("/portal/").get_data(as_text=True)
    assert re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', page) == [
        "/portal/static/portal.css"]
    assert "<script" not in page and ".woff" not in page
    # The stylesheet may be cached; pages may not (they carry tokens and bookings).
    assert "no-store" not in client.get("/portal/static/portal.css").headers.get(
        "Cache-Control", "")
    assert "no-store" in client.get("/portal/").headers["Cache-Control"]
