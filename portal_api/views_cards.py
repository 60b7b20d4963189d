"""eHealth cards: issue one for a person of the verified mobile (or at a hospital
counter, with the hospital's token), list them, print one as PDF or PNG, link an ABHA
number, and check a scanned QR code.

Card numbers travel in JSON bodies, never in URLs (access logs, browser history).
"""

from __future__ import annotations

import logging
from typing import Any

from cryptography.hazmat.primitives import serialization
from flask import Response, jsonify

from booking_core.card_seal import PAYLOAD_PREFIX, public_key_text, verify_seal
from booking_core.ehealth import (
    CardIssuer,
    EHealthCard,
    cards_for_phone,
    find_card,
    issue_card,
    link_abha,
)
from booking_core.feed_tokens import authorise_feed
from booking_core.phones import mask_phone
from booking_core.refs import spaced_card_number
from helpline.app import current_helpline, get_session
from helpline.cards import card_download, card_face
from helpline.settings import card_signing_key
from portal_api import serialise
from portal_api.auth import bearer_token, verified_phone
from portal_api.blueprint import api
from portal_api.parsing import json_body, query_choice

log = logging.getLogger(__name__)

KEY_ENCODINGS = ("raw", "pem")


def card_json(card: EHealthCard) -> dict[str, Any]:
    settings = current_helpline().settings
    return {
        "number": card.number,
        "number_spaced": spaced_card_number(card.number),
        "name": card.name,
        "year_of_birth": card.year_of_birth,
        "sex": card.sex.value if card.sex else None,
        "abha_number": f"XX-XXXX-XXXX-{card.abha_number[-4:]}" if card.abha_number else None,
        "phone": mask_phone(card.citizen.phone),
        "issued_at": serialise.when(card.issued_at, settings.helpline_timezone),
        "qr_payload": card_face(card, settings).qr_payload,
    }


def _person(body: dict[str, Any]) -> dict[str, Any]:
    return {"name": body["name"], "year_of_birth": body["year_of_birth"],
            "sex": body.get("sex"), "abha_number": body.get("abha_number")}


@api.post("/ehealth-cards")
def issue() -> Any:
    """The card of a person who uses the verified mobile: 201 when issued now, 200 with
    the same card when that person already holds one."""
    phone = verified_phone()
    body = json_body("EHealthCardRequest")
    issued = issue_card(get_session(), phone=phone, via=CardIssuer.PORTAL, actor="portal",
                        **_person(body))
    log.info("eHealth card %s for %s (%s)", issued.card.id, mask_phone(phone),
             "new" if issued.new else "existing")
    return jsonify(card_json(issued.card)), 201 if issued.new else 200


@api.get("/ehealth-cards")
def my_cards() -> Any:
    """The cards of everyone who uses the verified mobile."""
    cards = cards_for_phone(get_session(), verified_phone())
    return jsonify(cards=[card_json(card) for card in cards])


@api.post("/ehealth-cards/document")
def card_file() -> Response:
    """The printable card (PDF or PNG) of a card of the verified mobile."""
    phone = verified_phone()
    body = json_body("CardDocumentRequest")
    card = find_card(get_session(), body["card_number"], phone)
    kind, lang = body.get("format", "pdf"), body.get("language", "hi")
    return card_download(card, current_helpline().settings, lang, kind)


@api.post("/ehealth-cards/abha")
def link_card_abha() -> Any:
    """Link an ABHA number to a card of the verified mobile."""
    phone = verified_phone()
    body = json_body("AbhaLinkRequest")
    session = get_session()
    find_card(session, body["card_number"], phone)
    card = link_abha(session, body["card_number"], body["abha_number"])
    return jsonify(card_json(card))


@api.post("/ehealth-cards/verify")
def check_card() -> Any:
    """Whether a scanned QR payload is a card the helpline signed (422
    ``card_not_genuine`` when not). Counters can check offline with the public key."""
    body = json_body("CardCheckRequest")
    sealed = verify_seal(body["payload"],
                         card_signing_key(current_helpline().settings).public_key())
    return jsonify(genuine=True, card_number=sealed.number, year_of_birth=sealed.year_of_birth)


@api.get("/ehealth-cards/public-key")
def card_public_key() -> Any:
    """The key counters check cards with: base64 of its 32 raw bytes, or
    ``?encoding=pem`` (SubjectPublicKeyInfo) for libraries that read PEM."""
    encoding = query_choice("encoding", list(KEY_ENCODINGS)) or "raw"
    key = card_signing_key(current_helpline().settings).public_key()
    text = (public_key_text(key) if encoding == "raw" else key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode())
    return jsonify(algorithm="Ed25519", payload_format=PAYLOAD_PREFIX, encoding=encoding,
                   public_key=text)


@api.post("/hospitals/<int:hospital_id>/ehealth-cards")
def issue_at_counter(hospital_id: int) -> Any:
    """A hospital's registration counter issues a card for the person in front of it
    (the clerk has seen them), with that hospital's token."""
    session = get_session()
    token = authorise_feed(session, bearer_token(), hospital_id)
    body = json_body("CounterCardRequest")
    issued = issue_card(session, phone=body["phone"], via=CardIssuer.COUNTER,
                        actor=f"counter:{token.source}", **_person(body))
    return jsonify(card_json(issued.card)), 201 if issued.new else 200
