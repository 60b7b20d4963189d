"""Choosing a named thing (a hospital, a department, a district) by key or by voice.

Pages of at most five options, ``8`` for the next page; a spoken name in Devanagari or
Latin script is matched against every name and alias
(``booking_core.spoken_names.match_spoken_name``: by the whole name, a word shared with
other options counting little); when the match is not certain the caller is asked "did
you say ...? 1 yes, 2 no", and when two options fit as well, to say the whole name or
press its number. Options that are times (``Option.at``, the time menu) are matched by
the time said (``locales.heard.heard_time``) instead, never by their words: speech that
names no single time ("10 or 11", "before 11", «25 बजे», "tomorrow") is "we did not
understand that time", never a confirmation of the time whose words sound nearest.

A key means what was read out with it. The lists come from data that changes between
the prompt and the key (the directory refreshes, the day's demand ranking, a hospital
deactivated, another process with its own copy), so the prompt puts the ids of the page
it read (``Choosing.offered``) in the signed state, and the key or spoken number is
looked up there. An item that has gone meanwhile is never swapped for its neighbour:
the caller hears that it is no longer available, and the menu as it now is.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from twilio.twiml.voice_response import VoiceResponse

from booking_core.citizens import find_citizen
from booking_core.demand import LastHospital, demand_day, last_hospital_said
from booking_core.hospitals import Hospital
from booking_core.spoken_names import match_spoken_name
from ivr.engine import MAX_TRIES, condition
from ivr.flow import Ctx, Later, step
from ivr.state import Beds, Booking, Choosing, Complaint
from locales.formatting import spoken_time
from locales.heard import POSITION_WORDS, HeardTime, heard_number, heard_time

PAGE_SIZE = 5
MORE_KEY = "8"
# A spoken match this good is taken without asking; below SURE it is confirmed first,
# below HEARD it is not a match at all.
SURE, HEARD = 1.0, 0.5
MIN_CONFIDENCE = 0.5

OptionId = int | str


PURPOSES = ("book", "beds", "griev")  # what a hospital is chosen for (``Choosing.purpose``)
CHOOSER_STEPS = ("beds.district", "book.department", "book.slot")  # besides pick.hospital


def logged_names() -> tuple[str, ...]:
    """The names a chooser writes to the call's path besides its node's own: the hospital
    menu under its purpose (``book.hospital``, ``beds.hospital``, ``griev.hospital``) and
    each "did you say ...?" question under its menu's name and ``.confirm``. Every one
    needs words in the reports (``console.node.<name>``)."""
    hospital = [f"{purpose}.hospital" for purpose in PURPOSES]
    return (*hospital, *(f"{name}.confirm" for name in (*hospital, *CHOOSER_STEPS)))


@dataclass(frozen=True)
class Option:
    id: OptionId
    spoken: str  # what the caller hears
    names: list[str] = field(default_factory=list)  # what the caller may say
    item_key: str | None = None  # its own sentence ("..., where few places are left")
    at: dt.time | None = None  # a time's local clock time (a slot's start): said as a time


def choice_prompt(ctx: Ctx, options: list[Option], *, heading: str, more_key: str,
                  item_key: str = "ivr.pick.item", first_item_key: str | None = None,
                  log_as: str | None = None) -> VoiceResponse:
    """The current page of ``options`` (or the "did you say ...?" question)."""
    candidate = ctx.read(Choosing).candidate
    if candidate is not None:
        chosen = next((o for o in options if o.id == candidate), None)
        if chosen is not None:
            return ctx.menu([ctx.t("ivr.pick.did_you_say", name=chosen.spoken)],
                            log_as=f"{log_as or ctx.step.name}.confirm", with_options=False)
    page, items = _page(ctx, options)
    heard = replace(ctx.read(Choosing), page=page, candidate=None,
                    offered=[wire_id(option.id) for option in items])
    lines = [heading]
    for number, option in enumerate(items, 1):
        key = first_item_key if (first_item_key and page == 0 and number == 1) else (
            option.item_key or item_key)
        lines.append(ctx.t(key, name=option.spoken, digit=number))
    if len(options) > PAGE_SIZE:
        last_page = (page + 1) * PAGE_SIZE >= len(options)
        lines.append(ctx.t("ivr.pick.from_the_start" if last_page else more_key))
    hints = [name for option in options for name in (option.spoken, *option.names)]
    return ctx.menu(lines, hints=hints, log_as=log_as, state=ctx.own_state(heard))


def wire_id(option_id: OptionId) -> int:
    """An option's id as the state carries it: a number as it is, a name (a district)
    as 16 bits of its CRC-32, a few characters of URL instead of the whole name."""
    return option_id if isinstance(option_id, int) else zlib.crc32(option_id.encode()) & 0xFFFF


def _page(ctx: Ctx, options: list[Option]) -> tuple[int, list[Option]]:
    page = ctx.read(Choosing).page
    if page * PAGE_SIZE >= len(options):
        page = 0
    return page, options[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]


def choice_input(ctx: Ctx, options: list[Option],
                 chosen: Callable[[Ctx, OptionId], VoiceResponse], *,
                 said_back: bool = True) -> VoiceResponse:
    """Act on a key, a spoken name, or the answer to "did you say ...?". A name taken
    from speech without asking is said back first ("you said ...") unless the next
    prompt names it anyway (``said_back=False``)."""
    by_id = {o.id: o for o in options}
    choosing = ctx.read(Choosing)
    candidate = choosing.candidate
    if candidate is not None:
        if candidate not in by_id:
            return no_longer_offered(ctx)
        if ctx.digits == "1":
            return chosen(ctx, candidate)
        if ctx.digits == "2":
            return ctx.go(ctx.step.name, intro=[ctx.t("ivr.pick.try_again")],
                          **ctx.own_state(replace(choosing, candidate=None)))
        return ctx.again()
    if ctx.speech and not ctx.digits:
        return _spoken(ctx, options, chosen, said_back)
    if ctx.digits == MORE_KEY and len(options) > PAGE_SIZE:
        return ctx.go(ctx.step.name, **ctx.own_state(
            replace(choosing, page=choosing.page + 1, offered=None)))
    if ctx.digits.isdigit():
        return _at_position(ctx, options, int(ctx.digits), chosen)
    return ctx.again()


def _at_position(ctx: Ctx, options: list[Option], position: int,
                 chosen: Callable[[Ctx, OptionId], VoiceResponse]) -> VoiceResponse:
    """The option read out as number ``position`` of the page the caller heard."""
    offered = ctx.read(Choosing).offered
    if offered is None:  # a URL from before the page travelled in the state
        return no_longer_offered(ctx)
    if not 1 <= position <= len(offered):
        return ctx.again()
    option = next((o for o in options if wire_id(o.id) == offered[position - 1]), None)
    if option is None:
        return no_longer_offered(ctx)
    return chosen(ctx, option.id)


def no_longer_offered(ctx: Ctx) -> VoiceResponse:
    """The item the caller chose has gone since it was read out (a hospital deactivated,
    a department removed): say so, then the menu as it is now."""
    fresh = replace(ctx.read(Choosing), candidate=None, offered=None)
    return ctx.go(ctx.step.name, intro=[ctx.t("ivr.pick.gone")], **ctx.own_state(fresh))


def spoken_position(speech: str) -> int | None:
    """The number (1 to a page's five) of an option said instead of its name ("one",
    "number two", "एक", «नंबर दो»), or None."""
    words = [w for w in re.split(r"[\s.,।!?]+", speech.lower())
             if w and w not in POSITION_WORDS]
    position = heard_number(words[0]) if len(words) == 1 else None
    return position if position is not None and 1 <= position <= PAGE_SIZE else None


def _spoken(ctx: Ctx, options: list[Option],
            chosen: Callable[[Ctx, OptionId], VoiceResponse], said_back: bool) -> VoiceResponse:
    position = spoken_position(ctx.speech)
    offered = ctx.read(Choosing).offered
    if position is not None and (offered is None or position <= len(offered)):
        return _at_position(ctx, options, position, chosen)
    if any(o.at is not None for o in options):
        heard = heard_time(ctx.speech)
        if heard is None:
            return ctx.again("ivr.pick.time_not_understood")
        return _at_time(ctx, options, heard, chosen, said_back)
    # match_spoken_name scores integer ids; map whatever ids we have onto positions.
    scores = match_spoken_name(ctx.speech,
                               [(i, [o.spoken, *o.names]) for i, o in enumerate(options)])
    if not scores or scores[0][1] < HEARD:
        return ctx.again("ivr.pick.not_understood")
    best, score = scores[0]
    if len(scores) > 1 and scores[1][1] >= score:  # two fit as well: never pick one
        return ctx.again("ivr.pick.which")
    return _take_or_ask(ctx, options[best], chosen, said_back, sure=score >= SURE)


def _take_or_ask(ctx: Ctx, option: Option, chosen: Callable[[Ctx, OptionId], VoiceResponse],
                 said_back: bool, *, sure: bool) -> VoiceResponse:
    """Take what was heard when sure of it (the recogniser too), else ask "did you say
    ...?"."""
    if sure and ctx.confidence >= MIN_CONFIDENCE:
        if said_back:  # taken without asking: the next prompt first says what was heard
            ctx.then_say.append(Later("ivr.pick.heard", name=option.spoken))
        return chosen(ctx, option.id)
    return ctx.go(ctx.step.name, **ctx.own_state(replace(ctx.read(Choosing),
                                                         candidate=option.id)))


def _at_time(ctx: Ctx, options: list[Option], heard: HeardTime,
             chosen: Callable[[Ctx, OptionId], VoiceResponse], said_back: bool) -> VoiceResponse:
    """The time offered (on any page) at the time the caller said: its likeliest reading
    that is offered ("4" is 4 pm if 4 pm is offered, else 4 am). A time offered nowhere
    is said back as not free, and the menu again. That is an answer, not a mistake: it
    uses none of the menu's three tries, up to ``MAX_TRIES`` such answers
    (``Choosing.not_free``); after that each counts as a try, so a caller naming times
    that are never free still reaches the menu's exit."""
    readings = heard.readings()
    for reading in readings:
        found = [o for o in options if o.at == reading]
        if found:
            return _take_or_ask(ctx, found[0], chosen, said_back, sure=len(found) == 1)
    choosing = ctx.read(Choosing)
    ctx.state.update(replace(choosing, not_free=choosing.not_free + 1).wire())
    return ctx.again("ivr.pick.time_not_free", counted=choosing.not_free >= MAX_TRIES,
                     time=spoken_time(ctx.lang, readings[0]))


# Hospitals ---------------------------------------------------------------------

def _last_hospital_id(ctx: Ctx) -> int:
    """The caller's last hospital (0: none): read once, then carried in the state, so
    the menu's retries, pages and answer do not read the citizen again."""
    known = ctx.read(Choosing).last_hospital
    if known is not None:
        return known
    last = 0
    if ctx.caller_mobile:
        citizen = find_citizen(ctx.session, ctx.caller_mobile)
        last = (citizen.last_hospital_id or 0) if citizen else 0
    ctx.state.update(replace(ctx.read(Choosing), last_hospital=last).wire())
    return last


def hospital_options(ctx: Ctx) -> tuple[list[Option], bool]:
    """Every hospital, the caller's last one first; and whether there is a last one."""
    hospitals = list(ctx.directory.hospitals)
    last_id = _last_hospital_id(ctx)
    hospitals.sort(key=lambda h: h.id != last_id)
    has_last = bool(hospitals) and hospitals[0].id == last_id
    return [_hospital_option(ctx, h) for h in hospitals], has_last


def _hospital_option(ctx: Ctx, hospital: Hospital) -> Option:
    names = [hospital.name_en, hospital.name_hi, hospital.short_en, hospital.short_hi,
             *(hospital.aliases or [])]
    return Option(hospital.id, hospital.short_name(ctx.lang), [n for n in names if n])


@step("pick.hospital")
def pick_hospital(ctx: Ctx) -> VoiceResponse:
    """A hospital for booking (``f=book``), beds (``beds``) or a grievance (``griev``)."""
    options, has_last = hospital_options(ctx)
    purpose = ctx.read(Choosing).purpose
    if not options:
        return ctx.go("main", intro=[ctx.t("ivr.pick.no_hospitals")])
    return choice_prompt(
        ctx, options, heading=ctx.t("ivr.pick.hospital_heading"),
        more_key="ivr.pick.more_hospitals",
        first_item_key=_last_hospital_key(ctx, options[0].id) if has_last else None,
        log_as=f"{purpose}.hospital",
    )


def _last_hospital_key(ctx: Ctx, hospital_id: OptionId) -> str | None:
    """The sentence for the caller's last hospital, true of them: "where you went last
    time" only after a visit day there has passed, "where you booked last time" for
    one they booked themselves, else none (a relative booked it for them)."""
    if not ctx.caller_mobile:
        return None
    said = last_hospital_said(ctx.session, ctx.caller_mobile, int(hospital_id),
                              demand_day(ctx.settings.helpline_timezone))
    return {LastHospital.WENT: "ivr.pick.last_hospital",
            LastHospital.BOOKED: "ivr.pick.last_hospital_booked"}.get(said) if said else None


@pick_hospital.on_input
def hospital_chosen(ctx: Ctx) -> VoiceResponse:
    options, _ = hospital_options(ctx)
    # The department menu, the beds and the complaint name the hospital at once.
    return choice_input(ctx, options, _after_hospital, said_back=False)


@condition("for_grievance")
def for_grievance(ctx: Ctx) -> bool:
    return ctx.read(Choosing).purpose == "griev"


def _after_hospital(ctx: Ctx, hospital_id: OptionId) -> VoiceResponse:
    purpose = ctx.read(Choosing).purpose
    if purpose == "beds":
        return ctx.go("beds.result", Beds(hospital=int(hospital_id)))
    if purpose == "griev":
        return ctx.go("griev.record", replace(ctx.read(Complaint), hospital=int(hospital_id)))
    return ctx.go("book.department", Booking(hospital=int(hospital_id)))
