"""A hospital's supervisor (and agent) in the console next to the helpline's own: the
contact centre's operations (wallboard, failed messages, call figures) are refused,
figures and lists about grievances and appointments keep to their hospital, and the
domain refuses acting on another hospital's appointment or assigning a grievance to
someone who cannot see it. Pages are parsed, not searched as text."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from booking_core.appointments import (
    Appointment,
    AppointmentStatus,
    Channel,
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
)
from booking_core.base import NotFound
from grievances.escalation import escalate_overdue
from grievances.models import Grievance
from grievances.workflow import AssigneeCannotSee, assign_grievance, transfer_grievance
from locales import render
from tests.factories import make_department, make_hospital, make_slot
from tests.fixtures_console import ConsoleClient, make_grievance, make_staff
from tests.report_data import DAY, make_report_day

REFUSED_HI = "इस पेज तक आपकी पहुँच नहीं है।"
REFUSED_EN = "You do not have access to this page."


class Page(HTMLParser):
    """What a test reads of a console page: every link, the text of each element with
    an ``id`` (its descendants' text included), and each ``select``'s options."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[str] = []
        self.text_by_id: dict[str, str] = {}
        self.options: dict[str, list[tuple[str, str]]] = {}
        self.references: list[str] = []  # ``data-reference`` of the listed bookings
        self._open: list[tuple[str, str | None]] = []  # (tag, id) of open elements
        self._select: str | None = None
        self._option: str | None = None
        self.feed(html)
        self.close()

    VOID = {"br", "img", "input", "link", "meta", "hr", "source", "wbr", "rect"}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if a.get("data-reference"):
            self.references.append(a["data-reference"])
        if tag == "select":
            self._select = a.get("id", a.get("name", ""))
            self.options[self._select] = []
        if tag == "option" and self._select is not None:
            self._option = a.get("value", "")
            self.options[self._select].append((self._option, ""))
        if tag in self.VOID:
            return
        if a.get("id"):
            self.text_by_id.setdefault(a["id"], "")
        self._open.append((tag, a.get("id")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "option":
            self._option = None
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break

    def handle_data(self, data: str) -> None:
        for _tag, ident in self._open:
            if ident:
                self.text_by_id[ident] += data
        if self._select is not None and self._option is not None:
            value, words = self.options[self._select][-1]
            self.options[self._select][-1] = (value, words + data.strip())

    def text(self, ident: str) -> str:
        return " ".join(self.text_by_id[ident].split())

    def links_to(self, path: str) -> list[str]:
        return [h for h in self.links if h.split("?")[0] == path]


def _page(answer) -> Page:
    return Page(answer.get_data(as_text=True))


def _sign_in(console: ConsoleClient, username: str) -> ConsoleClient:
    assert console.login(username).status_code == 302
    return console


# --- 1. the supervisor's pages -------------------------------------------------------------

@pytest.fixture
def day(session):
    """The reports' hand-counted day (two hospitals, calls, bookings, grievances), a
    supervisor of hospital A (Hindi) and one of the helpline (English)."""
    made = make_report_day(session)
    make_staff(session, "super.aruna", role="supervisor", hospital_id=made["a"].id,
               language="hi")
    make_staff(session, "super.helpline", role="supervisor", language="en")
    session.rollback()
    return made


OPERATIONS = ("/console/wallboard", "/console/outbox")


def test_a_hospitals_supervisor_is_refused_the_contact_centres_operations(console, day):
    _sign_in(console, "super.aruna")
    for path in OPERATIONS:
        answer = console.get(path)
        assert answer.status_code == 403, path
        assert REFUSED_HI in answer.get_data(as_text=True), path
    assert console.get("/console/wallboard", headers={"X-Fragment": "1"}).status_code == 403
    for action in ("resend", "handled"):
        assert console.post(f"/console/outbox/1/{action}").status_code == 403
    home = _page(console.get("/console/"))
    for path in OPERATIONS:
        assert home.links_to(path) == [], path
    # what is theirs stays in the navigation
    assert home.links_to("/console/reports") and home.links_to("/console/escalations")


def test_a_hospitals_staff_do_not_read_the_demo_inbox(app, console, day):
    """Without Twilio every citizen's SMS lands in the demo inbox: the helpline's staff
    read it, a hospital's do not (nor see its link)."""
    settings = app.extensions["helpline"].settings
    app.extensions["helpline"].settings = settings.with_overrides(
        twilio_account_sid="", twilio_auth_token="")
    _sign_in(console, "super.aruna")
    assert console.get("/console/demo-inbox").status_code == 403
    assert _page(console.get("/console/")).links_to("/console/demo-inbox") == []
    assert console.post("/console/logout").status_code in (302, 303)
    _sign_in(console, "super.helpline")
    assert console.get("/console/demo-inbox").status_code == 200
    assert _page(console.get("/console/")).links_to("/console/demo-inbox")


def test_the_helplines_supervisor_keeps_the_operations(console, day):
    _sign_in(console, "super.helpline")
    home = _page(console.get("/console/"))
    for path in OPERATIONS:
        assert home.links_to(path), path
        assert console.get(path).status_code == 200, path


def test_a_hospitals_report_holds_its_bookings_and_grievances_and_no_calls(console, day):
    _sign_in(console, "super.aruna")
    answer = console.get(f"/console/reports?period=day&day={DAY}")
    assert answer.status_code == 200
    page = _page(answer)
    assert page.text("report-scope") == "सिर्फ़ अरुणा आसफ़ अली अस्पताल की बुकिंग और शिकायतें।"
    for ident in ("rep-calls", "rep-hours", "rep-funnel", "sl-figure", "rep-aht"):
        assert ident not in page.text_by_id, ident
    bookings = page.text("rep-bookings")
    assert "अरुणा आसफ़ अली अस्पताल" in bookings and "भगवान महावीर" not in bookings
    grievances = page.text("rep-grievances")
    assert "अरुणा आसफ़ अली अस्पताल" in grievances
    assert page.text("rep-registered") == "2"  # not the helpline's 3
    assert not [h for h in page.links if "table=calls" in h or "table=ivr" in h]
    for table in ("calls", "ivr"):
        answer = console.get(f"/console/reports?period=day&day={DAY}&format=csv&table={table}")
        assert answer.status_code == 403, table
        assert REFUSED_HI in answer.get_data(as_text=True)
    csv = console.get(f"/console/reports?period=day&day={DAY}&format=csv&table=bookings")
    rows = csv.get_data(as_text=True).splitlines()[1:]
    assert rows and all(r.startswith("अरुणा आसफ़ अली अस्पताल,") for r in rows)
    channels = console.get(f"/console/reports?period=day&day={DAY}&format=csv&table=channels")
    assert sum(int(r.split(",")[-1]) for r in
               channels.get_data(as_text=True).splitlines()[1:]) == 3  # not 4


def test_the_helplines_report_holds_every_hospital_and_the_calls(console, day):
    _sign_in(console, "super.helpline")
    page = _page(console.get(f"/console/reports?period=day&day={DAY}"))
    assert "report-scope" not in page.text_by_id  # the whole helpline: no hospital named
    assert page.text("rep-calls") == "8"
    assert "rep-funnel" in page.text_by_id
    assert "Bhagwan Mahavir Hospital" in page.text("rep-bookings")
    assert page.text("rep-registered") == "3"
    answer = console.get(f"/console/reports?period=day&day={DAY}&format=csv&table=calls")
    assert answer.status_code == 200


def test_escalations_keep_to_the_supervisors_hospital(session, console, now):
    """A grievance escalated to a hospital's supervisor and moved to another hospital
    since leaves their escalations page and badge; the helpline's supervisor's list is
    unchanged."""
    aruna = make_hospital(session, name_en="Aruna Asaf Ali Hospital")
    other = make_hospital(session, name_en="Other Hospital")
    make_staff(session, "super.aruna", role="supervisor", hospital_id=aruna.id, language="hi")
    stays = make_grievance(session, hospital_id=aruna.id, now=now - dt.timedelta(days=30))
    moves = make_grievance(session, hospital_id=aruna.id, now=now - dt.timedelta(days=30),
                           description="The ward's fans do not work at all.")
    assert escalate_overdue(session, now=now) == 2
    transfer_grievance(session, moves.id, hospital_id=other.id,
                       reason="It is about the other hospital.", actor="test")
    session.rollback()
    _sign_in(console, "super.aruna")
    page = _page(console.get("/console/escalations"))
    listed = page.text("escalations")
    assert stays.reference in listed and moves.reference not in listed
    assert page.text("escalation-badge") == "1 नया"  # the one they may still see


# --- 2. the booking page ------------------------------------------------------------------

CALLER = "+919877700055"


@pytest.fixture
def bookings(session):
    """One caller with a coming appointment at Hanuman Hospital and one at another
    hospital; a free slot more at each; Hanuman's clerk (an agent account of the
    hospital) and a helpline agent."""
    hanuman = make_hospital(session, name_en="Hanuman Hospital")
    other = make_hospital(session, name_en="Other Hospital")
    ours_dep = make_department(session, hanuman, name_en="ENT")
    theirs_dep = make_department(session, other, name_en="Medicine")
    slots = {}
    for key, dep in (("ours", ours_dep), ("theirs", theirs_dep)):
        first = make_slot(session, dep, starts_in=dt.timedelta(days=2, hours=len(slots)))
        slots[key + "_later"] = make_slot(session, dep, starts_in=dt.timedelta(days=3))
        slots[key] = book_appointment(session, slot_id=first.id, phone=CALLER,
                                      channel=Channel.AGENT, language="en")
    make_staff(session, "opd.hanuman", hospital_id=hanuman.id, language="en")
    make_staff(session, "agent.helpline", language="en")
    # Plain values: reading a row again would hold SQLite's lock during a request.
    made = {"hanuman": hanuman.id, "other": other.id,
            "ours": (slots["ours"].id, slots["ours"].reference),
            "theirs": (slots["theirs"].id, slots["theirs"].reference),
            "ours_later": slots["ours_later"].id, "theirs_later": slots["theirs_later"].id}
    session.rollback()
    return made


def _booking_page(console: ConsoleClient) -> Page:
    answer = console.get("/console/booking", query_string={"phone": CALLER},
                         follow_redirects=True)
    assert answer.status_code == 200
    return _page(answer)


def test_a_hospitals_staff_see_only_their_hospitals_bookings_of_a_caller(console, bookings):
    _sign_in(console, "opd.hanuman")
    page = _booking_page(console)
    assert page.references == [bookings["ours"][1]]
    # and book at their hospital only
    assert [v for v, _ in page.options["booking-hospital"] if v] == [
        str(bookings["hanuman"])]


def test_the_helplines_agent_sees_every_booking_of_a_caller(console, bookings):
    _sign_in(console, "agent.helpline")
    page = _booking_page(console)
    assert sorted(page.references) == sorted(
        [bookings["ours"][1], bookings["theirs"][1]])
    assert len([v for v, _ in page.options["booking-hospital"] if v]) >= 2


def _status_and_slot(session, appointment_id: int) -> tuple[AppointmentStatus, int]:
    session.expire_all()
    row = session.get(Appointment, appointment_id)
    found = (row.status, row.slot_id)
    session.rollback()
    return found


def test_a_hospitals_staff_cannot_cancel_move_or_book_at_another_hospital(
        session, console, bookings):
    theirs_id, theirs_ref = bookings["theirs"]
    before = _status_and_slot(session, theirs_id)
    _sign_in(console, "opd.hanuman")
    answer = console.post("/console/booking/cancel", {"reference": theirs_ref,
                                                      "phone": CALLER},
                          follow_redirects=True)
    assert "No appointment has that booking number." in answer.get_data(as_text=True)
    console.post("/console/booking/reschedule", {"reference": theirs_ref,
                                                 "slot": bookings["theirs_later"]})
    assert _status_and_slot(session, theirs_id) == before
    count = session.scalar(select(func.count()).select_from(Appointment))
    session.rollback()
    console.post("/console/booking/book", {"slot": bookings["theirs_later"],
                                           "phone": "9877700066", "language": "en"})
    assert session.scalar(select(func.count()).select_from(Appointment)) == count
    session.rollback()
    # their own hospital's booking they may move
    ours_id, ours_ref = bookings["ours"]
    console.post("/console/booking/reschedule", {"reference": ours_ref,
                                                 "slot": bookings["ours_later"]})
    assert _status_and_slot(session, ours_id) == (AppointmentStatus.BOOKED,
                                                  bookings["ours_later"])


def test_the_domain_refuses_another_hospitals_booking_to_a_hospitals_staff(session, bookings):
    (theirs_id, theirs_ref), hanuman = bookings["theirs"], bookings["hanuman"]
    with pytest.raises(NotFound):
        cancel_appointment(session, theirs_ref, channel=Channel.AGENT,
                           within_hospital=hanuman)
    with pytest.raises(NotFound):
        reschedule_appointment(session, theirs_ref, bookings["theirs_later"],
                               channel=Channel.AGENT, within_hospital=hanuman)
    with pytest.raises(NotFound):
        book_appointment(session, slot_id=bookings["theirs_later"], phone="+919877700077",
                         channel=Channel.AGENT, within_hospital=hanuman)
    assert _status_and_slot(session, theirs_id)[0] == AppointmentStatus.BOOKED
    # the helpline (no hospital) may
    cancel_appointment(session, theirs_ref, channel=Channel.AGENT)
    assert _status_and_slot(session, theirs_id)[0] == AppointmentStatus.CANCELLED


# --- 3. assigning a grievance -------------------------------------------------------------

@pytest.fixture
def people(session):
    """A grievance about Hanuman Hospital and one about no hospital; staff of Hanuman
    (a supervisor in Hindi and a clerk), of another hospital, and of the helpline."""
    hanuman = make_hospital(session, name_en="Hanuman Hospital")
    other = make_hospital(session, name_en="Other Hospital")
    ours = make_grievance(session, hospital_id=hanuman.id)
    nowhere = make_grievance(session, description="The ambulance was late for my father.")
    ids = {"ours": ours.id, "nowhere": nowhere.id}
    for username, role, hospital in (
            ("super.hanuman", "supervisor", hanuman.id), ("opd.hanuman", "agent", hanuman.id),
            ("opd.other", "agent", other.id), ("super.other", "supervisor", other.id),
            ("agent.helpline", "agent", None), ("super.helpline", "supervisor", None),
            ("admin.one", "admin", None)):
        ids[username] = make_staff(session, username, role=role, hospital_id=hospital,
                                   language="hi" if username == "super.hanuman" else "en").id
    session.rollback()
    return ids


def _assignable(console: ConsoleClient, grievance_id: int) -> set[int]:
    page = _page(console.get(f"/console/grievances/{grievance_id}"))
    return {int(v) for v, _ in page.options["assign-agent"] if v}


def test_the_assign_list_names_only_staff_who_can_see_the_grievance(console, people):
    _sign_in(console, "super.hanuman")
    assert _assignable(console, people["ours"]) == {
        people[u] for u in ("super.hanuman", "opd.hanuman", "agent.helpline",
                            "super.helpline")}
    console.post("/console/logout")
    _sign_in(console, "super.helpline")
    # a grievance about no hospital: no hospital's staff can open it
    assert _assignable(console, people["nowhere"]) == {
        people["agent.helpline"], people["super.helpline"]}
    assert people["opd.other"] not in _assignable(console, people["ours"])


def _assignee(session, grievance_id: int) -> int | None:
    session.expire_all()
    found = session.scalar(select(Grievance.assigned_to_id)
                           .where(Grievance.id == grievance_id))
    session.rollback()
    return found


def test_assigning_to_someone_who_cannot_see_it_is_refused_in_words(session, console,
                                                                    people):
    _sign_in(console, "super.helpline")
    answer = console.post(f"/console/grievances/{people['ours']}/assign",
                          {"agent": str(people["opd.other"])}, follow_redirects=True)
    assert render("en", "console.err.assignee_cannot_see") in answer.get_data(as_text=True)
    assert _assignee(session, people["ours"]) is None
    console.post("/console/logout")
    _sign_in(console, "super.hanuman")
    answer = console.post(f"/console/grievances/{people['ours']}/assign",
                          {"agent": str(people["super.other"])}, follow_redirects=True)
    assert render("hi", "console.err.assignee_cannot_see") in answer.get_data(as_text=True)
    assert _assignee(session, people["ours"]) is None
    console.post(f"/console/grievances/{people['ours']}/assign",
                 {"agent": str(people["opd.hanuman"])})
    assert _assignee(session, people["ours"]) == people["opd.hanuman"]


def test_the_domain_refuses_an_assignee_who_cannot_see_the_grievance(session, people):
    for grievance, person in (("ours", "opd.other"), ("nowhere", "opd.hanuman"),
                              ("nowhere", "super.hanuman")):
        with pytest.raises(AssigneeCannotSee) as refused:
            assign_grievance(session, people[grievance], agent_id=people[person],
                             actor="super.helpline")
        assert refused.value.code == "assignee_cannot_see"
        assert _assignee(session, people[grievance]) is None, (grievance, person)
    assign_grievance(session, people["nowhere"], agent_id=people["agent.helpline"],
                     actor="super.helpline")
    assert _assignee(session, people["nowhere"]) == people["agent.helpline"]


def test_the_refusal_has_words_in_both_languages():
    english = render("en", "console.err.assignee_cannot_see")
    hindi = render("hi", "console.err.assignee_cannot_see")
    assert english and hindi and english != hindi
    assert "शिकायत" in hindi and "console.err" not in english + hindi
