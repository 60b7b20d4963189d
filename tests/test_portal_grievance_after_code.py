"""A complaint's page (the SMS's link, a bookmark) opened before the mobile is proved
asks for the code and then lands on that same complaint, its query kept, as the
appointment links do: the way on travels as the ``next`` that
``portal_web.verify.step_location`` follows, and only a path of the portal is followed.
Off-site, non-portal, encoded, CR/LF or very long ``next`` values are ignored: the
citizen stays on the page that asked. No URL on the way carries the full mobile, the
complaint's words or an eHealth card number."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from booking_core.appointments import Channel
from booking_core.waiting_list import join_waiting_list
from locales import render
from portal_web.verify import portal_path
from tests.fixtures_api import latest_code
from tests.fixtures_console import make_grievance
from tests.test_portal_pages import E164, PHONE, Portal, _booked
from tests.test_portal_waiting_list import _morning

WORDS = "Toilets near OPD block 2 not cleaned all day."
SHOWN = {"hi": "शिकायत की स्थिति", "en": "Complaint status"}


@pytest.fixture
def portal(client, session):
    return Portal(client, session)


def _complaint(session, phone: str = E164) -> str:
    reference = make_grievance(session, phone=phone, channel="ivr", description=WORDS).reference
    session.commit()
    return reference


def _spaced(reference: str) -> str:
    return f"{reference[:4]} {reference[4:]}"


class Walk:
    """Every URL the walk was sent to or shown as a link or a form's action."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.urls: list[str] = []

    def open(self, link: str) -> str:
        """Open ``link`` unverified, following redirects: the URL of the page shown,
        which must ask for the mobile's code."""
        answer = self.portal.client.get(link, follow_redirects=True)
        self.urls += [r.headers.get("Location", "") for r in answer.history]
        self._seen(answer)
        assert self.portal.status == 200 and 'value="send_code"' in self.portal.page, link
        return answer.request.full_path.rstrip("?")

    def verify(self, here: str, phone: str = PHONE, e164: str = E164) -> str:
        """The code sent and typed on the page at ``here`` (its form posts to its own
        URL): where the 303 after the code goes."""
        self.portal.post(here, {"mobile": phone, "step": "send_code"}, follow=False)
        self.urls.append(self.portal.location)
        self.portal.get(self.portal.location)
        assert 'name="code"' in self.portal.page, self.portal.text()
        code = latest_code(self.portal.session, e164)
        self.portal.post(here, {"mobile": phone, "code": code, "step": "check_code"},
                         follow=False)
        assert self.portal.status == 303, self.portal.status
        self.urls.append(self.portal.location)
        return self.portal.location

    def land(self, location: str) -> str:
        answer = self.portal.client.get(location)
        assert answer.status_code == 200, (location, answer.status_code)
        self._seen(answer)
        return self.portal.text()

    def _seen(self, answer) -> None:
        self.portal.status, self.portal.page = answer.status_code, answer.get_data(as_text=True)
        self.urls += re.findall(r'(?:href|action)="([^"]*)"', self.portal.page)


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("query", ["", "?done=registered"])
def test_a_complaints_link_lands_on_the_complaint_after_the_code(portal, session, lang,
                                                                   query):
    reference = _complaint(session)
    link = f"/portal/grievances/{reference}{query}"
    portal.choose(lang)
    walk = Walk(portal)
    asking = walk.open(link)
    assert walk.verify(asking) == link  # the page asked for, its query kept
    text = walk.land(link)
    assert SHOWN[lang] in text and _spaced(reference) in text
    # A link (an old one with ``done=registered`` too) says nothing was just done.
    assert render(lang, "portal.grievance.registered") not in text
    # Nothing private on the way: not the mobile, not the complaint's words.
    assert walk.urls and not [u for u in walk.urls
                              if "9812345678" in u.replace("%20", "").replace(" ", "")
                              or "Toilets" in u or "OPD+block" in u]


def test_the_complaint_page_asks_in_the_citizens_language_and_offers_the_lookup(
        portal, session):
    reference = _complaint(session)
    portal.choose("hi")
    walk = Walk(portal)
    walk.open(f"/portal/grievances/{reference}")
    assert 'lang="hi"' in portal.page and "शिकायत" in portal.text()
    assert 'href="/portal/grievances/status"' in portal.page  # without a code: number and mobile
    assert WORDS not in portal.page  # nothing of the complaint before the code


def test_another_mobiles_complaint_is_not_shown_after_the_code(portal, session):
    reference = _complaint(session, phone="+919812300001")
    portal.choose("en")
    walk = Walk(portal)
    location = walk.verify(walk.open(f"/portal/grievances/{reference}"))
    assert location == f"/portal/grievances/{reference}"
    answer = portal.client.get(location)
    assert answer.status_code == 404 and WORDS not in answer.get_data(as_text=True)


def test_the_complaint_form_keeps_what_its_link_chose_through_the_code(portal, session,
                                                                       catalogue):
    link = f"/portal/grievances/new?category=cleanliness&hospital={catalogue.hospital.id}"
    portal.choose("en")
    walk = Walk(portal)
    here = walk.open(link)
    walk.portal.post(here, {"category": "cleanliness", "hospital": str(catalogue.hospital.id),
                            "description": WORDS, "mobile": PHONE, "step": "send_code"})
    code = latest_code(session, E164)
    portal.post(here, {"category": "cleanliness", "hospital": str(catalogue.hospital.id),
                       "description": WORDS, "mobile": PHONE, "code": code,
                       "step": "check_code"}, follow=False)
    assert portal.location.startswith("/portal/grievances/new")
    assert WORDS.split()[0] not in portal.location and "98123" not in portal.location
    walk.land(portal.location)
    assert 'value="cleanliness" selected' in portal.page
    assert f'value="{catalogue.hospital.id}" selected' in portal.page
    assert WORDS in portal.page and 'value="register"' in portal.page


def test_no_link_fills_in_a_complaints_words(portal, catalogue):
    portal.choose("en")
    portal.get(f"/portal/grievances/new?category=cleanliness&description={quote(WORDS)}")
    assert portal.status == 200 and 'value="cleanliness" selected' in portal.page
    assert WORDS not in portal.page  # a URL is no place for what a citizen wrote


JUNK = [
    "https://evil.example/portal/", "//evil.example/portal/", "/\\evil.example/portal/",
    "\\\\evil.example", "http:/portal/x", "javascript:alert(1)", "evil.example",
    "/portal/../console/", "/portal/%2e%2e/console/", "/portal/%2F%2Fevil.example",
    "/portal/..%2f..%2fconsole", "/portal/%5Cevil.example", "/portal/%2fevil",
    "/portal/x\r\nSet-Cookie: a=b", "/portal/x%0d%0aSet-Cookie:%20a=b", "/portal/\tx",
    "/portal/x%00", "/elsewhere", "/console/", "", " /portal/", "/portal/" + "a" * 600,
    "/portal/grievances/1?" + "q" * 600,
]


@pytest.mark.parametrize("page", ["grievance", "appointment", "waiting"])
@pytest.mark.parametrize("junk", JUNK)
def test_junk_next_is_ignored_on_every_page_that_asks(portal, session, catalogue, page,
                                                      junk):
    if page == "grievance":
        here = f"/portal/grievances/{_complaint(session)}"
    elif page == "appointment":
        held = _booked(session, catalogue.slot)
        here = f"/portal/appointments/{held.reference}"
        session.commit()
    else:
        m = _morning(session)
        entry = join_waiting_list(session, department_id=m.department_id, day=m.day,
                                  phone=E164, channel=Channel.IVR)[0]
        here = f"/portal/waiting-list/{entry.id}"
        session.commit()
    portal.choose("en")
    walk = Walk(portal)
    asking = walk.open(f"{here}?next={quote(junk, safe='')}")
    location = walk.verify(asking)
    assert location == here, (junk, location)  # the page itself, the junk not kept
    assert "\r" not in location and "\n" not in location
    walk.land(location)
    assert 'name="code"' not in portal.page


@pytest.mark.parametrize("value", JUNK)
def test_junk_is_no_portal_path(value):
    assert portal_path(value) is None


@pytest.mark.parametrize("value", [
    "/portal/grievances/12345678", "/portal/grievances/12345678?done=registered",
    "/portal/appointments/AB12CD34/reschedule?day=2031-01-02",
    "/portal/book?q=a%2Fb", "/portal/book?q=lok%20nayak",  # a search, as a form sends it
])
def test_the_portals_own_paths_are_kept(value):
    assert portal_path(value) == value


@pytest.mark.parametrize("junk", JUNK)
def test_the_language_switch_ignores_junk_by_the_same_test(client, junk):
    answer = client.get(f"/portal/lang/en?next={quote(junk, safe='')}")
    assert answer.status_code == 303 and answer.headers["Location"] == "/portal/"


def test_the_language_switch_comes_back_to_a_complaint_asking_for_its_code(portal, session):
    reference = _complaint(session)
    portal.choose("hi")
    here = Walk(portal).open(f"/portal/grievances/{reference}")
    switch = re.search(r'href="(/portal/lang/en\?next=[^"]+)"', portal.page)
    assert switch, "no language switch"
    answer = portal.client.get(switch.group(1).replace("&amp;", "&"))
    assert answer.headers["Location"] == here
