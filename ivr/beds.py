"""Menu ``2``: vacant beds by type for one hospital or every hospital of a district,
with how old the figures are; stale figures are said to be old."""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from twilio.twiml.voice_response import VoiceResponse

from booking_core.base import utcnow
from booking_core.resources import BedFigures, BedType, vacant_beds
from contact_centre.models import CallOutcome
from ivr.choosers import Option, choice_input, choice_prompt
from ivr.flow import Ctx, step
from ivr.state import Beds
from locales.formatting import format_age, format_number


def _district_options(ctx: Ctx) -> list[Option]:
    return [Option(en, hi if ctx.lang == "hi" and hi else en, [en, hi])
            for en, hi in ctx.directory.districts]


@step("beds.district")
def pick_district(ctx: Ctx) -> VoiceResponse:
    return choice_prompt(ctx, _district_options(ctx), heading=ctx.t("ivr.beds.district_heading"),
                         more_key="ivr.pick.more_districts")


@pick_district.on_input
def district_chosen(ctx: Ctx) -> VoiceResponse:
    return choice_input(ctx, _district_options(ctx),
                        lambda c, district: c.go("beds.result", Beds(district=str(district))))


def _hospital_words(ctx: Ctx, name: str, figures: list[BedFigures]) -> str:
    """One hospital's vacant beds by type, then its available ventilators in a sentence of
    their own (a ventilator is not a bed), and how old the figures are."""
    beds = [f for f in figures if f.bed_type != BedType.VENTILATOR]
    ventilators = [f for f in figures if f.bed_type == BedType.VENTILATOR]
    counts = ", ".join(f"{ctx.t(f'bed_type.{f.bed_type}')} {format_number(ctx.lang, f.vacant)}"
                       for f in beds)
    oldest = min(f.updated_at for f in figures)
    age = format_age(ctx.lang, (utcnow() - oldest).total_seconds())
    free = format_number(ctx.lang, sum(f.vacant for f in ventilators))
    if not ventilators:
        words = ctx.t("ivr.beds.hospital", hospital=name, counts=counts, age=age)
    elif not beds:
        words = ctx.t("ivr.beds.ventilators_only", hospital=name, ventilators=free, age=age)
    else:
        words = ctx.t("ivr.beds.hospital_ventilators", hospital=name, counts=counts,
                      ventilators=free, age=age)
    if any(f.stale for f in figures):
        words += " " + ctx.t("ivr.beds.stale")
    return words


@step("beds.result")
def beds_result(ctx: Ctx) -> VoiceResponse:
    stale_after = dt.timedelta(hours=ctx.settings.resource_stale_hours)
    beds = ctx.read(Beds)
    hospital_id = beds.hospital
    district = beds.district if hospital_id is None else None
    figures = vacant_beds(ctx.session, hospital_id=hospital_id, district=district,
                          stale_after=stale_after)
    names = {h.id: h.short_name(ctx.lang) for h in ctx.directory.hospitals_in(district)}
    lines = [_hospital_words(ctx, names.get(hid, ""), list(rows))
             for hid, rows in groupby(figures, key=lambda f: f.hospital_id)]
    if not lines:
        lines = [ctx.t("ivr.beds.none")]
    if ctx.tries == 0:
        ctx.log_outcome(CallOutcome.INFORMATION)
    return ctx.menu(lines)
