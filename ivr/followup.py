"""The follow-up call placed after a grievance is closed: "was your problem solved?"
(``1`` yes, ``2`` no, which reopens it as an appeal). ``/calls/<row>/answer`` starts it;
its keys, retries and exits are the engine's, as on the inbound line. A call answered by
silence (voicemail, a carrier's announcement) counts as not reached: the next attempt
is queued, as for a call nobody answered."""

from __future__ import annotations

import logging
from dataclasses import replace

from twilio.twiml.voice_response import VoiceResponse

from booking_core.base import NotFound
from booking_core.outbox import OutboxMessage
from grievances.models import Grievance
from ivr.engine import action
from ivr.flow import Ctx, step
from ivr.state import Followup
from locales.formatting import spoken_digits
from messaging import followup

log = logging.getLogger(__name__)


@step("followup")
def followup_question(ctx: Ctx) -> VoiceResponse:
    grievance = ctx.session.get(Grievance, ctx.read(Followup).grievance)
    if grievance is None:
        raise NotFound("no such grievance", entity="grievance")
    return ctx.menu([ctx.t("ivr.followup.question",
                           reference=spoken_digits(grievance.reference))])


def _answered(ctx: Ctx, solved: bool) -> VoiceResponse:
    call = ctx.read(Followup)
    followup.record_followup_answer(ctx.session, call.grievance, solved)
    return ctx.go("followup.thanks", replace(call, solved=solved))


@action("followup_solved")
def solved(ctx: Ctx) -> VoiceResponse:
    return _answered(ctx, True)


@action("followup_not_solved")
def not_solved(ctx: Ctx) -> VoiceResponse:
    return _answered(ctx, False)


@step("followup.thanks")
def thanks(ctx: Ctx) -> VoiceResponse:
    key = ("messaging.call.followup_solved" if ctx.read(Followup).solved
           else "messaging.call.followup_not_solved")
    response = ctx.speak([ctx.t(key)])
    response.hangup()
    return response


@step("followup.unanswered")
def unanswered(ctx: Ctx) -> VoiceResponse:
    call = ctx.read(Followup)
    row = ctx.session.get(OutboxMessage, call.outbox_row)
    if row is not None:
        followup.schedule_retry(ctx.session, row, "no-answer")
        log.info("follow-up call for grievance %s answered by silence", call.grievance)
    response = ctx.speak([ctx.t("ivr.followup.later")])
    response.hangup()
    return response
