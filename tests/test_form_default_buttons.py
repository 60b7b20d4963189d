"""Enter in a text field submits the form's FIRST submit button (HTML's "default
button"), whatever the page looks like. So in every form of the portal and the console
with more than one submit button, the first must be the primary action, never a
secondary one ("Send a new code" before "Verify" once sent a second SMS and voided the
typed code). Every page is rendered through the test client in each state that changes
its buttons (code not sent, code sent, verified) and every form on it is checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from tests.fixtures_console import make_grievance
from tests.test_portal_pages import E164, PHONE, Portal, _booked

# A button marked so is not a form's primary action.
SECONDARY = ("secondary", "btn-link", "btn-outline-secondary")
# Steps that must never be a form's default while another step is offered.
NEVER_DEFAULT = ("send_code",)


@dataclass
class Form:
    line: int
    ident: str = ""
    submits: list[dict[str, str]] = field(default_factory=list)


class Forms(HTMLParser):
    """Each form with its submit buttons in document order (``form=`` owners too)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.open: Form | None = None
        self.owned: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.open = Form(self.getpos()[0], a.get("id", ""))
            self.forms.append(self.open)
        elif (tag == "button" and a.get("type", "submit") == "submit") or (
                tag == "input" and a.get("type") in ("submit", "image")):
            if a.get("form"):
                self.owned.append(a)
            elif self.open is not None:
                self.open.submits.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.open = None

    def close(self) -> None:
        super().close()
        for a in self.owned:
            for form in self.forms:
                if form.ident == a["form"]:
                    form.submits.append(a)


def wrong_defaults(page: str) -> list[str]:
    parser = Forms()
    parser.feed(page)
    parser.close()
    wrong = []
    for form in parser.forms:
        if len(form.submits) < 2:
            continue
        first = form.submits[0]
        classes = first.get("class", "").split()
        if any(c in SECONDARY for c in classes) or first.get("value") in NEVER_DEFAULT:
            wrong.append(f"form at line {form.line}: first of {len(form.submits)} submit "
                         f"buttons is {first}")
    return wrong


def test_the_check_finds_a_secondary_first_button():
    page = ('<form><input name="code"><button type="submit" name="step" value="send_code" '
            'class="secondary">Send a new code</button><button name="step" '
            'value="check_code">Verify</button></form>')
    assert len(wrong_defaults(page)) == 1
    assert wrong_defaults(page.replace(' class="secondary"', "")) != []  # send_code first
    assert wrong_defaults("<form><button>Verify</button><button class='secondary'>"
                          "Again</button></form>") == []


VERIFY_FORMS = ("/portal/appointments", "/portal/grievances/new", "/portal/card")


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_every_portal_form_defaults_to_its_primary_action(client, session, catalogue, lang):
    held = _booked(session, catalogue.slot)
    session.commit()
    portal = Portal(client, session)
    portal.choose(lang)
    hospital, department = catalogue.hospital.id, catalogue.department.id
    review = f"/portal/book/review?slot={catalogue.slot.id}"
    appointment = f"/portal/appointments/{held.reference}"
    plain = ["/portal/", "/portal/hospitals", f"/portal/hospitals/{hospital}", "/portal/book",
             f"/portal/book/{hospital}", f"/portal/book/{hospital}/{department}",
             "/portal/grievances/status"]
    checked: dict[str, list[str]] = {}

    def check(label: str) -> None:
        assert portal.status == 200, (label, portal.status)
        checked[label] = wrong_defaults(portal.page)

    for path in plain:
        portal.get(path)
        check(path)
    # Before and after a code is sent, on every form with the verification block.
    for path in (*VERIFY_FORMS, appointment, review):
        portal.get(path)
        check(f"{path} (no code yet)")
        assert 'value="send_code"' in portal.page
        post_to = path.split("?")[0]
        extra = {"slot": str(catalogue.slot.id)} if path == review else {}
        portal.post(post_to, {**extra, "mobile": PHONE, "step": "send_code"})
        check(f"{path} (code sent)")
        assert 'value="check_code"' in portal.page, portal.text()
    # Verified: the forms' own buttons, the appointment, its question and reschedule.
    portal.post("/portal/appointments", {"mobile": PHONE, "step": "check_code",
                                         "code": _code(session)})
    assert 'value="check_code"' not in portal.page
    for path in (*VERIFY_FORMS, review, appointment, f"{appointment}/cancel",
                 f"{appointment}/reschedule"):
        portal.get(path)
        check(f"{path} (verified)")
    assert len(checked) == 24
    assert {label: wrong for label, wrong in checked.items() if wrong} == {}


def _code(session) -> str:
    from tests.fixtures_api import latest_code

    return latest_code(session, E164)


def test_every_console_page_defaults_to_its_primary_action(app, session, console,
                                                           admin_user, hospital):
    grievance = make_grievance(session, hospital_id=hospital.id, language="en")
    console.login("admin.one")
    pages = [f"/console/grievances/{grievance.id}"]
    for rule in app.url_map.iter_rules():
        if (rule.endpoint.startswith("console.") and "GET" in (rule.methods or ())
                and not rule.arguments and "export" not in rule.rule
                and "stream" not in rule.rule and "events" not in rule.rule):
            pages.append(rule.rule)
    checked = {}
    for path in pages:
        answer = console.get(path)
        if answer.status_code != 200 or not answer.mimetype == "text/html":
            continue
        checked[path] = wrong_defaults(answer.get_data(as_text=True))
    assert len(checked) >= 15, sorted(checked)
    assert {path: wrong for path, wrong in checked.items() if wrong} == {}
