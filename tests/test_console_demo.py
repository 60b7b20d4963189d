"""A living demo: grievances across statuses, categories and hospitals with notes, a
voice message that plays, calls in the log, waiting callbacks, agents with phones.
Loading twice changes nothing, the demo passwords file included."""

from __future__ import annotations

import io
import json
import wave

from sqlalchemy import func, select

from booking_core.outbox import OutboxMessage
from contact_centre.accounts import authenticate
from contact_centre.models import Call, CallbackRequest, CallbackStatus, Role, StaffUser
from grievances.models import Grievance, GrievanceEvent
from helpline.app import create_app
from helpline.demo_data import load_demo_data
from helpline.models import metadata
from tests.conftest import make_settings
from tests.fixtures_console import ConsoleClient


def counts(session) -> dict[str, int]:
    return {table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in metadata.sorted_tables}


def test_demo_has_a_working_day_and_loading_twice_changes_nothing(session, tmp_path):
    logins = tmp_path / "demo-logins.json"
    load_demo_data(session, weeks=1, logins_file=logins)
    first = counts(session)
    written = logins.read_bytes()
    session.commit()
    again = load_demo_data(session, weeks=1, logins_file=logins)
    assert set(again.values()) == {0}
    assert counts(session) == first
    assert logins.read_bytes() == written
    grievances = session.scalars(select(Grievance)).all()
    assert len({g.status for g in grievances}) >= 5
    assert len({g.category for g in grievances}) >= 4
    assert len({g.hospital_id for g in grievances if g.hospital_id}) >= 5
    assert session.scalar(select(func.count()).select_from(GrievanceEvent)
                          .where(GrievanceEvent.kind == "note")) >= 2
    assert any(g.recording_sid and g.recording_seconds for g in grievances)
    assert session.scalar(select(func.count()).select_from(Call)) >= 5
    waiting = session.scalars(select(CallbackRequest).where(
        CallbackRequest.status == CallbackStatus.WAITING)).all()
    assert len(waiting) >= 3
    agents = session.scalars(select(StaffUser).where(StaffUser.role != Role.ADMIN)).all()
    assert agents and all(a.phone for a in agents)
    for username, password in json.loads(written).items():  # the file's passwords work
        assert authenticate(session, username, password) is not None, username
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) > 0


def test_logins_file_is_never_rewritten_for_accounts_that_exist(session, tmp_path):
    load_demo_data(session, weeks=1)  # accounts made elsewhere: no file then
    logins = tmp_path / "demo-logins.json"
    logins.write_text(json.dumps({"agent.asha": "kept as it was"}))
    load_demo_data(session, weeks=1, logins_file=logins)
    assert json.loads(logins.read_text()) == {"agent.asha": "kept as it was"}


def test_the_demo_voice_message_plays(database_url):
    app = create_app(make_settings(database_url, twilio_account_sid="",
                                   twilio_auth_token=""))
    helpline = app.extensions["helpline"]
    with helpline.session() as s:
        load_demo_data(s, weeks=1)
        from contact_centre.accounts import update_staff_user

        asha = s.scalar(select(StaffUser).where(StaffUser.username == "agent.asha"))
        update_staff_user(s, asha.id, role="agent", display_name=asha.display_name,
                          language="en", phone=asha.phone, hospital_id=None, active=True,
                          password="correct horse battery")
        voice = s.scalar(select(Grievance).where(Grievance.recording_sid.is_not(None)))
    console = ConsoleClient(app.test_client())
    console.login("agent.asha")
    page = console.get(f"/console/grievances/{voice.id}").get_data(as_text=True)
    assert f'src="/console/grievances/{voice.id}/recording"' in page
    audio = console.get(f"/console/grievances/{voice.id}/recording")
    assert audio.status_code == 200 and audio.mimetype == "audio/wav"
    with wave.open(io.BytesIO(audio.data)) as clip:
        assert clip.getnframes() / clip.getframerate() >= 3
    queue = console.get("/console/?scope=team").get_data(as_text=True)
    assert "Nothing here." not in queue
    helpline.engine.dispose()
