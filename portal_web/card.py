"""The eHealth card on the portal (``/portal/card``): verify the mobile with its
one-time code (the portal's own verification block), get a card for anyone who uses
that mobile, download any of them as PDF or PNG in Hindi or English. Works without
JavaScript; every form answers bad input on its GET page after a redirect, in the
citizen's language, keeping what was typed. Card numbers travel in form bodies, never in URLs.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from booking_core.base import DomainError, whole_number
from booking_core.ehealth import (
    CardIssuer,
    Sex,
    cards_for_phone,
    check_card_person,
    find_card,
    issue_card,
)
from booking_core.refs import spaced_card_number
from helpline.app import current_helpline, get_session
from helpline.cards import CARD_FORMATS, card_download
from locales import LANGUAGES
from portal_web import carry, i18n
from portal_web.pages import kept_on_outage, outage_message
from portal_web.verify import (
    STEPS,
    MobileCheck,
    after_step,
    back_to_form,
    current_check,
    run_step,
)

# Refusals of the card form with a sentence of their own (else the portal's).
CARD_ERRORS = {"invalid_abha": "abha_number", "abha_on_another_card": "abha_number",
               "invalid_name": "name", "name_too_long": "name",
               "name": "name", "year_of_birth": "year_of_birth",
               "year_out_of_range": "year_of_birth", "sex": "sex"}
# The new card's fields, carried back to the form after a refusal.
CARD_FIELDS = ("name", "year_of_birth", "sex", "abha_number")
# What a refusal's sentence fills in from its details (the years allowed).
SENTENCE_PARAMS = ("first", "last")


def _sentence(exc: DomainError) -> str:
    """The citizen's words for one refused field of the card form."""
    field = str(exc.details.get("field") or CARD_ERRORS.get(exc.code, "form"))
    code = field if exc.code == "invalid_input" else exc.code
    if code in CARD_ERRORS:
        params = {k: v for k, v in exc.details.items() if k in SENTENCE_PARAMS}
        return i18n.t(f"portal.card.err.{code}", **params)
    return i18n.error_text(exc.code)


def _refusals(exc: DomainError) -> dict[str, str]:
    """Each refused field of the card form with its sentence, all at once."""
    return i18n.refusal_texts(exc, _sentence, {name: name for name in CARD_FIELDS})


def _page(check: MobileCheck, form: MultiDict[str, str] | None = None, status: int = 200,
          **shown: Any) -> Any:
    cards = cards_for_phone(get_session(), check.phone) if check.phone else []
    shown.setdefault("errors", {})
    return render_template(
        "portal/card.html", check=check, form=form or MultiDict(), cards=cards,
        card_number=spaced_card_number, sexes=list(Sex), languages=LANGUAGES,
        formats=list(CARD_FORMATS), **shown), status


def card_page() -> Any:
    """GET: the verification block, or this mobile's cards and the form for a new one.
    POST: a verification step, or ``step=issue``."""
    form = request.form
    check = current_check(form)
    step = form.get("step", "") if request.method == "POST" else ""
    if step in STEPS:
        check = run_step(step, form)
        done = after_step(check, url_for("portal.card"))
        return done or _page(check, form if check.errors else None,
                             422 if check.errors else 200)
    if step != "issue":
        carried = carry.take()
        issued = carried.get("issued") or {}
        kept = carried.get("draft") or {}
        return _page(check, MultiDict({k: str(v) for k, v in kept.items()
                                       if k in CARD_FIELDS}),
                     notice=i18n.again(issued.get("notice", "")),
                     highlight=str(issued.get("number", "")),
                     errors=i18n.again_all(carried.get("errors")))
    year = whole_number(form.get("year_of_birth"))
    if check.phone is None:  # said with whatever else is wrong in the form
        check.errors.setdefault("mobile", i18n.t("portal.verify.needed"))
        try:
            check_card_person(name=form.get("name", ""), year_of_birth=year,
                              sex=form.get("sex") or None,
                              abha_number=form.get("abha_number") or None)
        except DomainError as exc:
            return _refused(check, form, 400, _refusals(exc))
        return _refused(check, form, 400, {})
    try:
        issued = issue_card(get_session(), phone=check.phone, name=form.get("name", ""),
                            year_of_birth=year,
                            sex=form.get("sex") or None,
                            abha_number=form.get("abha_number") or None,
                            via=CardIssuer.PORTAL, actor="portal")
    except DomainError as exc:
        return _refused(check, form, 422, _refusals(exc))
    key = "portal.card.issued" if issued.new else "portal.card.already"
    notice = i18n.t(key, name=issued.card.name)
    # The card number rides in the sealed cookie, never in the URL.
    return carry.redirect_with(url_for("portal.card"), issued={
        "notice": i18n.keep(notice), "number": issued.card.number}) \
        or _page(check, notice=notice, highlight=issued.card.number)


def _refused(check: MobileCheck, form: MultiDict[str, str], status: int,
             errors: dict[str, str]) -> Any:
    """A refused card form: back to ``/portal/card`` with what was typed and why
    (Post/Redirect/Get), or in place with ``status`` when that does not fit a cookie."""
    draft = {k: form.get(k, "") for k in CARD_FIELDS if form.get(k)}  # whole, never cut
    return back_to_form(check, url_for("portal.card"), draft,
                        errors=i18n.keep_all(errors)) \
        or _page(check, form, status, errors=errors)


def download_card() -> Any:
    """One of this mobile's cards as PDF or PNG (``card_number``, ``format``,
    ``language`` in the form)."""
    check = current_check()
    kind, lang = request.form.get("format", "pdf"), request.form.get("language", "hi")
    if check.phone is None:
        check.errors["mobile"] = i18n.t("portal.verify.needed")
        return _refused(check, MultiDict(), 400, {})
    # The form's own lists send one of these; anything else was forged or garbled, and
    # is said as such rather than as "no such card".
    if kind not in CARD_FORMATS:
        return _refused(check, MultiDict(), 400, {"form": i18n.t("portal.card.err.format")})
    if lang not in LANGUAGES:
        return _refused(check, MultiDict(), 400, {"form": i18n.t("portal.card.err.language")})
    try:
        card = find_card(get_session(), request.form.get("card_number", ""), check.phone)
    except DomainError:
        return _refused(check, MultiDict(), 404, {"form": i18n.t("portal.card.err.no_card")})
    return card_download(card, current_helpline().settings, lang, kind)


@kept_on_outage("card")
def _card_on_outage() -> Any:
    check = current_check(request.form)
    check.code_sent = request.form.get("step") == "check_code"
    return render_template(
        "portal/card.html", check=check, form=request.form, cards=[], errors={},
        card_number=spaced_card_number, sexes=list(Sex), languages=LANGUAGES,
        formats=list(CARD_FORMATS), outage=outage_message())


def register_card_routes(bp: Blueprint) -> None:
    """Add ``portal.card`` (GET and POST ``/portal/card``) and ``portal.card_download``
    (POST ``/portal/card/download``) to the portal blueprint. Calling it again (an app
    factory run once per test) changes nothing: a blueprint is set up once."""
    if getattr(bp, "has_card_routes", False):
        return
    bp.has_card_routes = True  # type: ignore[attr-defined]
    bp.add_url_rule("/card", "card", card_page, methods=["GET", "POST"])
    bp.add_url_rule("/card/download", "card_download", download_card, methods=["POST"])
