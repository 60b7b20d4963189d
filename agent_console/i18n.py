"""Console labels in the signed-in agent's language (``console.po``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from flask import g, request, session

from booking_core.phones import mask_phone
from contact_centre.models import Disposition
from locales import LANGUAGES, count_key, has_message, normalise_language, render, render_count
from locales.formatting import (
    format_age,
    format_date,
    format_number,
    format_time,
    format_time_range,
    local,
)


def current_language() -> str:
    """The signed-in staff member's language; before sign-in, the one chosen on the
    sign-in page (or kept from the last sign-out), else the browser's (English when it
    asks for neither)."""
    user = g.get("staff")
    if user is not None:
        return normalise_language(user.language)
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return normalise_language(request.accept_languages.best_match(LANGUAGES, default="en"))


def t(key: str, **params: object) -> str:
    return render(current_language(), key, **params)


def tn(key: str, n: int, **params: object) -> str:
    """The counted sentence ``key`` for ``n`` in the agent's language: ``key.zero``,
    ``key.one`` or ``key.other`` (``locales.render_count``), with ``n`` filled in."""
    return render_count(current_language(), key, n, **params)


def label(family: str, value: object) -> str:
    """The words for a stored code (``console.cbreason.queue_wait``); a code nobody
    gave words to reads as "Other" rather than as the code."""
    code = getattr(value, "value", value)
    key = f"console.{family}.{code}"
    return t(key) if has_message(key) else t("console.other_value")


def label_alone(family: str, value: object) -> str:
    """``label`` standing by itself (a chart's bar, a list's item) rather than inside a
    sentence: its first letter a capital ("Phone", "SMS"; Hindi has no case)."""
    words = label(family, value)
    return words[:1].upper() + words[1:]


def unit_label(unit: str) -> str:
    """A medicine unit: known ones in the agent's language, others as the hospital's
    feed wrote them (free text, not a code)."""
    key = f"console.unit.{unit}"
    return t(key) if has_message(key) else unit


# Who acted, as the domain records it when it was not a staff member (``actor=``):
# the citizen through a channel (the portal's web pages and API, the phone line, an SMS
# reply, a follow-up call's keypress) and the helpline itself. A page names the staff
# member by their display name and says these in words, never the code.
CITIZEN_ACTORS = frozenset({"citizen", "portal", "portal-web", "ivr", "sms"})
AUTOMATIC_ACTORS = {"system": "console.actor.system",  # grievances.escalation.SYSTEM: the clock
                    "waiting-list": "console.actor.waiting_list"}


def actor_words(actor: str | None, names: Mapping[str, str]) -> str:
    """Who did something, in words: a staff member's display name (``names``, from
    ``contact_centre.accounts.display_names``; ``console:<username>`` too), «नागरिक» /
    "Citizen" for the citizen on any channel, «अपने-आप (समय-सीमा)» / "automatic
    (deadline)" for the clock; "not recorded" when nobody was, or for a name no staff
    member has."""
    if actor in AUTOMATIC_ACTORS:
        return t(AUTOMATIC_ACTORS[actor])
    if actor in CITIZEN_ACTORS:
        return t("console.actor.citizen")
    username = (actor or "").removeprefix("console:")
    return names.get(username) or t("console.actor.unknown")


def error_text(code: str, details: Mapping[str, object] | None = None) -> str:
    """The console's words for a domain error: the most specific of
    ``console.err.<code>.<entity>.<reason>``, ``console.err.<code>.<reason|field|entity>``
    and ``console.err.<code>`` that exists
    (an invalid mobile says why: a landline, not Indian, ...; an invalid input names
    the field and its rule), else a general one. An error that counts the digits typed
    (``details["digits"]``: a card number typed short) says the count as ``{n}``, in
    the counted sentence (``key.zero``/``.one``/``.other``) when it has one."""
    details = details or {}
    params = {k: v for k, v in details.items() if k in SENTENCE_PARAMS}
    digits = details.get("digits")
    count = digits if isinstance(digits, int) and not isinstance(digits, bool) else None
    said = params if count is None else {**params, "n": count}
    entity, reason = details.get("entity"), details.get("reason")
    if isinstance(entity, str) and isinstance(reason, str) and has_message(
            key := f"console.err.{code}.{entity}.{reason}"):
        return t(key, **said)  # a booking number that is 7 digits, a complaint number...
    for part in ("reason", "field", "entity"):
        value = details.get(part)
        if isinstance(value, str) and value:
            key = f"console.err.{code}.{value.split('.')[0]}"
            if has_message(key):
                return t(key, **said)
            if count is not None and has_message(f"{key}.other"):
                return tn(key, count, **params)
    key = f"console.err.{code}"
    return t(key, **said) if has_message(key) else t("console.err.generic")


# What an error's sentence fills in from its details (the years of birth allowed, the
# least a written grievance says).
SENTENCE_PARAMS = ("first", "last", "min_words", "min_letters")


def when(moment: dt.datetime | None, tz: str = "Asia/Kolkata") -> str:
    if moment is None:
        return ""
    lang = current_language()
    return f"{format_date(lang, local(moment, tz).date(), 'short')} {format_time(lang, moment, tz)}"


def duration(seconds: float) -> str:
    """``2 d 4 h`` / ``3 h 10 min`` / ``3 h`` / ``12 min`` in the agent's language, the
    hour in the singular where it is one («1 घंटा»), and no unit said at none
    («12 दिन», «3 घंटे», not «3 घंटे 0 मिनट»)."""
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    lang = current_language()
    if days:  # «12 दिन», «12 दिन 1 घंटा», «12 दिन 5 घंटे»
        return t(count_key(lang, "console.dur_dh", hours), d=format_number(lang, days), n=hours)
    if hours and not minutes:
        return t(count_key(lang, "console.dur_h", hours), n=hours)
    if hours:
        return t(count_key(lang, "console.dur_hm", hours), n=hours, m=minutes)
    return t("console.dur_m", m=minutes)


def call_time(seconds: float) -> str:
    """A call's wait or handling time, to the second (AHT and average wait on the
    wallboard and in the reports, written the same way): ``45 s`` / ``3 min 21 s``
    («3 मिनट 21 सेकंड»); an hour or more as ``duration``."""
    seconds = abs(round(seconds))
    if seconds >= 3600:
        return duration(seconds)
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return t("console.rep.seconds", n=rest)
    if not rest:  # «2 मिनट», not «2 मिनट 0 सेकंड»
        return t("console.dur_m", m=minutes)
    return t("console.dur_ms", m=minutes, s=rest)


def ago(seconds: float) -> str:
    """``20 minutes ago`` / «20 मिनट पहले» in the agent's language (the same words as
    the portal and the phone line: ``locales.formatting.format_age``)."""
    return format_age(current_language(), seconds)


def clock(moment: dt.datetime | None, tz: str = "Asia/Kolkata") -> str:
    """The local time of day alone (``9:46 am``, «सुबह 9:46»)."""
    return format_time(current_language(), moment, tz) if moment is not None else ""


def time_range(start: dt.datetime | dt.time, end: dt.datetime | dt.time,
               tz: str = "Asia/Kolkata") -> str:
    """``9:00 am – 1:00 pm``, «सुबह 9:00 – दोपहर 1:00»: a span of time as the portal
    writes it too (``format_time_range``); templates keep it on one line."""
    return format_time_range(current_language(), start, end, tz)


def when_day(day: dt.date) -> str:
    return format_date(current_language(), day, "spoken")


def console_context() -> dict[str, object]:
    """What every console template may use."""
    from agent_console.auth import csrf_token
    from helpline.app import current_helpline
    from locales import has_message

    return dict(t=t, tn=tn, label=label, actor_words=actor_words, unit_label=unit_label,
                reason_label=lambda code: label("cbreason", code), lang=current_language(),
                staff=g.get("staff"), csrf_token=csrf_token,
                when=when, clock=clock, time_range=time_range, when_day=when_day,
                duration=duration, call_time=call_time, ago=ago,
                has_message=has_message,
                demo_mode=not current_helpline().settings.twilio_configured,
                desk=_desk(), dispositions=list(Disposition), mask_phone=mask_phone)


def _desk() -> object:
    """The signed-in agent's desk panel (``contact_centre.agents.agent_desk``); None
    when nobody is signed in, or on an error page the database cannot serve."""
    from sqlalchemy.exc import SQLAlchemyError

    from contact_centre.agents import agent_desk
    from helpline.app import current_helpline, get_session

    staff = g.get("staff")
    if staff is None or not staff.works_the_helpline:
        return None
    try:
        return agent_desk(get_session(), staff.id,
                          wrap_up_seconds=current_helpline().settings.wrap_up_seconds)
    except SQLAlchemyError:
        return None
