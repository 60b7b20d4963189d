"""Console labels in the signed-in agent's language (``console.po``)."""

from __future__ import annotations

import datetime as dt

from flask import g, session

from locales import has_message, normalise_language, render
from locales.formatting import format_date, format_number, format_time, local


def current_language() -> str:
    user = g.get("staff")
    if user is not None:
        return normalise_language(user.language)
    return normalise_language(session.get("lang", "en"))


def t(key: str, **params: object) -> str:
    return render(current_language(), key, **params)


def error_text(code: str) -> str:
    """The console's words for a domain error code, or a general one."""
    key = f"console.err.{code}"
    return t(key) if has_message(key) else t("console.err.generic")


def when(moment: dt.datetime | None, tz: str = "Asia/Kolkata") -> str:
    if moment is None:
        return ""
    lang = current_language()
    return f"{format_date(lang, local(moment, tz).date(), 'short')} {format_time(lang, moment, tz)}"


def duration(seconds: float) -> str:
    """``2d 4h`` / ``3h 10m`` / ``12m`` in the agent's language."""
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    lang = current_language()
    if days:
        return t("console.dur_dh", d=format_number(lang, days), h=hours)
    if hours:
        return t("console.dur_hm", h=hours, m=minutes)
    return t("console.dur_m", m=minutes)


def when_day(day: dt.date) -> str:
    return format_date(current_language(), day, "spoken")


def console_context() -> dict[str, object]:
    """What every console template may use."""
    from agent_console.auth import csrf_token
    from helpline.app import current_helpline
    from locales import has_message

    return dict(t=t, lang=current_language(), staff=g.get("staff"), csrf_token=csrf_token,
                when=when, when_day=when_day, duration=duration, has_message=has_message,
                demo_mode=not current_helpline().settings.twilio_configured)
