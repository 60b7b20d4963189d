"""Menu ``3``: registering a grievance by voice: category, hospital, a recorded
message (``#`` finishes; an empty recording is asked for once more), the reference
read back. The SMS is written by ``register_grievance`` itself."""

from __future__ import annotations

import logging
from dataclasses import replace

from flask import request
from twilio.twiml.voice_response import VoiceResponse

from booking_core.base import DomainError, whole_number
from booking_core.phones import mask_phone
from contact_centre.models import CallOutcome
from grievances.models import GrievanceCategory
from grievances.services import register_grievance
from ivr.flow import SILENT, TRIES, Ctx, step
from ivr.state import Choosing, Complaint

log = logging.getLogger(__name__)

CATEGORIES = list(GrievanceCategory)  # keys 1..5, in the order the enum lists them
MAX_RECORDING_SECONDS = 120


@step("griev.category")
def category_menu(ctx: Ctx) -> VoiceResponse:
    lines = [ctx.t("ivr.griev.category_heading")]
    for number, category in enumerate(CATEGORIES, 1):
        lines.append(ctx.t(f"ivr.griev.category.{category.value}", key=number))
    return ctx.menu(lines)


@category_menu.on_input
def category_chosen(ctx: Ctx) -> VoiceResponse:
    if not (ctx.digits.isdigit() and 1 <= int(ctx.digits) <= len(CATEGORIES)):
        return ctx.again()
    category = CATEGORIES[int(ctx.digits) - 1].value
    if not ctx.caller_mobile:
        # The reference goes out by SMS: a withheld number or a landline types a mobile.
        return ctx.go("book.mobile", replace(ctx.read(Choosing), purpose="griev"),
                      Complaint(category=category))
    return ctx.go("pick.hospital", replace(ctx.read(Choosing), purpose="griev"),
                  Complaint(category=category))


@step("griev.record")
def record_message(ctx: Ctx) -> VoiceResponse:
    silent_again = bool(ctx.state.get(SILENT))
    if silent_again and ctx.tries >= 2:
        return ctx.go("agent", intro=[ctx.t("ivr.griev.no_message")])
    ctx.log_menu("griev.record")
    own = ctx.own_state()
    words = [ctx.t("ivr.griev.no_message_retry")] if silent_again else []
    response = ctx.speak([*words, ctx.t("ivr.griev.record")])
    response.record(action=ctx.url("griev.recorded", **own, **{TRIES: ctx.tries}), method="POST",
                    max_length=MAX_RECORDING_SECONDS, finish_on_key="#", play_beep=True,
                    timeout=5, trim="trim-silence")
    # An empty recording skips the action: ask once more.
    response.redirect(ctx.url("griev.record", **own, **{TRIES: ctx.tries + 1, SILENT: 1}),
                      method="POST")
    return response


@step("griev.recorded")
def recorded(ctx: Ctx) -> VoiceResponse:
    form = request.form
    sid = (form.get("RecordingSid") or "").strip()[:64]
    url = (form.get("RecordingUrl") or "").strip()[:500]
    seconds = whole_number(form.get("RecordingDuration")) or 0
    if not sid or not url or seconds <= 0:
        retry = {**ctx.own_state(), TRIES: ctx.tries + 1, SILENT: 1}
        return record_message.prompt(Ctx(record_message, retry))
    complaint = ctx.read(Complaint)
    try:
        grievance = register_grievance(
            ctx.session, phone=complaint.mobile or ctx.caller_mobile or "",
            category=complaint.category or "", channel="ivr", language=ctx.lang,
            hospital_id=complaint.hospital, recording_sid=sid,
            recording_url=url, recording_seconds=seconds, actor="ivr",
            idempotency_key=f"ivr:{ctx.call_sid}:grievance:{sid}", requested_by=ctx.call_sid,
        )
    except DomainError as exc:
        log.info("IVR grievance refused: %s", exc.code)
        return ctx.go("main", intro=[ctx.t("ivr.not_possible")])
    ctx.log_outcome(CallOutcome.GRIEVANCE)
    ctx.log_done()
    log.info("IVR grievance %s from %s", grievance.id, mask_phone(grievance.citizen.phone))
    return ctx.go("griev.done", Complaint(reference=grievance.reference))


@step("griev.done")
def grievance_registered(ctx: Ctx) -> VoiceResponse:
    reference = str(ctx.read(Complaint).reference)
    return ctx.menu([ctx.t("ivr.griev.done"), ctx.t_number("ivr.griev.number_twice", reference),
                     ctx.t("ivr.griev.sent")])


@step("griev.number")
def complaint_number(ctx: Ctx) -> VoiceResponse:
    """"Hear again": only the number."""
    return ctx.menu([ctx.t_number("ivr.griev.number", str(ctx.read(Complaint).reference))])
