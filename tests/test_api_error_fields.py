"""Every 422 the API answers for one field names that field in ``details.field`` (the
body's name for it; ``reference`` for the one in the path), whichever endpoint and
whichever rule refused it, so a client can put the message beside the right input."""

from __future__ import annotations

import pytest

from booking_core.feed_tokens import issue_feed_token
from tests.fixtures_api import API

PHONE, E164 = "98123 45678", "+919812345678"


@pytest.fixture
def token(verify) -> str:
    return verify(PHONE, E164)


def _post(client, path: str, body: dict, token: str | None = None):
    headers = {"X-Verification-Token": token} if token else {}
    return client.post(f"{API}{path}", json=body, headers=headers)


def _field(answer, code: str) -> str | None:
    assert answer.status_code == 422, answer.json
    error = answer.json["error"]
    assert error["code"] == code, error
    return (error.get("details") or {}).get("field")


@pytest.mark.parametrize("path,body,code,field", [
    ("/verifications", {"phone": "98123abcde"}, "invalid_mobile", "phone"),
    ("/verifications", {"phone": "011 2323 2400"}, "invalid_mobile", "phone"),
    ("/verifications/confirm", {"phone": "123", "code": "123456"}, "invalid_mobile",
     "phone"),
    ("/verifications/confirm", {"phone": PHONE, "code": "123456"}, "otp_not_requested",
     "code"),
    ("/appointments/lookup", {"phone": "12", "reference": "20000007"}, "invalid_mobile",
     "phone"),
    ("/appointments/lookup", {"phone": PHONE, "reference": "12345678"},
     "invalid_reference", "reference"),
    ("/appointments/progress", {"phone": PHONE, "reference": "12345678"},
     "invalid_reference", "reference"),
    ("/grievances/lookup", {"phone": PHONE, "reference": "20000008"}, "invalid_reference",
     "reference"),
    ("/ehealth-cards/verify", {"payload": "DHC1:nope"}, "card_not_genuine", "payload"),
])
def test_refusals_without_a_token_name_their_field(client, catalogue, path, body, code,
                                                    field):
    assert _field(_post(client, path, body), code) == field


@pytest.mark.parametrize("path,body,code,field", [
    ("/ehealth-cards", {"name": "Asha 7", "year_of_birth": 1984}, "invalid_name", "name"),
    ("/ehealth-cards", {"name": "Asha", "year_of_birth": 1800}, "year_out_of_range",
     "year_of_birth"),
    ("/ehealth-cards", {"name": "Asha", "year_of_birth": 1984, "abha_number": "12"},
     "invalid_abha", "abha_number"),
    ("/ehealth-cards/document", {"card_number": "12345"}, "invalid_card_number",
     "card_number"),
    ("/ehealth-cards/abha", {"card_number": "12345", "abha_number": "12345678901234"},
     "invalid_card_number", "card_number"),
    ("/grievances", {"category": "cleanliness", "description": "..."},
     "description_too_short", "description"),
])
def test_refusals_with_a_token_name_their_field(client, catalogue, token, path, body, code,
                                                 field):
    assert _field(_post(client, path, body, token), code) == field


def test_a_booking_names_the_field_as_the_body_calls_it(client, catalogue, token):
    slot = catalogue.slot.id
    assert _field(_post(client, "/appointments", {"slot_id": slot, "patient_name": "A#"},
                        token), "invalid_name") == "patient_name"
    assert _field(_post(client, "/appointments", {"slot_id": slot, "abha_number": "1"},
                        token), "invalid_abha") == "abha_number"
    assert _field(_post(client, "/appointments", {"slot_id": slot,
                                                  "ehealth_card_number": "12345"}, token),
                  "invalid_card_number") == "ehealth_card_number"


def test_a_reference_in_the_path_is_named_too(client, catalogue, token):
    answer = _post(client, "/appointments/12345678/cancel", {}, token)
    assert _field(answer, "invalid_reference") == "reference"
    answer = _post(client, "/appointments/12345678/reschedule",
                   {"slot_id": catalogue.later_slot.id}, token)
    assert _field(answer, "invalid_reference") == "reference"


def test_a_counter_card_names_the_phone(client, session, catalogue):
    _, feed = issue_feed_token(session, catalogue.hospital.id, "HIS")
    session.commit()
    answer = client.post(f"{API}/hospitals/{catalogue.hospital.id}/ehealth-cards",
                         json={"phone": "011 2323 2400", "name": "Asha Devi",
                               "year_of_birth": 1984},
                         headers={"Authorization": f"Bearer {feed}"})
    assert _field(answer, "invalid_mobile") == "phone"


def test_several_faults_answer_as_the_first_with_its_field(client, catalogue, token):
    """A card with every field wrong: the API still answers one 422, the first field's
    (the portal shows them all), with that field named."""
    answer = _post(client, "/ehealth-cards", {"name": "7", "year_of_birth": 1800,
                                              "sex": "female", "abha_number": "1"}, token)
    assert _field(answer, "invalid_name") == "name"
