"""The day's waiting list on the portal, without JavaScript: offered only where every
seat of a day is taken, joined through the mobile's one-time code, the place said in a
whole sentence per case (none, one, more ahead) in Hindi and English, joined once,
listed with the appointments and left (only one's own; an offer held passes on). Bad
ids and days get a page in the citizen's language, never a 500; no URL carries the
mobile."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from booking_core.appointments import Channel, cancel_appointment
from booking_core.waiting_list import WaitingListEntry, WaitStatus, join_waiting_list
from locales.formatting import format_date
from tests.factories import make_slot
from tests.fixtures_api import reading
from tests.opd_factories import book, mobile, opd_morning
from tests.test_portal_pages import E164, Portal


@pytest.fixture
def portal(client, session):
    return Portal(client, session)


@dataclass
class Day:
    """A department's morning as plain values, read before any request: on SQLite a
    lazy load during a test begins a transaction holding the write lock while the app
    answers."""

    hospital_id: int
    department_id: int
    day: dt.date
    starts_at: dt.datetime
    names: dict[str, tuple[str, str]]
    held_reference: str | None = None
    held_token: int | None = None
    others: list[int] = field(default_factory=list)


def _morning(session, *, full: bool = True, others: int = 0) -> Day:
    morning = opd_morning(session, slots=1, capacity=1)
    slot, department, hospital = morning.slots[0], morning.department, morning.hospital
    found = Day(hospital.id, department.id, slot.local_day, slot.starts_at,
                {lang: (hospital.name(lang), department.name(lang)) for lang in ("hi", "en")})
    if full:
        held = book(session, slot)
        found.held_reference, found.held_token = held.reference, held.token
    found.others = _others_join(session, found, others)
    session.commit()
    return found


def _others_join(session, m: Day, n: int) -> list[int]:
    return [join_waiting_list(session, department_id=m.department_id, day=m.day,
                              phone=mobile(), channel=Channel.IVR)[0].id for _ in range(n)]


def _times(m: Day) -> str:
    return f"/portal/book/{m.hospital_id}/{m.department_id}"


def _join_link(m: Day, day: dt.date) -> str:
    return f"/portal/waiting-list/join?department={m.department_id}&amp;day={day}"


def _join_url(m: Day, day: dt.date) -> str:
    return f"/portal/waiting-list/join?department={m.department_id}&day={day}"


def _join_on_the_portal(portal, m: Day) -> str:
    """Verify the mobile on the join page and join; returns the entry page's path."""
    portal.get(_join_url(m, m.day))
    form = {"department": str(m.department_id), "day": m.day.isoformat()}
    portal.verify("/portal/waiting-list/join", form)
    assert 'value="join"' in portal.page
    portal.post("/portal/waiting-list/join", {**form, "step": "join"}, follow=False)
    assert portal.status == 303, portal.page
    location = portal.location
    assert re.fullmatch(r"/portal/waiting-list/\d+", location), location
    portal.get(location)
    assert portal.status == 200
    return location


def test_the_offer_is_shown_only_for_a_full_day(portal, session):
    m = _morning(session, full=False)
    portal.choose("en")
    portal.get(_times(m))
    assert "waiting list" not in portal.text()  # a free seat: book it
    with reading(session):
        book(session, _slot(session, m))
    portal.get(_times(m))
    assert portal.status == 200
    assert "These days are fully booked" in portal.text()
    assert _join_link(m, m.day) in portal.page
    # A department with a free day too: the full day is offered when asked for by name.
    with reading(session):
        free_day = make_slot(session, _slot(session, m).department, capacity=2,
                             at=m.starts_at + dt.timedelta(days=1)).local_day
    portal.get(_times(m))
    assert "waiting list" not in portal.text()
    portal.get(f"{_times(m)}?day={m.day}")
    assert _join_link(m, m.day) in portal.page
    assert f"{format_date('en', m.day)} is fully booked." in portal.text()
    portal.get(f"{_times(m)}?day={free_day}")
    assert "waiting list" not in portal.text()
    portal.choose("hi")
    portal.get(f"{_times(m)}?day={m.day}")
    assert f"{format_date('hi', m.day)} की प्रतीक्षा सूची में जुड़ें" in portal.text()


def _slot(session, m: Day):
    from booking_core.slots import Slot

    return session.scalar(select(Slot).where(Slot.department_id == m.department_id,
                                             Slot.local_day == m.day))


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_joining_through_the_code_says_the_day_the_place_and_the_offer(portal, session,
                                                                         lang):
    m = _morning(session)
    portal.choose(lang)
    portal.get(_join_url(m, m.day))
    assert portal.status == 200 and 'value="join"' not in portal.page  # verify first
    assert 'value="send_code"' in portal.page
    entry_page = _join_on_the_portal(portal, m)
    text = portal.text()
    words = {
        "en": ("You are on the waiting list.", "You are first on the list.",
               "When an appointment opens up, we will send you an SMS and call you. It is held "
               "for you for 10 minutes: press 1 on the call to take it."),
        "hi": ("आप प्रतीक्षा सूची में जुड़ गए हैं।", "आप सूची में सबसे पहले हैं।",
               "अपॉइंटमेंट खाली होते ही हम आपको एसएमएस भेजेंगे और कॉल करेंगे। वह 10 मिनट तक "
               "आपके लिए रखा रहेगा: उसे लेने के लिए कॉल पर 1 दबाएँ।"),
    }[lang]
    assert all(w in text for w in words), text
    assert all(name in text for name in m.names[lang])
    assert format_date(lang, m.day) in text
    with reading(session):
        entry = session.scalar(select(WaitingListEntry).where(WaitingListEntry.phone == E164))
        assert entry.status == WaitStatus.WAITING and entry.language == lang
        assert entry_page == f"/portal/waiting-list/{entry.id}"
    # Joining twice: the same entry, the same place.
    portal.get(_join_url(m, m.day))
    form = {"department": str(m.department_id), "day": m.day.isoformat(), "step": "join"}
    portal.post("/portal/waiting-list/join", form, follow=False)
    assert portal.location == entry_page
    with reading(session):
        assert len(session.scalars(select(WaitingListEntry.id)).all()) == 1


@pytest.mark.parametrize(("ahead", "lang", "said"), [
    (1, "en", "1 person is ahead of you."), (2, "en", "2 people are ahead of you."),
    (1, "hi", "आपसे पहले 1 व्यक्ति है।"), (3, "hi", "आपसे पहले 3 लोग हैं।"),
])
def test_the_place_is_a_sentence_per_count(portal, session, ahead, lang, said):
    m = _morning(session, others=ahead)
    portal.choose(lang)
    _join_on_the_portal(portal, m)
    assert said in portal.text()


def test_my_appointments_lists_the_entry_and_leaving_asks_first(portal, session):
    m = _morning(session, others=1)
    portal.choose("en")
    entry_page = _join_on_the_portal(portal, m)
    entry_id = int(entry_page.rsplit("/", 1)[1])
    portal.get("/portal/appointments")
    assert "Your waiting lists" in portal.text() and "1 person is ahead of you." in portal.text()
    assert f'href="{entry_page}/leave"' in portal.page
    portal.get(f"{entry_page}/leave")
    assert f"Leave the waiting list for {m.names['en'][1]} at {m.names['en'][0]}" \
        in portal.text()
    assert 'id="stay"' in portal.page
    portal.post(f"{entry_page}/leave", {}, follow=False)  # no confirm: back to the question
    assert portal.status == 303 and portal.location == f"{entry_page}/leave"
    portal.get(f"{entry_page}/leave")
    portal.post(f"{entry_page}/leave", {"confirm": "yes"})
    assert portal.redirects == [303] and "You have left the waiting list." in portal.text()
    with reading(session):
        assert session.get(WaitingListEntry, entry_id).status == WaitStatus.LEFT
    portal.get("/portal/appointments")
    assert "Your waiting lists" not in portal.text()
    portal.get(f"{entry_page}/leave")  # left already: no question, the entry's page
    assert "You are no longer on this waiting list." in portal.text()
    portal.get(_join_url(m, m.day))  # a page with a form, for its CSRF token
    portal.post(f"{entry_page}/leave", {"confirm": "yes"})  # a second confirmation
    assert portal.status == 200 and "no longer on this waiting list" in portal.text()


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_another_persons_entry_is_not_found_and_stays(portal, session, lang):
    m = _morning(session, others=1)
    theirs = m.others[0]
    portal.choose(lang)
    portal.get("/portal/appointments")
    portal.verify("/portal/appointments")
    said = {"en": "We found no such waiting-list place for this mobile number.",
            "hi": "इस मोबाइल नंबर के लिए प्रतीक्षा सूची में ऐसी कोई जगह नहीं मिली।"}[lang]
    for path in (f"/portal/waiting-list/{theirs}", f"/portal/waiting-list/{theirs}/leave",
                 "/portal/waiting-list/99999999"):
        portal.get(path)
        assert portal.status == 404 and said in portal.text(), path
    portal.get(_join_url(m, m.day))  # a page with a form, for its CSRF token
    portal.post(f"/portal/waiting-list/{theirs}/leave", {"confirm": "yes"})
    assert portal.status == 404 and said in portal.text()
    with reading(session):
        assert session.get(WaitingListEntry, theirs).status == WaitStatus.WAITING


def test_leaving_an_offer_on_the_portal_passes_the_seat_on(portal, session):
    m = _morning(session)
    portal.choose("en")
    entry_page = _join_on_the_portal(portal, m)
    with reading(session):
        nxt = _others_join(session, m, 1)[0]
        cancel_appointment(session, m.held_reference, channel=Channel.PORTAL)
    portal.get(entry_page)
    assert "An appointment has opened up and is held for you until" in portal.text()
    portal.get(f"{entry_page}/leave")
    assert "The appointment now held for you will go to the next person waiting." in portal.text()
    portal.post(f"{entry_page}/leave", {"confirm": "yes"})
    assert "The appointment held for you goes to the next person waiting." in portal.text()
    with reading(session):
        entry = session.get(WaitingListEntry, nxt)
        assert entry.status == WaitStatus.OFFERED and entry.offered_token == m.held_token


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_bad_join_links_get_a_page_in_the_citizens_language(portal, session, lang):
    m = _morning(session, full=False)
    portal.choose(lang)
    cases = [
        (f"/portal/waiting-list/join?department=abc&day={m.day}", 404,
         {"en": "We found no such department.", "hi": "ऐसा कोई विभाग नहीं मिला।"}),
        (f"/portal/waiting-list/join?department=99999999&day={m.day}", 404,
         {"en": "We found no such department.", "hi": "ऐसा कोई विभाग नहीं मिला।"}),
        (f"/portal/waiting-list/join?department={m.department_id}&day=2026-02-30", 400,
         {"en": "", "hi": ""}),
        (_join_url(m, m.day + dt.timedelta(days=400)), 422,
         {"en": "Bookings open only a few", "hi": "बुकिंग"}),
        (_join_url(m, m.day - dt.timedelta(days=30)), 422,
         {"en": "That day has passed.", "hi": "वह दिन बीत चुका है।"}),
        (_join_url(m, m.day + dt.timedelta(days=1)), 422,
         {"en": "This department holds no OPD on that day.",
          "hi": "उस दिन इस विभाग की ओपीडी नहीं है।"}),
        (_join_url(m, m.day), 409,
         {"en": "That day still has appointments left. Book one instead of waiting.",
          "hi": "उस दिन अभी अपॉइंटमेंट खाली हैं।"}),
    ]
    for path, status, words in cases:
        portal.get(path)
        assert portal.status == status, (path, portal.status)
        assert words[lang] in portal.text(), (path, portal.text())
        assert f'lang="{lang}"' in portal.page
    # Seats free: the way on is that day's times.
    assert f'href="/portal/book/{m.hospital_id}/{m.department_id}?day={m.day}"' in portal.page


def test_no_url_or_log_carries_the_mobile(portal, session, caplog):
    m = _morning(session)
    portal.choose("en")
    entry_page = _join_on_the_portal(portal, m)
    assert "9812345678" not in entry_page and "9812345678" not in portal.location
    assert "9812345678" not in caplog.text


def test_joining_or_opening_an_entry_unverified_asks_for_the_code_first(portal, session,
                                                                       client):
    m = _morning(session)
    portal.choose("en")
    portal.get(_join_url(m, m.day))
    form = {"department": str(m.department_id), "day": m.day.isoformat(), "step": "join"}
    portal.post("/portal/waiting-list/join", form)  # a join button forged before the code
    assert portal.refused and "Verify your mobile number first." in portal.text()
    with reading(session):
        assert session.scalars(select(WaitingListEntry.id)).all() == []
    entry_page = _join_on_the_portal(portal, m)
    client.delete_cookie("portal_mobile", path="/portal")  # the proof gone (another day)
    portal.get(entry_page)
    assert portal.status == 200 and 'value="send_code"' in portal.page
    assert "ahead" not in portal.text() and m.names["en"][0] not in portal.text()
