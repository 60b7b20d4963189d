"""Grievances: register one (for the verified mobile), and see where one stands."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request, url_for

from booking_core.base import DomainError, refusals_by_field, whole_number
from booking_core.hospitals import get_hospital, in_name_order, list_hospitals
from booking_core.refs import REFERENCE_LENGTH, normalise_reference
from grievances.models import OPEN_STATUSES, Grievance, GrievanceCategory
from grievances.services import (
    MAX_DESCRIPTION,
    check_grievance,
    find_grievance,
    register_grievance,
)
from helpline.app import get_session
from portal_web import carry, i18n
from portal_web.blueprint import portal
from portal_web.pages import kept_on_outage, outage_message, page
from portal_web.verify import (
    STEPS,
    after_step,
    back_to_form,
    check_in_place,
    current_check,
    run_step,
)


def _draft() -> dict[str, str]:
    """The complaint as sent. A link may choose its category and hospital; the words
    come only from the form (or its sealed carry), never from a URL, so no link, no
    language switch and no log line holds what a citizen wrote."""
    form = request.form if request.method == "POST" else request.args
    return {"category": form.get("category", "")[:40],
            "hospital": form.get("hospital", "")[:12],
            "description": request.form.get("description", "")[:MAX_DESCRIPTION + 100]}


@portal.route("/grievances/new", methods=["GET", "POST"])
def new_grievance() -> Any:
    """The complaint form; its text, category and hospital come back on every failed
    submit and through the mobile's verification."""
    draft = _draft()
    check = current_check(request.form)
    errors: dict[str, str] = {}
    step = request.form.get("step", "")
    if request.method == "GET":
        carried = carry.take()
        draft.update({k: str(v) for k, v in carried.get("draft", {}).items() if k in draft})
        errors = i18n.again_all(carried.get("errors"))
    if request.method == "POST" and step in STEPS:
        check = run_step(step, request.form)
        done = after_step(check, url_for("portal.new_grievance"), **draft)
        if done is not None:
            return done
    elif request.method == "POST":
        errors = _check_draft(draft)
        if check.phone is None:
            check.errors.setdefault("mobile", i18n.t("portal.verify.needed"))
        elif not errors:
            try:
                grievance = register_grievance(
                    get_session(), phone=check.phone, category=draft["category"],
                    channel="portal", language=i18n.current_language(),
                    description=draft["description"],
                    hospital_id=whole_number(draft["hospital"]), actor="portal-web")
            except DomainError as exc:
                errors.update(i18n.refusal_texts(exc, _sentence, FIELDS))
            else:
                return carry.redirect_done(
                    url_for("portal.grievance", reference=grievance.reference), "registered")
    refused = request.method == "POST" and bool(errors or check.errors)
    if refused:  # back to the form's GET page with what was typed and why (PRG)
        again = back_to_form(check, url_for("portal.new_grievance"), draft,
                             errors=i18n.keep_all(errors))
        if again is not None:
            return again
    return page("grievance_new.html", 422 if refused else 200, draft=draft, check=check,
                errors=errors, categories=list(GrievanceCategory),
                hospitals=in_name_order(list_hospitals(get_session()), i18n.current_language()),
                max_length=MAX_DESCRIPTION)


@kept_on_outage("new_grievance")
def _new_grievance_on_outage() -> Any:
    check = current_check(request.form)
    check.code_sent = request.form.get("step") == "check_code"
    draft = _draft()
    # An expired form (the database is fine) gets the whole list back, its choice still
    # chosen; during an outage the list cannot be read, so the choice is kept unseen.
    hospitals = ([] if not g.get("portal_form_expired") else
                 in_name_order(list_hospitals(get_session()), i18n.current_language()))
    return page("grievance_new.html", 503, draft=draft, check=check,
                errors={}, outage=outage_message(), categories=list(GrievanceCategory),
                hospitals=hospitals, kept_hospital=bool(draft["hospital"]) and not hospitals,
                max_length=MAX_DESCRIPTION)


@kept_on_outage("grievance_status")
def _status_on_outage() -> Any:
    form = {"reference": request.form.get("reference", "")[:20],
            "mobile": request.form.get("mobile", "")[:32]}
    return page("grievance_status.html", 503, form=form, errors={},
                outage=outage_message())


# The complaint form's names for the fields the domain names.
FIELDS = {"category": "category", "description": "description", "hospital_id": "hospital"}


def _sentence(exc: DomainError) -> str:
    """The citizen's words for one refused field of the complaint form."""
    field = exc.details.get("field")
    if exc.code == "description_too_short":
        return i18n.t("portal.err.description_too_short", words=exc.details["min_words"],
                      letters=exc.details["min_letters"])
    if field == "category":
        return i18n.t("portal.err.choose_category")
    if field == "description":
        if "max" in exc.details:
            return i18n.t("portal.err.too_long", limit=exc.details["max"])
        return i18n.t("portal.err.describe")
    if field == "hospital_id":
        return i18n.t("portal.err.choose_hospital")
    return i18n.error_text(exc.code)


def _check_draft(draft: dict[str, str]) -> dict[str, str]:
    """Everything wrong with the complaint as typed, at once, by the domain's rules
    (``check_grievance``), so it is said even before the mobile is verified."""
    errors: dict[str, str] = {}
    try:
        check_grievance(category=draft["category"], description=draft["description"])
    except DomainError as exc:
        errors.update(i18n.refusal_texts(exc, _sentence, FIELDS))
    if draft["hospital"] and whole_number(draft["hospital"]) is None:
        errors["hospital"] = i18n.t("portal.err.choose_hospital")
    return errors


@portal.route("/grievances/<reference>", methods=["GET", "POST"])
def grievance(reference: str) -> Any:
    """A grievance of the verified mobile. Opened before the mobile is proved (the SMS's
    link, a bookmark, a verification that ran out) it asks for the code here and then
    shows this same complaint, its query kept (``verify.check_in_place``), with the
    lookup by number and mobile offered beside. "Your complaint has been registered"
    only on the page registering it leads to, once (``carry.redirect_done``: not on a
    reload, nor from a copy of its URL), and only while the complaint is still open:
    later visits show its status alone."""
    check = check_in_place()
    if isinstance(check, Response):
        return check
    if check.phone is None:
        refused = bool(check.errors) and request.method == "POST"
        return page("grievance_verify.html", 422 if refused else 200, check=check,
                    reference=normalise_reference(reference)[:REFERENCE_LENGTH])
    found = find_grievance(get_session(), reference, check.phone)
    just_registered = carry.done() == "registered" and found.status in OPEN_STATUSES
    return _show(found, registered=just_registered)


@portal.route("/grievances/status", methods=["GET", "POST"])
def grievance_status() -> Any:
    """Status by reference and mobile, as on the phone line; a POST so the number
    never sits in a URL."""
    form = {"reference": request.form.get("reference", "")[:20],
            "mobile": request.form.get("mobile", "")[:32]}
    if request.method == "GET":
        carried = carry.take()
        form.update({k: str(v)[:32] for k, v in (carried.get("form") or {}).items()
                     if k in form})
        return page("grievance_status.html", form=form,
                    errors=i18n.again_all(carried.get("errors")))
    errors = {}  # both fields at once, each with its own reason
    try:
        found = find_grievance(get_session(), form["reference"], form["mobile"])
    except DomainError as exc:
        for field, refusal in refusals_by_field(exc).items():
            errors["mobile" if field == "mobile" else "reference"] = i18n.error_text(
                refusal.code, refusal.details)
        if not form["reference"].strip():
            errors["reference"] = i18n.t("portal.err.reference_needed")
        status = 404 if exc.code == "not_found" else 422
    else:
        return _show(found, registered=False)
    # Back to the form's GET page with what was typed and why (PRG), unless too big.
    return carry.redirect_with(url_for("portal.grievance_status"), sticky=True, form=form,
                               errors=i18n.keep_all(errors)) \
        or page("grievance_status.html", status, form=form, errors=errors)


def _show(found: Grievance, registered: bool) -> Any:
    hospital = get_hospital(get_session(), found.hospital_id) if found.hospital_id else None
    return page("grievance.html", grievance=found, hospital=hospital, registered=registered)
