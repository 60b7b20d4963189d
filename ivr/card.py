"""The eHealth card on the phone line: type a card number at the read-back to book for
that card (``book.card``), or from menu 4 to hear that card's upcoming appointments
(``mine.card``). Each card number is read back digit by digit; a mistyped one (wrong
length or check digit) gets a short retry, an unknown one says so."""

from __future__ import annotations

from dataclasses import replace

from twilio.twiml.voice_response import VoiceResponse

from booking_core.base import NotFound
from booking_core.ehealth import EHealthCard, InvalidCardNumber, card_appointments, find_card
from contact_centre.models import CallOutcome
from ivr.flow import Ctx, step
from ivr.mine import describe_appointment
from ivr.speech import Words
from ivr.state import Booking

# Appointments read out for one card, soonest first (the rest: by SMS STATUS or an agent).
CARD_APPOINTMENTS_READ = 3


def _typed_card(ctx: Ctx) -> EHealthCard | str:
    """The card the caller typed, or the catalog key of the retry to say."""
    try:
        return find_card(ctx.session, ctx.digits)
    except InvalidCardNumber:
        return "ivr.card.bad_number"
    except NotFound:
        return "ivr.card.not_found"


@step("book.card")
def ask_card_for_booking(ctx: Ctx) -> VoiceResponse:
    return ctx.menu([ctx.t("ivr.card.type_number")])


@ask_card_for_booking.on_input
def card_typed_for_booking(ctx: Ctx) -> VoiceResponse:
    card = _typed_card(ctx)
    if isinstance(card, str):
        return ctx.again(card)
    booking = replace(ctx.read(Booking), card=card.number, patient_mobile=None, abha=None)
    return ctx.go("book.confirm", **ctx.own_state(booking))


@step("mine.card")
def ask_card_for_appointments(ctx: Ctx) -> VoiceResponse:
    return ctx.menu([ctx.t("ivr.card.type_number")])


@ask_card_for_appointments.on_input
def card_typed_for_appointments(ctx: Ctx) -> VoiceResponse:
    card = _typed_card(ctx)
    if isinstance(card, str):
        return ctx.again(card)
    upcoming = card_appointments(ctx.session, card)
    # The department (psychiatry, a clinic for one illness) is the card holder's own
    # business: read only to the mobile the card was made with, as SMS STATUS answers
    # a card only there. Another phone (a relative with the card in hand) hears where
    # and when, enough to bring the patient; the counter reads the card on the day.
    own = ctx.caller_mobile is not None and ctx.caller_mobile == card.citizen.phone
    words: list[str | list[Words]] = []
    if not upcoming:
        words.append(ctx.t_number("ivr.card.none", card.number))
    else:
        words.append(ctx.t_number("ivr.card.heading", card.number))
        for appointment in upcoming[:CARD_APPOINTMENTS_READ]:
            # No booking numbers: a card number typed from any phone hears when and
            # where, never what it would take to cancel.
            words.append(ctx.t("ivr.card.item", appointment=describe_appointment(
                ctx, appointment, department=own)))
        if not own:
            words.append(ctx.t("ivr.card.department_own_phone"))
    ctx.log_outcome(CallOutcome.INFORMATION)
    return ctx.go("mine", intro=words)
