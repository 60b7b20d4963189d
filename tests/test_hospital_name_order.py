"""Hospital lists and pickers are in the order of the names they show, in the page's
language: a Hindi page lists «अरुणा…», «दीन दयाल…», «भगवान महावीर…» as a Hindi reader
looks for them, not in the order of the English names (Aruna, Bhagwan, Deen). One
helper (``booking_core.hospitals.in_name_order``) orders the portal's booking list,
hospital list and complaint form, and the console's pickers and tables."""

from __future__ import annotations

import html
import re

import pytest

from tests.factories import make_hospital
from tests.fixtures_console import ConsoleClient, make_staff

# (English, Hindi, English short, Hindi short); the English names sort A, B, D, the
# Hindi ones अ, द, भ, and the Hindi short names अ, ड, भ.
NAMES = [
    ("Aruna Asaf Ali Hospital", "अरुणा आसफ़ अली अस्पताल", "AAA Hospital", "अरुणा आसफ़ अली"),
    ("Bhagwan Mahavir Hospital", "भगवान महावीर अस्पताल", "BM Hospital", "भगवान महावीर"),
    ("Deen Dayal Upadhyay Hospital", "दीन दयाल उपाध्याय अस्पताल", "DDU Hospital",
     "डीडीयू अस्पताल"),
]
FULL = {"en": [n[0] for n in NAMES], "hi": [NAMES[0][1], NAMES[2][1], NAMES[1][1]]}
SHORT = {"en": [n[2] for n in NAMES], "hi": [NAMES[0][3], NAMES[2][3], NAMES[1][3]]}


@pytest.fixture
def hospitals(session):
    made = [make_hospital(session, code=en_short.split()[0], name_en=en, name_hi=hi,
                          short_en=en_short, short_hi=hi_short)
            for en, hi, en_short, hi_short in reversed(NAMES)]  # ids in neither order
    return made


def _order(page: str, names: list[str]) -> list[str]:
    """``names`` in the order they first appear in ``page``."""
    found = {name: page.find(name) for name in names}
    assert all(at >= 0 for at in found.values()), found
    return sorted(names, key=found.__getitem__)


def test_in_name_order_sorts_by_the_name_shown_in_the_language(hospitals):
    from booking_core.hospitals import in_name_order

    assert [h.name("hi") for h in in_name_order(hospitals, "hi")] == FULL["hi"]
    assert [h.name("en") for h in in_name_order(hospitals, "en")] == FULL["en"]
    assert [h.short_name("hi") for h in in_name_order(hospitals, "hi", short=True)] \
        == SHORT["hi"]
    assert [h.short_name("en") for h in in_name_order(hospitals, "en", short=True)] \
        == SHORT["en"]


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("path", ["/portal/book", "/portal/hospitals",
                                  "/portal/grievances/new"])
def test_the_portals_hospital_lists_follow_the_pages_language(client, hospitals, lang, path):
    client.get(f"/portal/lang/{lang}")
    page = client.get(path).get_data(as_text=True)
    assert _order(page, FULL[lang]) == FULL[lang]


def test_a_search_keeps_the_best_match_first_then_the_names_order(client, hospitals):
    client.get("/portal/lang/hi")
    page = client.get("/portal/hospitals?q=अस्पताल").get_data(as_text=True)
    assert _order(page, FULL["hi"]) == FULL["hi"]


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_consoles_hospital_pickers_follow_the_agents_language(client, session,
                                                                  hospitals, lang):
    make_staff(session, "admin.lang", role="admin", language=lang)
    console = ConsoleClient(client)
    console.login("admin.lang")
    pickers = {"/console/booking": SHORT, "/console/": SHORT, "/console/admin/users": SHORT,
               "/console/grievances/new": SHORT, "/console/hospitals": FULL,
               "/console/admin/hospitals": FULL}
    for path, names in pickers.items():
        answer = console.get(path)
        assert answer.status_code == 200, path
        page = answer.get_data(as_text=True)
        # The first picker or table that names them (a page may name one elsewhere).
        start = min(page.find(name) for name in names[lang])
        assert _order(page[start:], names[lang]) == names[lang], path


def test_the_consoles_transfer_picker_follows_the_agents_language(client, session,
                                                                  hospitals):
    from tests.fixtures_console import make_grievance

    make_staff(session, "super.hi", role="supervisor", language="hi")
    grievance = make_grievance(session, hospital_id=hospitals[0].id)
    console = ConsoleClient(client)
    console.login("super.hi")
    page = console.get(f"/console/grievances/{grievance.id}").get_data(as_text=True)
    picker = re.search(r'<select id="transfer-hospital".*?</select>', page, re.S)
    assert picker, "no transfer picker"
    assert _order(picker.group(0), SHORT["hi"]) == SHORT["hi"]


def _hospital_choices(page: str) -> list[list[str]]:
    """The names each ``<select>`` of ``page`` offers, for each that offers a hospital
    of ``NAMES`` (by any of its names); its empty choice ("—", "Any") left out."""
    every_name = {name for names in NAMES for name in names}
    found = []
    for select in re.findall(r"<select\b.*?</select>", page, re.S):
        shown = [html.unescape(text).strip() for value, text in re.findall(
            r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select) if value]
        if any(name in every_name for name in shown):
            found.append(shown)
    return found


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_every_console_hospital_choice_shows_the_short_name(client, session, hospitals,
                                                            lang):
    """A list of hospitals to choose from names each the same way on every console page:
    by the short name staff and callers use ("DDU Hospital"), in its order."""
    from tests.fixtures_console import make_grievance

    make_staff(session, "admin.picks", role="admin", language=lang)
    grievance = make_grievance(session, hospital_id=hospitals[0].id)
    console = ConsoleClient(client)
    console.login("admin.picks")
    pages = ["/console/booking", "/console/", "/console/admin/users",
             "/console/grievances/new", f"/console/grievances/{grievance.id}"]
    for path in pages:
        answer = console.get(path)
        assert answer.status_code == 200, path
        choices = _hospital_choices(answer.get_data(as_text=True))
        assert choices, path
        for shown in choices:
            assert shown == SHORT[lang], (path, shown)


def test_every_console_hospital_select_is_drawn_with_the_short_name():
    """The templates' hospital options, each page the test above does not open too."""
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "agent_console" / "templates"
    loops = []
    for template in sorted(folder.rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        for loop in re.findall(r"\{% for h in [^%]*%\}<option.*?\{% endfor %\}", text, re.S):
            loops.append((template.name, loop))
    assert len(loops) >= 5
    drawn_in_full = [name for name, loop in loops if "short_name(lang)" not in loop]
    assert drawn_in_full == []
