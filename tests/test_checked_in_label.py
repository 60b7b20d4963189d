"""A checked-in appointment (``AppointmentStatus.ATTENDED``: the patient came to the
counter and may still be waiting, or was called and skipped) is labelled "Checked in",
«हाज़िरी लग गई», wherever one appointment's status is shown to a person, as the SMS
STATUS reply says it: never "Attended" while the patient waits."""

from __future__ import annotations

import pytest

from tests.test_opd_skipped import skipped_patient
from tests.test_portal_cancel import _signed_in
from tests.test_portal_pages import E164

CHECKED_IN = {"en": "Checked in", "hi": "हाज़िरी लग गई"}
NOT = {"en": "Attended", "hi": "दिखा चुके"}


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_portal_badge_of_a_skipped_patient_says_checked_in(client, session, lang):
    found = skipped_patient(session, E164, lang)
    portal = _signed_in(client, session, lang)
    portal.get(f"/portal/appointments/{found.reference}")
    assert portal.status == 200
    assert f'<p class="status status-attended">{CHECKED_IN[lang]}</p>' in portal.page
    assert NOT[lang] not in portal.text()


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_console_says_checked_in_for_a_checked_in_appointment(
        session, console, agent, lang):
    found = skipped_patient(session, E164, "en")
    console.login("agent.one")
    if lang == "hi":
        console.post("/console/me/language", {"language": "hi", "next": "/console/"})
    page = console.get(f"/console/search?q={found.reference}").get_data(as_text=True)
    assert f'appt-attended">{CHECKED_IN[lang].lower() if lang == "en" else CHECKED_IN[lang]}<' \
        in page, page
    assert "attended<" not in page and "पहुँचे" not in page
