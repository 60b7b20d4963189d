"""``flask dev-sms`` texts the app in-process like Twilio would (a signed
``/sms/inbound``) and prints the texts queued in answer, to whichever number."""

from __future__ import annotations

import datetime as dt

from booking_core.appointments import Channel, book_appointment
from helpline.app import create_app
from tests.conftest import make_settings
from tests.factories import make_department, make_hospital, make_slot

PATIENT, BOOKER = "+919812345678", "+919876500077"


def test_dev_sms_answers_status_and_cancel_with_the_texts_sent(database_url):
    app = create_app(make_settings(database_url))
    helpline = app.extensions["helpline"]
    with helpline.session() as session:
        slot = make_slot(session, make_department(session, make_hospital(session)),
                         starts_in=dt.timedelta(days=3))
        reference = book_appointment(session, slot_id=slot.id, phone=PATIENT,
                                     channel=Channel.IVR, language="en",
                                     booked_by_phone=BOOKER).reference
    runner = app.test_cli_runner()

    status = runner.invoke(args=["dev-sms", "--from", PATIENT, "STATUS", reference])
    assert status.exit_code == 0, status.output
    assert f"> texts 'STATUS {reference}' from {PATIENT}" in status.output
    assert f"[en] to {PATIENT}: Delhi Health Helpline: booking number {reference} is booked: " \
        in status.output

    stranger = runner.invoke(args=["dev-sms", "--from", "+919811100005", "रद्द", reference])
    assert stranger.exit_code == 0, stranger.output
    assert "[hi] to +919811100005: दिल्ली स्वास्थ्य हेल्पलाइन: इस मोबाइल पर" in stranger.output

    # From the phone that booked it: the patient gets the cancellation, the booker an answer.
    cancel = runner.invoke(args=["dev-sms", "--from", BOOKER, "CANCEL", reference])
    assert cancel.exit_code == 0, cancel.output
    lines = [line for line in cancel.output.splitlines() if line.startswith("[")]
    # The patient's in their own language (Hindi while unknown), the booker's in English.
    assert [line.split(":")[0] for line in lines] == [f"[hi] to {PATIENT}", f"[en] to {BOOKER}"]
    assert f"बुकिंग नंबर {reference}" in lines[0] and "रद्द" in lines[0]
    assert PATIENT[-4:] in lines[1]
    helpline.engine.dispose()


def test_dev_sms_needs_words(database_url):
    app = create_app(make_settings(database_url))
    result = app.test_cli_runner().invoke(args=["dev-sms"])
    assert result.exit_code != 0 and "Missing argument" in result.output
    app.extensions["helpline"].engine.dispose()
