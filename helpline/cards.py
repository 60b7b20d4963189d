"""Printing an eHealth card with this deployment's settings (signing key, helpline
number), for every adapter that hands out a card (portal, API, console), and the
``flask ehealth-*`` commands that manage the signing key."""

from __future__ import annotations

import base64
import secrets

import click
import phonenumbers
from flask import Flask, Response

from booking_core.card_print import CardFace, card_pdf, card_png
from booking_core.card_seal import public_key_from_text, public_key_text, seal, verify_seal
from booking_core.ehealth import EHealthCard
from helpline.settings import Settings, card_signing_key

CARD_FORMATS = {"pdf": "application/pdf", "png": "image/png"}


def printed_helpline_number(settings: Settings) -> str:
    """The helpline's number as people dial it in India ("011 4000 0000"), or ""."""
    number = settings.helpline_number_to_call
    try:
        parsed = phonenumbers.parse(number, "IN")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(parsed):
        return ""
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def card_face(card: EHealthCard, settings: Settings) -> CardFace:
    return CardFace(name=card.name, year_of_birth=card.year_of_birth, number=card.number,
                    helpline_number=printed_helpline_number(settings),
                    qr_payload=seal(card.number, card.year_of_birth,
                                    card_signing_key(settings)))


def card_document(card: EHealthCard, settings: Settings, lang: str, kind: str) -> bytes:
    """The card as ``kind`` ("pdf" or "png"), labels in ``lang``."""
    face = card_face(card, settings)
    return card_pdf(face, lang) if kind == "pdf" else card_png(face, lang)


def card_download(card: EHealthCard, settings: Settings, lang: str, kind: str) -> Response:
    """The card as a file to save: named without its number (browsers keep download
    histories), never cached."""
    return Response(card_document(card, settings, lang, kind), mimetype=CARD_FORMATS[kind],
                    headers={"Content-Disposition":
                             f'attachment; filename="ehealth-card-{lang}.{kind}"',
                             "Cache-Control": "no-store"})


def register_card_cli(app: Flask, settings: Settings) -> None:
    @app.cli.command("ehealth-new-key")
    def new_key() -> None:
        """Print a new EHEALTH_SIGNING_KEY (32 random bytes, base64)."""
        click.echo(base64.b64encode(secrets.token_bytes(32)).decode())

    @app.cli.command("ehealth-public-key")
    def public_key() -> None:
        """Print the public key hospital counters use to check cards' QR codes offline."""
        click.echo(public_key_text(card_signing_key(settings)))

    @app.cli.command("ehealth-verify")
    @click.argument("payload")
    @click.option("--public-key", "key_text", default=None,
                  help="check with this public key instead of this deployment's")
    def verify(payload: str, key_text: str | None) -> None:
        """Check a scanned card QR payload; exit status 1 when it is not genuine."""
        from booking_core.base import DomainError

        key = (public_key_from_text(key_text) if key_text
               else card_signing_key(settings).public_key())
        try:
            sealed = verify_seal(payload, key)
        except DomainError as exc:
            raise click.ClickException(f"not genuine: {exc}") from exc
        click.echo(f"genuine: card {sealed.number}, born {sealed.year_of_birth}")
