"""eHealth cards in the console: an agent issues a card for a caller (or a relative
who shares the caller's mobile), prints it, and books with it (``views_calls``)."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, request, url_for

from agent_console import bp
from agent_console.auth import flash_done, flash_error
from agent_console.views_phone import caller_key
from booking_core.base import DomainError, chosen_language, whole_number
from booking_core.ehealth import CardIssuer, find_card, issue_card
from booking_core.phones import try_normalise_mobile
from booking_core.refs import spaced_card_number
from helpline.app import current_helpline, get_session
from helpline.cards import CARD_FORMATS, card_download
from locales import DEFAULT_LANGUAGE


@bp.post("/cards/issue")
def issue_ehealth_card() -> Any:
    """Issue (or find again) the card of the person the caller names, on the mobile the
    agent has on screen. The form's language is the booking page's, carried back to it:
    one that is not the helpline's is refused before the card is issued (a forged form
    issues nothing); left out, the page goes back to Hindi, its own default."""
    form = request.form
    phone = form.get("phone", "")
    year = whole_number(form.get("year_of_birth"))
    back: dict[str, str] = {}
    try:
        back["language"] = chosen_language(form.get("language", DEFAULT_LANGUAGE))
        issued = issue_card(get_session(), phone=phone, name=form.get("card_name", ""),
                            year_of_birth=year,
                            sex=form.get("sex") or None,
                            abha_number=form.get("card_abha") or None,
                            via=CardIssuer.AGENT, actor=g.staff.username)
        flash_done("console.card_issued" if issued.new else "console.card_existing",
                   number=spaced_card_number(issued.card.number), name=issued.card.name)
    except DomainError as exc:
        flash_error(exc)
    return redirect(_booking_for(phone, **back))


@bp.post("/cards/document")
def ehealth_card_document() -> Any:
    """A card of the mobile on screen as PDF or PNG, to send or print for the caller, in
    the language chosen (Hindi when left out; one not the helpline's is refused)."""
    form = request.form
    kind = form.get("format", "pdf")
    try:
        lang = chosen_language(form.get("language", DEFAULT_LANGUAGE))
        if kind not in CARD_FORMATS:
            raise DomainError("unknown format")
        card = find_card(get_session(), form.get("card_number", ""), form.get("phone", ""))
    except DomainError as exc:
        flash_error(exc)
        return redirect(_booking_for(form.get("phone", "")))
    return card_download(card, current_helpline().settings, lang, kind)


def _booking_for(phone: str, **args: str) -> str:
    """The booking page for ``phone``, addressed by its key (``caller_key``), never by
    the number."""
    mobile = try_normalise_mobile(phone)
    return url_for("console.booking", **({"who": caller_key(mobile)} if mobile else {}), **args)
