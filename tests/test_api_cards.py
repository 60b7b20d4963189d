"""The eHealth card API: issue for the verified mobile (once per person), list, print
(PDF and PNG, whose QR codes a real decoder reads and whose signature checks out), link
an ABHA number, book with a card, issue at a hospital counter, check a payload."""

from __future__ import annotations

import io
import re
import zlib

import pypdfium2
import pytest
import zxingcpp
from fontTools.ttLib import TTFont
from PIL import Image
from sqlalchemy import select

from booking_core.appointments import Appointment
from booking_core.card_print import pdf_page_png
from booking_core.card_seal import ForgedCard, public_key_from_text, verify_seal
from booking_core.feed_tokens import issue_feed_token
from booking_core.refs import damm_digit
from tests.fixtures_api import API, reading

PHONE, E164 = "98123 45678", "+919812345678"
HINDI_NAME = "आशा देवी क्षत्रिय"


@pytest.fixture
def token(verify) -> str:
    return verify(PHONE, E164)


def _issue(client, token, **body):
    body = {"name": HINDI_NAME, "year_of_birth": 1984} | body
    return client.post(f"{API}/ehealth-cards", json=body,
                       headers={"X-Verification-Token": token})


def _decode(png: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert [r.format for r in found] == [zxingcpp.BarcodeFormat.QRCode], found
    return str(found[0].text)


def test_a_card_needs_a_verified_mobile_and_is_issued_once_per_person(client, token, conforms):
    assert client.post(f"{API}/ehealth-cards", json={"name": "A", "year_of_birth": 1984}
                       ).status_code == 401
    first = _issue(client, token, sex="female")
    assert first.status_code == 201, first.json
    conforms(first.json, "EHealthCard")
    card = first.json
    assert card["number"].startswith("5") and card["phone"].endswith("5678")
    assert "12345678" not in card["phone"] and card["sex"] == "female"
    again = _issue(client, token, name=f"  {HINDI_NAME} ")
    assert again.status_code == 200 and again.json["number"] == card["number"]
    child = _issue(client, token, name="Ravi", year_of_birth=2015)
    assert child.status_code == 201 and child.json["number"] != card["number"]
    listed = client.get(f"{API}/ehealth-cards", headers={"X-Verification-Token": token})
    conforms(listed.json, "EHealthCardList")
    assert [c["number"] for c in listed.json["cards"]] == [card["number"], child.json["number"]]


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"name": "Asha", "year_of_birth": 1700}, 400, None),
    ({"name": "Asha", "year_of_birth": 1850}, 422, "year_out_of_range"),
    ({"name": "   ", "year_of_birth": 1984}, 422, "invalid_input"),
    ({"name": "Asha", "year_of_birth": 1984, "abha_number": "12-34"}, 422, "invalid_abha"),
    ({"name": "Asha", "year_of_birth": 1984, "sex": "x"}, 400, None),
])
def test_bad_details_get_a_json_4xx(client, token, body, status, code):
    response = client.post(f"{API}/ehealth-cards", json=body,
                           headers={"X-Verification-Token": token})
    assert response.status_code == status, response.json
    assert code is None or response.json["error"]["code"] == code


def test_the_printed_card_carries_a_genuine_qr_code_in_png_and_pdf(client, token, session):
    card = _issue(client, token).json
    key = public_key_from_text(client.get(f"{API}/ehealth-cards/public-key").json["public_key"])
    headers = {"X-Verification-Token": token}
    png = client.post(f"{API}/ehealth-cards/document", headers=headers,
                      json={"card_number": card["number_spaced"], "format": "png",
                            "language": "hi"})
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert card["number"] not in png.headers["Content-Disposition"]
    image = Image.open(io.BytesIO(png.data))
    assert image.size == (1012, 638)  # ID-1 (85.6 x 54 mm) at 300 dpi
    payload = _decode(png.data)
    assert payload == card["qr_payload"] and "9812345678" not in payload
    sealed = verify_seal(payload, key)
    assert (sealed.number, sealed.year_of_birth) == (card["number"], 1984)

    pdf = client.post(f"{API}/ehealth-cards/document", headers=headers,
                      json={"card_number": card["number"], "format": "pdf", "language": "en"})
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert verify_seal(_decode(pdf_page_png(pdf.data, dpi=200)), key).number == card["number"]
    document = pypdfium2.PdfDocument(pdf.data)
    text = document[0].get_textpage().get_text_range()
    document.close()
    # The name comes back out of the PDF as the same Unicode: HarfBuzz shaped it and
    # fpdf2 mapped each glyph (conjuncts and reordered matras included) to its text.
    # (PDFium breaks the line where the reordered ि sits before its consonant.)
    assert "".join(HINDI_NAME.split()) in "".join(text.split())
    assert "Year of birth" in text and card["number_spaced"] in text
    assert b"NotoSansDevanagari" in pdf.data

    forged = payload.replace(":1984:", ":1985:")
    with pytest.raises(ForgedCard):
        verify_seal(forged, key)
    checked = client.post(f"{API}/ehealth-cards/verify", json={"payload": payload})
    assert checked.json == {"genuine": True, "card_number": card["number"],
                            "year_of_birth": 1984}
    refused = client.post(f"{API}/ehealth-cards/verify", json={"payload": forged})
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "card_not_genuine"


def test_another_mobile_cannot_print_or_book_with_a_card(client, token, verify, catalogue):
    card = _issue(client, token).json
    stranger = verify("98765 43210", "+919876543210")
    headers = {"X-Verification-Token": stranger}
    printed = client.post(f"{API}/ehealth-cards/document", headers=headers,
                          json={"card_number": card["number"]})
    assert printed.status_code == 404
    booked = client.post(f"{API}/appointments", headers=headers, json={
        "slot_id": catalogue.slot.id, "ehealth_card_number": card["number"]})
    assert booked.status_code == 404
    slip = card["number"][:-1] + str((int(card["number"][-1]) + 1) % 10)
    mistyped = client.post(f"{API}/ehealth-cards/document",
                           headers={"X-Verification-Token": token},
                           json={"card_number": slip})
    assert mistyped.status_code == 422
    assert mistyped.json["error"]["code"] == "invalid_card_number"


def test_booking_with_a_card_links_the_appointment(client, token, session, catalogue, conforms):
    card = _issue(client, token, name="Ravi Kumar", year_of_birth=2015).json
    booked = client.post(f"{API}/appointments", headers={"X-Verification-Token": token},
                         json={"slot_id": catalogue.slot.id,
                               "ehealth_card_number": card["number_spaced"]})
    assert booked.status_code == 201, booked.json
    conforms(booked.json, "Appointment")
    assert booked.json["patient_name"] == "Ravi Kumar"
    with reading(session):
        appointment = session.scalar(select(Appointment).where(
            Appointment.reference == booked.json["reference"]))
        assert appointment.ehealth_card_id is not None


def test_abha_links_to_a_card_once(client, token, conforms):
    card = _issue(client, token).json
    headers = {"X-Verification-Token": token}
    linked = client.post(f"{API}/ehealth-cards/abha", headers=headers,
                         json={"card_number": card["number"], "abha_number": "12-3456-7890-1234"})
    assert linked.status_code == 200, linked.json
    conforms(linked.json, "EHealthCard")
    assert linked.json["abha_number"] == "XX-XXXX-XXXX-1234"
    other = _issue(client, token, name="Ravi", year_of_birth=2015).json
    taken = client.post(f"{API}/ehealth-cards/abha", headers=headers,
                        json={"card_number": other["number"], "abha_number": "12345678901234"})
    assert taken.status_code == 409
    assert taken.json["error"]["code"] == "abha_on_another_card"


def test_a_hospital_counter_issues_with_its_own_token(client, session, catalogue, conforms):
    _, token = issue_feed_token(session, catalogue.hospital.id, "HIS")
    session.commit()
    url = f"{API}/hospitals/{catalogue.hospital.id}/ehealth-cards"
    body = {"phone": PHONE, "name": "Asha Devi", "year_of_birth": 1984}
    assert client.post(url, json=body).status_code == 401
    other = f"{API}/hospitals/{catalogue.other_hospital.id}/ehealth-cards"
    assert client.post(other, json=body,
                       headers={"Authorization": f"Bearer {token}"}).status_code == 403
    issued = client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    assert issued.status_code == 201, issued.json
    conforms(issued.json, "EHealthCard")
    again = client.post(url, json=body | {"name": "asha devi"},
                        headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 200 and again.json["number"] == issued.json["number"]


def _embedded_fonts(pdf: bytes) -> dict[str, list[str]]:
    """Each embedded font subset's name and glyph order (fpdf2 names glyphs it reached
    through a character ``uniXXXX``, and glyphs only shaping produced ``glyphNNNNN``)."""
    fonts = {}
    for match in re.finditer(rb"stream\r?\n", pdf):
        end = pdf.find(b"endstream", match.end())
        try:
            data = zlib.decompress(pdf[match.end():end])
        except zlib.error:
            continue
        if data[:4] == b"\x00\x01\x00\x00":
            font = TTFont(io.BytesIO(data))
            fonts[font["name"].getDebugName(4)] = font.getGlyphOrder()[3:]  # past .notdef etc.
    return fonts


def _shaped_only(pdf: bytes) -> list[str]:
    return [g for g in _embedded_fonts(pdf)["Noto Sans Devanagari Bold"]
            if g.startswith("glyph")]


def test_the_hindi_name_is_shaped_not_just_mapped(monkeypatch):
    """क्ष, त्र and the ि before its consonant are glyphs no single character maps to:
    they are in the PDF only if HarfBuzz shaped the name."""
    from booking_core import card_print

    face = card_print.CardFace("क्षत्रिय", 1984, "51234567890", "", "DHC1:51234567890:1984:AB")
    shaped = _shaped_only(card_print.card_pdf(face, "hi"))
    assert len(shaped) >= 3, shaped
    monkeypatch.setattr(card_print.FPDF, "set_text_shaping", lambda self, *a, **k: None)
    unshaped = _shaped_only(card_print.card_pdf(face, "hi"))
    assert len(unshaped) < len(shaped) - 2, (unshaped, shaped)


def test_the_public_key_in_both_encodings(client, conforms):
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    raw = client.get(f"{API}/ehealth-cards/public-key")
    conforms(raw.json, "CardPublicKey")
    pem = client.get(f"{API}/ehealth-cards/public-key?encoding=pem").json
    assert load_pem_public_key(pem["public_key"].encode()) == public_key_from_text(
        raw.json["public_key"])
    assert client.get(f"{API}/ehealth-cards/public-key?encoding=x").status_code == 400


@pytest.mark.parametrize("name", [
    "Asha Devi",
    "Venkata Subrahmanya Lakshminarayana Sharma",
    "वेंकट सुब्रह्मण्य लक्ष्मीनारायण शर्मा",
    "Mohammed Abdul Rahman Siddiqui Chaudhary Khan Yusufzai Qureshi",
    "W" * 60,
    " ".join(["Lakshminarayana"] * 8),
])
def test_a_long_name_stays_left_of_the_qr_code_and_on_the_card(name):
    """An ordinary long name ran across the QR code (and a very long one off the card):
    it is sized, wrapped between words or cut with "…" to fit its space."""
    import pypdfium2

    from booking_core.card_print import WIDTH_MM, CardFace, card_pdf

    face = CardFace(name=name, year_of_birth=1980, number="51234567890",
                    helpline_number="011 4000 0000", qr_payload="DHC1:51234567890:1980:X")
    document = pypdfium2.PdfDocument(card_pdf(face, "en"))
    try:
        text = document[0].get_textpage()
        qr_left_pt = (WIDTH_MM - 30.0 - 2.5) / 25.4 * 72
        name_top_pt = (54.0 - 16.5) / 25.4 * 72  # below the "Name" label
        name_bottom_pt = (54.0 - 23.6) / 25.4 * 72  # above the "Year of birth" label
        inside = 0
        for i in range(text.count_chars()):
            left, bottom, right, top = text.get_charbox(i)
            if name_bottom_pt < bottom and top < name_top_pt:  # a character of the name
                inside += 1
                assert right <= qr_left_pt + 0.5, (name, i, right, qr_left_pt)
        assert inside > 0
    finally:
        document.close()


def test_a_day_the_mobiles_own_patient_holds_is_listed_and_books_a_family_card(
        client, token, session, catalogue):
    """The API has no day list per mobile: availability takes no verification and lists
    a day the mobile's own patient holds, where a family member's card (registered to
    the same mobile) books, while the mobile's own booking is refused as already held."""
    headers = {"X-Verification-Token": token}
    own = client.post(f"{API}/appointments", headers=headers,
                      json={"slot_id": catalogue.slot.id})
    assert own.status_code == 201, own.json
    day = catalogue.slot.local_day.isoformat()
    listed = client.get(f"{API}/hospitals/{catalogue.hospital.id}/departments/"
                        f"{catalogue.department.id}/availability?date={day}", headers=headers)
    assert listed.status_code == 200 and listed.json["date"] == day
    assert day in [d["date"] for d in listed.json["days"]]
    assert [s["id"] for s in listed.json["slots"]] == [catalogue.slot.id]
    again = client.post(f"{API}/appointments", headers=headers,
                        json={"slot_id": catalogue.slot.id})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_booked"
    card = _issue(client, token, name="Ram Prasad", year_of_birth=1948).json
    fathers = client.post(f"{API}/appointments", headers=headers,
                          json={"slot_id": catalogue.slot.id,
                                "ehealth_card_number": card["number"]})
    assert fathers.status_code == 201, fathers.json
    assert fathers.json["patient_name"] == "Ram Prasad"
    with reading(session):
        appointment = session.scalar(select(Appointment).where(
            Appointment.reference == fathers.json["reference"]))
        assert appointment.ehealth_card_id is not None


def test_a_card_number_refused_says_which_slip_it_is(client, token, catalogue, conforms):
    """Each slip is a 422 ``invalid_card_number`` (the code clients already know) with
    its own ``details.reason`` and the digits typed, on every body that takes a card
    number, under that body's name for the field; the OpenAPI document lists the reasons."""
    number = _issue(client, token).json["number"]
    slip = number[:-1] + str((int(number[-1]) + 1) % 10)
    mobile = "0981234567"
    mobile += str(damm_digit(mobile))
    headers = {"X-Verification-Token": token}
    cases = [("1234", "too_short", 4), ("１２３", "too_short", 3), (" ", "too_short", 0),
             ("123456789012345", "too_long", 15), ("12a45678901", "not_digits", 10),
             (f"{number[:5]}x{number[5:]}", "not_digits", 11), (mobile, "first_digit", 11),
             (slip, "check_digit", 11), (f" {number[:4]}-{number[4:]} ", None, 11)]
    for typed, reason, digits in cases:
        answers = {
            "card_number": client.post(f"{API}/ehealth-cards/document", headers=headers,
                                       json={"card_number": typed}),
            "ehealth_card_number": client.post(f"{API}/appointments", headers=headers, json={
                "slot_id": catalogue.slot.id, "ehealth_card_number": typed}),
        }
        for field, answer in answers.items():
            if reason is None:  # the card, typed with hyphens and spaces around
                assert answer.status_code in (200, 201), (typed, field, answer.json)
                continue
            assert answer.status_code == 422, (typed, field, answer.status_code)
            conforms(answer.json, "Error")
            error = answer.json["error"]
            assert error["code"] == "invalid_card_number", (typed, error)
            assert error["details"] == {"field": field, "reason": reason, "digits": digits}
    documented = client.get(f"{API}/openapi.json").json["paths"]
    for path in ("/ehealth-cards/document", "/ehealth-cards/abha", "/appointments"):
        said = documented[path]["post"]["responses"]["422"]["description"]
        for reason in ("too_short", "too_long", "not_digits", "first_digit", "check_digit"):
            assert f"`{reason}`" in said, (path, reason)
