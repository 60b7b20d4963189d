"""Console security: escaping, CSRF, roles, session expiry, and the recording proxy that
keeps Twilio's URLs and credentials on the server (sign-in throttling:
``test_console_sign_in.py``)."""

from __future__ import annotations

import base64
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from grievances.models import Grievance, GrievanceEvent
from helpline.app import create_app
from locales import has_message, render
from tests.conftest import TWILIO_SID, TWILIO_TOKEN, make_settings
from tests.fixtures_console import ConsoleClient, make_grievance

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def text(response) -> str:
    return response.get_data(as_text=True)


def test_grievance_text_with_html_is_shown_as_text(session, console, agent):
    g = make_grievance(session, description=SCRIPT)
    console.login("agent.one")
    console.post(f"/console/grievances/{g.id}/note", {"note": SCRIPT})
    page = text(console.get(f"/console/grievances/{g.id}"))
    assert "<script>alert" not in page and "<img src=x" not in page
    assert page.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") == 2


def test_forms_without_csrf_token_are_refused(session, console, agent):
    g = make_grievance(session)
    console.login("agent.one")
    for token in (None, "forged"):
        data = {"note": "sneaky"} if token is None else {"note": "sneaky", "csrf_token": token}
        answer = console.client.post(f"/console/grievances/{g.id}/note", data=data)
        assert answer.status_code == 400
    assert session.scalars(select(GrievanceEvent).where(GrievanceEvent.kind == "note")).all() == []


def test_login_form_needs_csrf_too(console, agent):
    answer = console.client.post("/console/login", data={"username": "agent.one",
                                                         "password": "correct horse battery"})
    assert answer.status_code == 400


def test_agent_cannot_open_admin_or_supervisor_pages(console, agent):
    console.login("agent.one")
    for path in ("/console/admin/users", "/console/admin/routes", "/console/wallboard",
                 "/console/grievances.csv", "/console/outbox"):
        assert console.get(path).status_code == 403, path
    assert console.post("/console/admin/users", {"username": "x", "password": "y" * 12,
                                                 "role": "admin"}).status_code == 403


def test_admin_creates_and_disables_an_account(session, console, admin_user):
    console.login("admin.one")
    console.post("/console/admin/users", {"username": "new.agent", "password": "a long password",
                                          "role": "agent", "language": "hi"})
    from contact_centre.models import StaffUser

    user = session.scalars(select(StaffUser).where(StaffUser.username == "new.agent")).one()
    session.commit()
    other = ConsoleClient(console.client.application.test_client())
    assert other.login("new.agent", "a long password").status_code == 302
    console.post(f"/console/admin/users/{user.id}", {"role": "agent", "display_name": "N",
                                                     "language": "hi", "active": "0"})
    # The disabled account's open session ends on its next request.
    assert other.get("/console/").status_code == 302
    # Signing in again: the right password is told the account is disabled and whom to
    # ask; a wrong one, or a disabled account's name with any other password, is told
    # only that the username or password is wrong.
    for lang in ("en", "hi"):
        other.client.get(f"/console/login?lang={lang}")
        right = other.login("new.agent", "a long password")
        assert right.status_code == 403  # no failed sign-in: it counts towards no lockout
        assert render(lang, "console.err.account_disabled") in text(right)
        assert render(lang, "console.login_failed") not in text(right)
        wrong = other.login("new.agent", "a long passwore")
        assert wrong.status_code == 401
        assert render(lang, "console.login_failed") in text(wrong)
        assert render(lang, "console.err.account_disabled") not in text(wrong)
    # However often the right password is tried meanwhile, it locks nothing out.
    for _ in range(12):
        assert other.login("new.agent", "a long password").status_code == 403
    # Enabled again, the same password signs in.
    console.post(f"/console/admin/users/{user.id}", {"role": "agent", "display_name": "N",
                                                     "language": "hi", "active": "1"})
    assert other.login("new.agent", "a long password").status_code == 302


def test_idle_session_expires(console, agent):
    console.login("agent.one")
    assert console.get("/console/").status_code == 200
    with console.client.session_transaction() as s:
        s["seen"] = time.time() - 31 * 60
    answer = console.get("/console/")
    assert answer.status_code == 302 and "/console/login" in answer.headers["Location"]


def test_every_console_label_exists_in_both_languages():
    root = Path(__file__).resolve().parent.parent / "agent_console"
    source = "".join(p.read_text() for p in root.rglob("*") if p.suffix in (".html", ".py"))
    keys = set(re.findall(r"""t\(['"](console\.[\w.]+)['"]""", source))
    assert len(keys) > 100
    assert sorted(k for k in keys if not k.endswith((".", "_")) and not has_message(k)) == []
    # Keys made by joining a prefix and a value: every value has its sentence.
    from contact_centre.reports import PeriodKind

    joined = [f"console.rep.period_{kind.value}" for kind in PeriodKind]
    joined += [f"console.sl_{mark}" for mark in ("met", "missed")]
    assert sorted(k for k in joined if not has_message(k)) == []
    from contact_centre.models import AgentState, Role
    from grievances.models import GrievanceCategory, GrievanceStatus
    from grievances.sla import DESKS
    from grievances.workflow import REPLY_KINDS

    families = {
        "status": list(GrievanceStatus), "cat": list(GrievanceCategory), "desk": DESKS,
        "reply": REPLY_KINDS, "state": list(AgentState), "role": list(Role),
        "prio": ("1", "2", "3"),
    }
    missing = [f"console.{p}.{v}" for p, values in families.items() for v in values
               if not has_message(f"console.{p}.{v}")]
    assert missing == []


# --- the recording proxy ----------------------------------------------------------------

AUDIO = bytes(range(256)) * 64  # not valid UTF-8: proves the bytes are passed through


class FakeTwilio(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.end_headers()
            return
        if self.path != f"/2010-04-01/Accounts/{TWILIO_SID}/Recordings/RE123.mp3":
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "audio/mpeg")
        self.send_header("Content-Length", str(len(AUDIO)))
        self.end_headers()
        self.wfile.write(AUDIO)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def fake_twilio():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _with_recording(session) -> Grievance:
    return make_grievance(
        session, description="", recording_sid="RE123", recording_seconds=12,
        recording_url=f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}/Recordings/RE123")


def test_recording_is_served_through_the_app(database_url, fake_twilio):
    app = create_app(make_settings(database_url, twilio_api_base_url=fake_twilio))
    helpline = app.extensions["helpline"]
    with helpline.session() as s:
        from tests.fixtures_console import make_staff

        make_staff(s, "agent.one")
        g = _with_recording(s)
    console = ConsoleClient(app.test_client())
    console.login("agent.one")
    page = text(console.get(f"/console/grievances/{g.id}"))
    assert f'src="/console/grievances/{g.id}/recording"' in page
    assert "twilio.com" not in page and TWILIO_SID not in page
    audio = console.get(f"/console/grievances/{g.id}/recording")
    assert (audio.status_code, audio.mimetype, audio.data) == (200, "audio/mpeg", AUDIO)
    helpline.engine.dispose()


def test_recording_without_twilio_is_a_clean_503(database_url):
    app = create_app(make_settings(database_url, twilio_account_sid="", twilio_auth_token=""))
    helpline = app.extensions["helpline"]
    with helpline.session() as s:
        from tests.fixtures_console import make_staff

        make_staff(s, "agent.one")
        g = _with_recording(s)
    console = ConsoleClient(app.test_client())
    console.login("agent.one")
    answer = console.get(f"/console/grievances/{g.id}/recording")
    assert answer.status_code == 503 and "twilio.com" not in text(answer)
    helpline.engine.dispose()
