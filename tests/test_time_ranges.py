"""A span of time is written one way on the portal and the console: the day period said
once where both ends share it ("9:00 – 10:00 am", «सुबह 9:00 – 10:00»), on each end
where they differ ("11:30 am – 12:30 pm"), by ``locales.formatting.format_time_range``,
and kept on one line, so "am" never wraps onto a line of its own. The portal wrote
"9:00 am – 10:00 am" by hand, the console's OPD hours "09:00–13:00"."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from booking_core.master_data import Editor
from booking_core.opd_calendar import SessionInput, SlotHorizon, save_schedule
from locales import formatting
from tests.factories import IST, make_department, make_hospital, make_slot
from tests.fixtures_console import make_staff

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = [*(ROOT / "portal_web" / "templates").rglob("*.html"),
             *(ROOT / "agent_console" / "templates").rglob("*.html")]


@pytest.mark.parametrize(("start", "end", "english", "hindi"), [
    (dt.time(9), dt.time(10), "9:00 – 10:00 am", "सुबह 9:00 – 10:00"),
    (dt.time(11, 30), dt.time(12, 30), "11:30 am – 12:30 pm", "सुबह 11:30 – दोपहर 12:30"),
    (dt.time(12), dt.time(13), "12:00 – 1:00 pm", "दोपहर 12:00 – 1:00"),
    (dt.time(15), dt.time(17), "3:00 – 5:00 pm", "दोपहर 3:00 – शाम 5:00"),
    (dt.time(9), dt.time(13), "9:00 am – 1:00 pm", "सुबह 9:00 – दोपहर 1:00"),
])
def test_a_range_says_its_day_period_once_where_both_ends_share_it(start, end, english, hindi):
    assert formatting.format_time_range("en", start, end) == english
    assert formatting.format_time_range("hi", start, end) == hindi


def test_a_range_of_moments_is_said_in_delhi_time():
    start = dt.datetime(2030, 3, 7, 3, 30, tzinfo=dt.UTC)  # 9:00 in Delhi
    end = start + dt.timedelta(hours=1)
    assert formatting.format_time_range("en", start, end) == "9:00 – 10:00 am"


def test_no_template_writes_a_range_by_hand():
    """Two times with a dash between them in a template is a second way of writing a
    range; every range comes from ``time_range``, inside an element kept on one line."""
    by_hand, loose = {}, {}
    for path in TEMPLATES:
        text = path.read_text()
        found = re.findall(r"(?:time_text|when|clock|strftime)\([^}]*\}\}\s*(?:–|-|&ndash;)", text)
        if found:
            by_hand[path.name] = found
        for call in re.finditer(r"\{\{ time_range\(", text):
            opening = text.rfind("<", 0, call.start())
            if "nowrap" not in text[opening:call.start()]:
                loose[path.name] = text[opening:call.end()]
    assert by_hand == {} and loose == {}
    assert ".nowrap{white-space:nowrap}" in (ROOT / "portal_web/static/portal.css").read_text()


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_the_booking_page_lists_times_as_ranges_kept_on_one_line(client, session, lang):
    hospital = make_hospital(session)
    department = make_department(session, hospital)
    day = (dt.datetime.now(IST) + dt.timedelta(days=2)).date()
    for clock in (dt.time(9), dt.time(11, 30)):
        make_slot(session, department, at=dt.datetime.combine(day, clock, IST))
    session.commit()
    client.get(f"/portal/lang/{lang}")
    page = client.get(f"/portal/book/{hospital.id}/{department.id}?day={day}"
                      ).get_data(as_text=True)
    shown = re.findall(r'<strong class="nowrap">(.*?)</strong>', page)
    assert shown == {"en": ["9:00 – 10:00 am", "11:30 am – 12:30 pm"],
                     "hi": ["सुबह 9:00 – 10:00", "सुबह 11:30 – दोपहर 12:30"]}[lang]


def test_the_consoles_opd_hours_are_written_as_the_portal_writes_a_range(session, console):
    hospital = make_hospital(session)
    department = make_department(session, hospital)
    horizon = SlotHorizon(days=7, tz="Asia/Kolkata", helpline_number="+911140000000")
    save_schedule(session, department.id, [SessionInput("0", "09:00", "13:00", "60", "10", "0")],
                  editor=Editor("admin.one", "admin"), horizon=horizon,
                  now=dt.datetime.now(dt.UTC))
    make_staff(session, "admin.one", role="admin")
    session.commit()
    console.login("admin.one")
    page = console.get(f"/console/admin/hospitals/{hospital.id}").get_data(as_text=True)
    assert '<span class="text-nowrap">9:00 am – 1:00 pm</span>' in page
    assert "09:00–13:00" not in page
    log = console.get("/console/admin/audit").get_data(as_text=True)
    assert "<ins>Mon 9:00 am – 1:00 pm, 60-minute slots of 10 (0 kept for the counter)</ins>" in log
