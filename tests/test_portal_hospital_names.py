"""The portal names a hospital one way on every page: its full name ("Lok Nayak
Hospital", «लोक नायक अस्पताल»), through ``portal_web.i18n.hospital_name``. The booking
pages' breadcrumb said "LNJP Hospital" (the short name, which stays the phone line's
and the SMS's) while the waiting list said "Lok Nayak Hospital"."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from tests.factories import make_department, make_hospital, make_slot
from tests.opd_factories import book
from tests.test_portal_pages import E164, Portal

TEMPLATES = Path(__file__).resolve().parent.parent / "portal_web" / "templates"
FULL = {"en": "Lok Nayak Hospital", "hi": "लोक नायक अस्पताल"}
SHORT = {"en": "LNJP", "hi": "एलएनजेपी"}


@pytest.fixture
def portal(client, session):
    return Portal(client, session)


@pytest.fixture
def lnjp(session) -> dict[str, object]:
    """A hospital whose short name differs from its full name, a day fully booked
    (its waiting list is open), a later day with times and the citizen's appointment."""
    hospital = make_hospital(session, name_en=FULL["en"], name_hi=FULL["hi"],
                             short_en="LNJP Hospital", short_hi="एलएनजेपी अस्पताल")
    department = make_department(session, hospital)
    full = make_slot(session, department, starts_in=dt.timedelta(days=2), capacity=1)
    later = make_slot(session, department, starts_in=dt.timedelta(days=4), capacity=5)
    book(session, full)
    mine = book(session, later, phone=E164)
    found = {"hospital": hospital.id, "department": department.id, "full_day": full.local_day,
             "later_day": later.local_day, "later": later.id, "reference": mine.reference}
    session.commit()
    return found


def _pages(w: dict[str, object]) -> dict[str, str]:
    h, d = w["hospital"], w["department"]
    return {
        "hospitals": "/portal/hospitals",
        "hospital": f"/portal/hospitals/{h}",
        "book: department": f"/portal/book/{h}",
        "book: times": f"/portal/book/{h}/{d}?day={w['later_day']}",
        "book: review": f"/portal/book/review?slot={w['later']}",
        "waiting list": f"/portal/waiting-list/join?department={d}&day={w['full_day']}",
        "appointments": "/portal/appointments",
        "appointment": f"/portal/appointments/{w['reference']}",
        "cancel": f"/portal/appointments/{w['reference']}/cancel",
        "reschedule": f"/portal/appointments/{w['reference']}/reschedule",
    }


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_every_citizens_page_names_the_hospital_by_its_full_name(portal, lnjp, lang):
    portal.choose(lang)
    portal.get("/portal/appointments")
    portal.verify("/portal/appointments")
    named = {}
    for kind, url in _pages(lnjp).items():
        portal.get(url)
        assert portal.status == 200, (kind, portal.text())
        text = portal.text()
        named[kind] = (FULL[lang] in text, SHORT[lang] in text)
    assert named == {kind: (True, False) for kind in _pages(lnjp)}
    # The breadcrumb is the full name too (it was the short name).
    portal.get(f"/portal/book/{lnjp['hospital']}/{lnjp['department']}")
    crumb = re.search(r'<ol class="steps"><li class="done"><a [^>]*>(.*?)</a>', portal.page)
    assert crumb and crumb.group(1) == FULL[lang]


def test_no_portal_template_names_a_hospital_but_through_hospital_name():
    """``short_name`` is the phone line's and the SMS's; a page calling ``.name(lang)``
    on a hospital itself would be a second way that could drift."""
    found = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text()
        bad = re.findall(r"short_name\(|hospital\.name\(|\bh\.name\(", text)
        if bad:
            found[path.name] = bad
    assert found == {}


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_district_list_is_in_the_order_of_the_names_it_shows(portal, session, lang):
    """A Hindi reader looks for «उत्तरी» after «दक्षिणी» and «पूर्वी» (varnamala order), not
    in the English names' order (East, North, South, West)."""
    from booking_core.master_data import DELHI_DISTRICTS

    for en in ("West", "North", "East", "South", "Shahdara"):
        make_hospital(session, district=en, district_hi=DELHI_DISTRICTS[en])
    session.commit()
    # Named as Delhi says them: with the city, except Shahdara.
    want = {"hi": ["उत्तरी दिल्ली", "दक्षिणी दिल्ली", "पश्चिमी दिल्ली", "पूर्वी दिल्ली", "शाहदरा"],
            "en": ["East Delhi", "North Delhi", "Shahdara", "South Delhi", "West Delhi"]}[lang]
    for path in ("/portal/", "/portal/hospitals"):
        page = portal.get(path, headers={"Accept-Language": lang})
        select_html = page.split('name="district"', 1)[1].split("</select>", 1)[0]
        shown = re.findall(r'<option value="[^"]+"[^>]*>([^<]+)</option>', select_html)
        assert shown == want, (path, shown)
