"""The reports' figures against a hand-counted day (tests/report_data.py), on PostgreSQL
and SQLite, and the reports page and its CSV exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest

from booking_core.base import InvalidInput
from contact_centre.reports import (
    CSV_COLUMNS,
    build_report,
    grievances_by_category,
    report_period,
)
from tests.fixtures_console import make_staff
from tests.report_data import DAY, make_report_day


@pytest.fixture
def report(session):
    made = make_report_day(session)
    return build_report(session, report_period("day", DAY), within_hospital=None,
                        now=THE_DAY_AFTER), made


# When the report is read: the next morning (what is decided by then is counted).
THE_DAY_AFTER = dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.UTC)


def test_periods_are_local_days_monday_weeks_and_calendar_months():
    day = report_period("day", DAY)
    assert day.start == dt.datetime(2026, 11, 29, 18, 30, tzinfo=dt.UTC)
    assert day.end == dt.datetime(2026, 11, 30, 18, 30, tzinfo=dt.UTC)
    week = report_period("week", dt.date(2026, 12, 2))
    assert (week.first_day, week.last_day) == (dt.date(2026, 11, 30), dt.date(2026, 12, 6))
    month = report_period("month", dt.date(2026, 2, 14))
    assert (month.first_day, month.last_day) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    with pytest.raises(InvalidInput):
        report_period("year", DAY)


def test_call_totals(report):
    calls = report[0].calls
    # Eight inbound calls on the day: the outbound one and the two either side of
    # midnight are outside it.
    assert calls.calls == 8
    assert (calls.offered, calls.answered, calls.answered_in_target) == (4, 2, 1)
    assert (calls.abandoned, calls.callback) == (1, 1)
    assert calls.service_level == pytest.approx(1 / 3)  # 1 in 30 s of 2 answered + 1 gone
    assert calls.average_wait_seconds == 40  # 20 s and 60 s
    assert calls.average_handling_seconds == 210  # 300 s and 120 s
    # Booked alone, hung up in the complaint menu, hung up at the language menu; the
    # ambulance call needed a person.
    assert (calls.contained, calls.self_served) == (3, 1)
    assert calls.containment == pytest.approx(3 / 8)
    assert (calls.callbacks_requested, calls.called_back) == (2, 1)


def test_calls_by_local_hour(report):
    hours = {h.hour: h for h in report[0].hours}
    assert len(hours) == 24
    assert (hours[9].calls, hours[9].offered, hours[9].answered,
            hours[9].answered_in_target) == (3, 2, 2, 1)
    assert (hours[10].calls, hours[10].abandoned, hours[10].callback,
            hours[10].callbacks_requested, hours[10].called_back) == (3, 1, 1, 1, 1)
    assert (hours[11].calls, hours[13].callbacks_requested, hours[23].calls) == (1, 1, 1)
    assert hours[0].calls == 0 and hours[9].average_handling_seconds == 210
    assert sum(h.calls for h in hours.values()) == 8


def test_ivr_funnel(report):
    funnel = [(s.node, s.reached, s.hung_up, s.asked_for_person) for s in report[0].funnel]
    assert funnel == [
        ("language", 8, 1, 0), ("main", 6, 0, 3), ("beds", 1, 0, 1),
        ("book.department", 1, 0, 0), ("book.done", 1, 0, 0), ("emergency", 1, 0, 0),
        ("griev.category", 1, 1, 0), ("pick.hospital", 1, 0, 0),
    ]
    assert report[0].funnel[0].drop_off == pytest.approx(1 / 8)


def test_bookings_by_channel_hospital_and_department(report):
    bookings = report[0].bookings
    assert bookings.by_channel == {"ivr": 2, "portal": 1, "agent": 1, "sms": 0}
    rows = [(r.hospital_en, r.department_en, r.booked, r.cancelled, r.visits, r.attended,
             r.no_shows) for r in bookings.rows]
    assert rows == [
        ("Aruna Asaf Ali Hospital", "ENT", 2, 1, 0, 0, 0),
        ("Aruna Asaf Ali Hospital", "Medicine", 1, 0, 2, 1, 1),
        ("Bhagwan Mahavir Hospital", "Paediatrics", 1, 0, 0, 0, 0),
    ]


def test_grievances_by_category_and_hospital(report):
    rows = sorted((r.category, r.hospital_en or "", r.registered, r.acknowledged_in_time,
                   r.resolved_in_time, r.escalated, r.appeals, r.acknowledgements_due,
                   r.resolutions_due) for r in report[0].grievances)
    # The second cleanliness complaint was acknowledged late and is not yet due to be
    # resolved; the medicines one has no deadline and is decided neither way.
    assert rows == [("cleanliness", "Aruna Asaf Ali Hospital", 2, 1, 1, 1, 1, 2, 1),
                    ("medicines_unavailable", "", 1, 0, 0, 0, 0, 0, 0)]
    totals = report[0].grievance_totals
    assert (totals.registered, totals.acknowledged_share, totals.resolved_share,
            totals.appeals) == (3, 1 / 2, 1.0, 1)
    assert grievances_by_category(report[0].grievances)["cleanliness"] == 2


def test_a_share_in_time_counts_only_what_is_decided(session):
    """A complaint still inside its deadline is neither in time nor late: unresolved
    before its resolution deadline it is no part of the share; past it, late."""
    make_report_day(session)
    day = report_period("day", DAY)
    before = build_report(session, day, within_hospital=None,
                          now=THE_DAY_AFTER).grievance_totals
    assert (before.resolved_in_time, before.resolutions_due, before.resolved_share) == (
        1, 1, 1.0)
    later = dt.datetime(2026, 12, 20, tzinfo=dt.UTC)  # past the 15-day resolution deadline
    late = build_report(session, day, within_hospital=None, now=later).grievance_totals
    assert (late.resolved_in_time, late.resolutions_due, late.resolved_share) == (1, 2, 0.5)


def test_a_complaint_just_registered_is_no_share_yet(session):
    """Registered a minute ago: its deadlines are days away, so today's report has no
    share to give ("—"), not 0% acknowledged or resolved in time."""
    from tests.fixtures_console import make_grievance

    make_grievance(session)
    session.commit()
    today = dt.datetime.now(ZoneInfo("Asia/Kolkata")).date()
    totals = build_report(session, report_period("day", today),
                          within_hospital=None).grievance_totals
    assert totals.registered == 1 and totals.acknowledgements_due == 0
    assert (totals.acknowledged_share, totals.resolved_share) == (None, None)


def test_a_week_holds_the_next_day_too(session):
    make_report_day(session)
    week = build_report(session, report_period("week", DAY), within_hospital=None)
    assert week.calls.calls == 9


def test_reports_page_is_for_supervisors_and_shows_the_figures(session, console, report):
    make_staff(session, "agent.rep")
    console.login("agent.rep")
    assert console.get(f"/console/reports?period=day&day={DAY}").status_code == 403
    console.post("/console/logout")
    make_staff(session, "super.rep", role="supervisor", language="en")
    console.login("super.rep")
    page = console.get(f"/console/reports?period=day&day={DAY}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="sl-figure"' in html and "33%" in html  # service level 1 in 3
    assert "<svg" in html and "Aruna Asaf Ali Hospital" in html
    assert "{" not in html.split("<main", 1)[1].replace("{{", "")  # nothing unfilled
    # Waits and handling times to the second, the way the wallboard writes them too.
    assert re.search(r'id="rep-wait">40 s<', html)
    assert re.search(r'id="rep-aht">3 min 30 s<', html)  # 300 s and 120 s
    # A bar's name stands alone: a capital, as the table beside it ("phone" is for
    # sentences such as "registered · phone").
    bars = re.findall(r'<dt class="hbar-name">([^<]+)</dt>', html)
    assert {"Phone", "Portal", "Console", "SMS"} <= set(bars), bars
    assert all(name[:1].isupper() for name in bars), bars


def test_reports_page_refuses_bad_input_in_words(session, console):
    make_staff(session, "super.bad", role="supervisor", language="en")
    console.login("super.bad")
    for query in ("period=year", "day=2026-13-45", "table=nope&format=csv"):
        answer = console.get(f"/console/reports?{query}")
        assert answer.status_code == 400, query
        assert "<html" in answer.get_data(as_text=True)


def test_csv_exports_have_their_columns_and_figures(session, console, report):
    make_staff(session, "super.csv", role="supervisor", language="en")
    console.login("super.csv")
    tables = {}
    for table, columns in CSV_COLUMNS.items():
        answer = console.get(f"/console/reports?period=day&day={DAY}&format=csv&table={table}")
        assert answer.status_code == 200 and answer.mimetype == "text/csv"
        assert f"reports-{table}-day-{DAY}.csv" in answer.headers["Content-Disposition"]
        assert answer.get_data().startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
        rows = list(csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
        # A column of codes has the name a person reads beside it.
        coded = {"ivr": "node", "channels": "channel", "grievances": "category"}.get(table)
        named = list(columns)
        if coded:
            named.insert(named.index(coded) + 1, f"{coded}_name")
        assert rows[0] == named
        tables[table] = rows[1:]
    assert tables["calls"][9][:5] == ["09:00", "3", "2", "2", "1"]
    assert ["language", "Welcome and language", "8", "1", "0", "12.5"] in tables["ivr"]
    assert ["Aruna Asaf Ali Hospital", "Medicine", "1", "0", "2", "1", "1"] in tables["bookings"]
    assert {code: (name, n) for code, name, n in tables["channels"]} == {
        "ivr": ("Phone", "2"), "portal": ("Portal", "1"), "agent": ("Console", "1"),
        "sms": ("SMS", "0")}
    assert all(row[1] and row[1] != row[0] for row in tables["grievances"])


def test_every_menu_a_call_can_pass_through_has_words_in_both_languages():
    import ivr.call_flow  # noqa: F401  (declares the menus)
    from contact_centre.reports import PERSON_NODES, PeriodKind
    from ivr.choosers import logged_names
    from ivr.engine import FLOW
    from locales import LANGUAGES, catalogs

    nodes = [n.name for n in FLOW.nodes.values() if n.flow == "inbound"]
    # The path's other names: the callback offer is logged under its own name, and a
    # call that ended before any menu or in the queue ends "in" start or queue.
    # Choosers log the hospital menu under its purpose and "did you say ...?" as .confirm.
    keys = [f"console.node.{n}" for n in [*nodes, *PERSON_NODES, *logged_names(), "start",
                                          "queue"]]
    keys += [f"console.rep.period_{p.value}" for p in PeriodKind]
    for lang in LANGUAGES:
        assert [k for k in keys if k not in catalogs()[lang]] == [], lang


def test_the_demo_calls_paths_use_names_the_phone_line_writes():
    """The demo's call log must look like a real one: a name no call can write (an old
    ``grievance.category``) would show as "Other" in the reports."""
    import ivr.call_flow  # noqa: F401  (declares the menus)
    from contact_centre.reports import PERSON_NODES
    from helpline.demo_activity import CALLS
    from ivr.choosers import logged_names
    from ivr.engine import FLOW

    written = {n.name for n in FLOW.nodes.values()} | set(PERSON_NODES) | set(logged_names())
    used = {name for call in CALLS for name in call[3]}
    assert used - written == set()


@pytest.mark.parametrize("name", ["book.hospital", "beds.hospital", "griev.hospital",
                                  "book.department.confirm", "griev.hospital.confirm"])
def test_a_chooser_menu_has_its_own_words_not_other(name):
    from locales import LANGUAGES, render

    for lang in LANGUAGES:
        words = render(lang, f"console.node.{name}")
        assert words and words != render(lang, "console.other_value"), (name, lang)


@pytest.mark.parametrize(("seconds", "en", "hi"), [
    (0, "0 s", "0 सेकंड"), (45, "45 s", "45 सेकंड"), (60, "1 min", "1 मिनट"),
    (120, "2 min", "2 मिनट"), (201, "3 min 21 s", "3 मिनट 21 सेकंड"),
    (3599, "59 min 59 s", "59 मिनट 59 सेकंड"), (3700, "1 h 1 min", "1 घंटा 1 मिनट"),
    (7200, "2 h", "2 घंटे")])
def test_call_times_are_written_to_the_second(seconds, en, hi):
    from agent_console import i18n
    from helpline.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings("sqlite://"))
    for lang, want in (("en", en), ("hi", hi)):
        with app.test_request_context(), pytest.MonkeyPatch.context() as mp:
            mp.setattr(i18n, "current_language", lambda lang=lang: lang)
            assert i18n.call_time(seconds) == want

@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_a_day_out_of_range_is_refused_in_words_not_a_500(session, console, day, period):
    make_staff(session, "super.far", role="supervisor", language="hi")
    console.login("super.far")
    answer = console.get(f"/console/reports?period={period}&day={day}")
    assert answer.status_code == 400
    assert "2000-01-01 और 2099-12-31 के बीच की कोई तारीख़ चुनें।" in answer.get_data(as_text=True)


@pytest.mark.parametrize("period", ["day", "week", "month"])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_period_that_has_not_begun_is_refused_in_words(session, console, period, lang):
    """A future day has no figures: its report would read as a day nobody called. The
    period holding today (this week, this month) is a report like any other."""
    from zoneinfo import ZoneInfo

    make_staff(session, f"super.next.{lang}", role="supervisor", language=lang)
    console.login(f"super.next.{lang}")
    today = dt.datetime.now(ZoneInfo("Asia/Kolkata")).date()
    ahead = {"day": 1, "week": 7, "month": 32}[period]
    answer = console.get(f"/console/reports?period={period}&day={today + dt.timedelta(days=ahead)}")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert {"en": "Reports cover days up to today: choose today or an earlier day.",
            "hi": "रिपोर्ट आज तक के दिनों की ही बनती है: आज या उससे पहले का कोई दिन चुनें।"}[
        lang] in html
    assert f'max="{today.isoformat()}"' in html
    current = console.get(f"/console/reports?period={period}&day={today}")
    assert current.status_code == 200
    assert 'id="report-error"' not in current.get_data(as_text=True)


def test_every_console_date_in_a_query_or_form_is_refused_in_words(session, console):
    """The booking page's day, an interim reply's date, a holiday's address: the one
    parser (``booking_core.base.calendar_day``), never an OverflowError."""
    from tests.factories import make_department, make_hospital
    from tests.fixtures_console import make_grievance

    hospital = make_hospital(session)
    department = make_department(session, hospital)
    grievance = make_grievance(session, hospital_id=hospital.id)
    make_staff(session, "admin.far", role="admin", language="en")
    ids = (hospital.id, department.id, grievance.id)
    session.rollback()
    console.login("admin.far")
    for day in ("0001-01-01", "9999-12-31"):
        page = console.get(f"/console/booking?hospital={ids[0]}&department={ids[1]}&day={day}")
        assert page.status_code == 200
        assert "Choose a date between 2000-01-01 and 2099-12-31." in page.get_data(as_text=True)
        answer = console.post(f"/console/grievances/{ids[2]}/interim", {"expected_by": day},
                              follow_redirects=True)
        assert answer.status_code == 200
        assert "Choose a date between 2000-01-01 and 2099-12-31." in answer.get_data(
            as_text=True)
        assert console.post(f"/console/admin/holidays/{day}/delete").status_code == 404
