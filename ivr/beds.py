"""Menu ``2``: vacant beds by type for one hospital or every hospital of a district,
with how old the figures are; stale figures are said to be old."""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from twilio.twiml.voice_response import VoiceResponse

from booking_core.base import utcnow
from booking_core.hospitals import district_as_said
from booking_core.resources import BedFigures, BedType, vacant_beds
from contact_centre.models import CallOutcome
from ivr.choosers import Option, choice_input, choice_prompt
from ivr.flow import Ctx, step
from ivr.state import Beds
from locales import render_count
from locales.formatting import format_age, format_number


def _district_options(ctx: Ctx) -> list[Option]:
    return [Option(en, district_as_said(en, hi, ctx.lang),
                   [en, hi, district_as_said(en, hi, "en"), district_as_said(en, hi, "hi")])
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
    """One hospital's vacant beds by type, then its vacant ICU beds with a ventilator in a
    sentence of their own (the patient needing one asks for exactly that), and how old
    the figures are.

    A count of none is never read as a number next to its noun ("ICU 0", «खाली
    वेंटिलेटर: 0»): the types with vacant beds are listed with their counts, the types
    without are named in one sentence ("No general or ICU bed is vacant."), a hospital
    with none at all says so, and ventilators are a counted sentence (none, one, many)."""
    beds = [f for f in figures if f.bed_type != BedType.VENTILATOR]
    ventilators = [f for f in figures if f.bed_type == BedType.VENTILATOR]
    oldest = min(f.updated_at for f in figures)
    age = format_age(ctx.lang, (utcnow() - oldest).total_seconds())
    vacant = [f for f in beds if f.vacant > 0]
    sentences: list[str] = []
    if vacant:
        counts = ", ".join(f"{ctx.t(f'bed_type.{f.bed_type}')} {format_number(ctx.lang, f.vacant)}"
                           for f in vacant)
        sentences.append(ctx.t("ivr.beds.hospital", hospital=name, counts=counts))
        full = [ctx.t(f"bed_type.{f.bed_type}") for f in beds if f.vacant <= 0]
        if full:
            sentences.append(ctx.t("ivr.beds.none_of", types=ctx.t("ivr.beds.or").join(full)))
    elif beds:
        sentences.append(ctx.t("ivr.beds.hospital_full", hospital=name))
    if ventilators:
        free = sum(f.vacant for f in ventilators)
        family = "ivr.beds.ventilators" if beds else "ivr.beds.hospital_ventilators"
        sentences.append(render_count(ctx.lang, family, free, hospital=name,
                                      n=format_number(ctx.lang, free)))
    sentences.append(ctx.t("ivr.beds.updated", age=age))
    if any(f.stale for f in figures):
        sentences.append(ctx.t("ivr.beds.stale"))
    return " ".join(sentences)


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
