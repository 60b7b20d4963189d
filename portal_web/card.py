"""The eHealth card on the portal (``/portal/card``): verify the mobile with its
one-time code, get a card for anyone who uses that mobile, download any of them as PDF
or PNG in Hindi or English. Works without JavaScript; every form answers bad input on
the page, in the citizen's language, keeping what was typed.

Registered on the portal's blueprint by ``register_card_routes``; the blueprint gives
the language (``g.portal_lang``), CSRF and the verified-mobile cookie, whose two
functions are passed in, so this module needs nothing else of the portal's.
Card numbers travel in form bodies, never in URLs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, g, render_template, request
from werkzeug.datastructures import MultiDict

from booking_core.base import DomainError, whole_number
from booking_core.ehealth import CardIssuer, Sex, cards_for_phone, find_card, issue_card
from booking_core.phones import mask_phone
from booking_core.refs import spaced_card_number
from booking_core.verification import check_code, send_code
from helpline.app import current_helpline, get_session
from helpline.cards import CARD_FORMATS, card_document, card_filename
from locales import LANGUAGES, render

# Errors shown on the page, by the domain's code (anything else: a general sentence).
_FIELD_OF = {"invalid_mobile": "mobile", "otp_rate_limited": "mobile",
             "invalid_abha": "abha_number", "abha_on_another_card": "abha_number"}
_KNOWN_ERRORS = {"invalid_mobile", "otp_rate_limited", "otp_not_requested", "otp_expired",
                 "otp_wrong_code", "otp_attempts_exhausted", "invalid_abha",
                 "abha_on_another_card", "name", "year_of_birth", "sex"}


def _t(key: str, **params: Any) -> str:
    return render(g.get("portal_lang", "hi"), key, **params)


def _error(exc: DomainError) -> tuple[str, str]:
    """(field, sentence) for a refusal."""
    field = str(exc.details.get("field") or _FIELD_OF.get(exc.code, "form"))
    code = field if exc.code == "invalid_input" and field in _KNOWN_ERRORS else exc.code
    if code not in _KNOWN_ERRORS:
        return field, _t("ehealth.portal.err.generic")
    if code == "otp_rate_limited":
        minutes = -(-int(exc.details.get("retry_after", 3600)) // 60)
        return field, _t("ehealth.portal.err.otp_rate_limited", minutes=minutes)
    return field, _t(f"ehealth.portal.err.{code}")


def register_card_routes(
    bp: Blueprint,
    *,
    verified_mobile: Callable[[], str | None],
    remember_mobile: Callable[[str], None],
) -> None:
    """Add ``portal.card`` (GET and POST ``/portal/card``) and ``portal.card_download``
    (POST ``/portal/card/download``) to the portal blueprint ``bp``.

    ``verified_mobile()`` is the E.164 mobile this browser proved in the last minutes
    (or None); ``remember_mobile(phone)`` records a new proof. Calling it again (an
    app factory run once per test) changes nothing: a blueprint is set up once."""
    if getattr(bp, "has_card_routes", False):
        return
    bp.has_card_routes = True  # type: ignore[attr-defined]

    def page(form: MultiDict[str, str], *, status: int = 200, **shown: Any) -> Any:
        phone = verified_mobile()
        cards = cards_for_phone(get_session(), phone) if phone else []
        shown.setdefault("errors", {})
        html = render_template(
            "portal/card.html", form=form, phone=phone, masked=mask_phone(phone),
            cards=cards, spaced=spaced_card_number, sexes=list(Sex),
            languages=LANGUAGES, formats=list(CARD_FORMATS), **shown)
        return html, status

    @bp.route("/card", methods=["GET", "POST"], endpoint="card")
    def card_page() -> Any:
        if request.method == "GET":
            return page(MultiDict())
        form = request.form
        step = form.get("step", "")
        settings = current_helpline().settings
        session = get_session()
        try:
            if step == "send_code":
                sent = send_code(session, form.get("mobile", "")[:32], g.portal_lang,
                                 ttl_seconds=settings.otp_ttl_seconds,
                                 per_hour=settings.otp_per_number_per_hour)
                return page(form, code_sent=True, notice=_t(
                    "ehealth.portal.code_sent", mobile=mask_phone(sent.phone)))
            if step == "check_code":
                phone = check_code(session, form.get("mobile", "")[:32],
                                   form.get("code", "")[:12],
                                   max_attempts=settings.otp_max_attempts)
                remember_mobile(phone)
                return page(MultiDict(), notice=_t("ehealth.portal.verified",
                                                   mobile=mask_phone(phone)))
            if step == "issue":
                phone = verified_mobile()
                if phone is None:
                    return page(form, status=400, errors={
                        "form": _t("ehealth.portal.err.verify_first")})
                year = whole_number(form.get("year_of_birth"))
                issued = issue_card(
                    session, phone=phone, name=form.get("name", "")[:200],
                    year_of_birth=year if year is not None else -1,
                    sex=form.get("sex") or None,
                    abha_number=form.get("abha_number") or None,
                    via=CardIssuer.PORTAL, actor="portal")
                key = "ehealth.portal.issued" if issued.new else "ehealth.portal.already"
                return page(MultiDict(), notice=_t(key, name=issued.card.name),
                            highlight=issued.card.number)
        except DomainError as exc:
            field, sentence = _error(exc)
            return page(form, status=422, errors={field: sentence},
                        code_sent=step == "check_code")
        return page(form, status=400, errors={"form": _t("ehealth.portal.err.generic")})

    @bp.post("/card/download", endpoint="card_download")
    def card_download() -> Any:
        phone = verified_mobile()
        kind = request.form.get("format", "pdf")
        lang = request.form.get("language", "hi")
        if phone is None:
            return page(MultiDict(), status=400,
                        errors={"form": _t("ehealth.portal.err.verify_first")})
        if kind not in CARD_FORMATS or lang not in LANGUAGES:
            return page(MultiDict(), status=400,
                        errors={"form": _t("ehealth.portal.err.generic")})
        try:
            card = find_card(get_session(), request.form.get("card_number", ""), phone)
        except DomainError:
            return page(MultiDict(), status=404,
                        errors={"form": _t("ehealth.portal.err.no_card")})
        data = card_document(card, current_helpline().settings, lang, kind)
        return Response(data, mimetype=CARD_FORMATS[kind], headers={
            "Content-Disposition": f'attachment; filename="{card_filename(card, lang, kind)}"'})
