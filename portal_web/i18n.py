"""The portal's words in the citizen's language (``locales/*/portal.po``).

The language is the one the citizen chose (``/portal/lang/<hi|en>``, kept a year in
the ``portal_lang`` cookie), else the browser's preference between Hindi and English,
else Hindi.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app, g, request, url_for

from booking_core.base import DomainError, refusals_by_field, utcnow
from booking_core.hospitals import Hospital, district_as_said
from booking_core.slots import few_left
from locales import LANGUAGES, count_key, has_message, normalise_language, render
from locales.formatting import (
    format_age,
    format_date,
    format_number,
    format_time_range,
    local,
    written_time,
)

LANG_COOKIE = "portal_lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def chosen_language() -> str:
    """The citizen's language: their choice (the cookie); else, for a form, the language
    of the page it was sent from (``page_lang``: cookies cleared since, a form sent
    again after expiring keeps speaking Hindi); else the browser's, Hindi by default."""
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    if request.method == "POST":
        try:
            sent = request.form.get("page_lang")
        except Exception:  # an unreadable body: the browser's language, as for a GET
            sent = None
        if sent in LANGUAGES:
            return str(sent)
    return normalise_language(request.accept_languages.best_match(LANGUAGES, default="hi"))


def current_language() -> str:
    return str(g.get("portal_lang") or "hi")


class Said(str):
    """A sentence in the citizen's language that remembers its message key and
    parameters, so that the page after a redirect can say it again from the key
    (``keep``, ``again``) rather than carry its words."""

    key: str
    params: dict[str, object]

    def __new__(cls, text: str, key: str, params: dict[str, object]) -> Said:
        said = super().__new__(cls, text)
        said.key, said.params = key, params
        return said


def t(key: str, **params: object) -> str:
    """The portal message ``key`` (``portal.`` may be left out) in the citizen's language."""
    full = key if key.startswith(("portal.", "common.")) else f"portal.{key}"
    return Said(render(current_language(), full, **params), full, params)


def tn(key: str, count: int, **params: object) -> str:
    """The counted sentence ``key`` (``portal.`` may be left out) for ``count``: its
    ``.zero``, ``.one`` or ``.other`` message (``locales.count_key``); ``n`` is the
    count, written for the language (``number``), unless ``params`` gives it."""
    full = key if key.startswith(("portal.", "common.")) else f"portal.{key}"
    params.setdefault("n", number(count))
    return t(count_key(current_language(), full, count), **params)


def keep(text: str) -> object:
    """What a redirect carries of a sentence: ``[key, params]`` for one made by ``t``
    (params that JSON cannot write become text), else the words themselves."""
    if isinstance(text, Said):
        return [text.key, {k: v if isinstance(v, int | str) else str(v)
                           for k, v in text.params.items()}]
    return str(text)


def again(kept: object) -> str:
    """The sentence ``keep`` carried, said again in the citizen's language."""
    if isinstance(kept, list) and len(kept) == 2 and isinstance(kept[0], str) \
            and kept[0].startswith(("portal.", "common.")) and has_message(kept[0]) \
            and isinstance(kept[1], dict):
        return t(kept[0], **kept[1])
    return str(kept) if isinstance(kept, str) else ""


def keep_all(texts: Mapping[str, str]) -> dict[str, object]:
    return {field: keep(text) for field, text in texts.items() if text}


def again_all(kept: object) -> dict[str, str]:
    if not isinstance(kept, dict):
        return {}
    return {str(field): again(text) for field, text in kept.items()}


def label(family: str, value: object) -> str:
    """Words for a stored code (``portal.cat.cleanliness``); never the code itself."""
    code = getattr(value, "value", value)
    key = f"portal.{family}.{code}"
    return t(key) if has_message(key) else t("portal.other_value")


def error_text(code: str, details: Mapping[str, object] | None = None) -> str:
    """The portal's sentence for a domain error code, or a general one; with the error's
    ``details``, the most specific of ``portal.err.<code>.<entity>.<reason>``,
    ``portal.err.<code>.<entity>`` and ``portal.err.<code>.<reason>`` that exists, so
    that a mistyped complaint number is called a complaint number, and one with a digit
    missing is told it has 8. A sentence of the digits typed (``details["digits"]``: a
    card number typed short) says their count, a counted one (``tn``) when the count
    varies."""
    entity = (details or {}).get("entity")
    reason = (details or {}).get("reason")
    digits = (details or {}).get("digits")
    keys: list[str] = []
    if isinstance(entity, str):
        keys += [f"portal.err.{code}.{entity}.{reason}", f"portal.err.{code}.{entity}"]
    if isinstance(reason, str):
        keys.append(f"portal.err.{code}.{reason}")
    count = digits if isinstance(digits, int) and not isinstance(digits, bool) else None
    for key in keys:
        if has_message(key):
            return t(key) if count is None else t(key, n=number(count))
        if count is not None and has_message(f"{key}.other"):
            return tn(key, count)
    key = f"portal.err.{code}"
    return t(key) if has_message(key) else t("portal.err.generic")


def refusal_texts(exc: DomainError, sentence: Callable[[DomainError], str],
                  fields: Mapping[str, str] | None = None,
                  default: str = "form") -> dict[str, str]:
    """Every field a domain refusal names (``FieldErrors``: several at once), each with
    its ``sentence`` in the citizen's language, keyed by the form's name for it
    (``fields``, when given, maps the domain's names of the fields the form shows to
    the form's, e.g. ``phone`` to ``mobile``); a refusal that names no field, or one the
    form does not show, goes under ``default``."""
    said: dict[str, str] = {}
    for field, refusal in refusals_by_field(exc).items():
        where = (field if fields is None else fields.get(field, "")) or default
        said.setdefault(where, sentence(refusal))
    return said


def _tz() -> str:
    return str(current_app.extensions["helpline"].settings.helpline_timezone)


def day_text(day: dt.date) -> str:
    return format_date(current_language(), day)


def day_lines(day: dt.date) -> tuple[str, str]:
    """``day_text`` in two lines for a small day button: ``("Wednesday,", "2 December")``,
    «बुधवार,» over «2 दिसंबर»; read together they say ``day_text`` word for word."""
    weekday, comma, date = day_text(day).partition(", ")
    return (f"{weekday},", date) if comma else ("", weekday)


def time_text(moment: dt.datetime) -> str:
    return written_time(current_language(), moment, _tz())


def time_range(start: dt.datetime, end: dt.datetime) -> str:
    """``9:00 – 10:00 am``, «सुबह 9:00 – 10:00»: a slot's times, written one way on
    every page (``format_time_range``); templates keep it on one line (``nowrap``)."""
    return format_time_range(current_language(), start, end, _tz())


def when(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    lang = current_language()
    return f"{format_date(lang, local(moment, _tz()).date())}, {written_time(lang, moment, _tz())}"


def age(moment: dt.datetime) -> str:
    """``updated 20 minutes ago`` in the citizen's language."""
    seconds = (utcnow() - moment).total_seconds()
    return t("portal.updated_ago", age=format_age(current_language(), max(seconds, 60)))


def number(value: int) -> str:
    return format_number(current_language(), value)


def places_left(free: int) -> str:
    """"Only 3 appointments left" for a day or time with few left (``few_left``, the
    phone line's rule); "" otherwise, when no count is shown."""
    if not few_left(free):
        return ""
    return t("portal.book.few_left_one") if free == 1 else t("portal.book.few_left",
                                                             n=number(free))


def spaced(digits: str) -> str:
    """``4530 9628``: a booking number in groups of four, easy to read out or copy."""
    return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))


def hospital_name(hospital: Hospital, lang: str | None = None) -> str:
    """A hospital's name on every citizen's page: its full name ("Lok Nayak Hospital",
    «लोक नायक अस्पताल»), in ``lang`` (default: the page's). The breadcrumb, the booking
    summary, the waiting list and the appointments all name it so, never by the short
    name ("LNJP Hospital"), which is the phone line's and the SMS's (there it saves
    seconds and SMS parts; on a page the full name is the clearer one)."""
    return hospital.name(lang or current_language())


def other_language() -> str:
    return "en" if current_language() == "hi" else "hi"


def switch_url() -> str:
    """The link that shows this page in the other language."""
    return url_for("portal.language", code=other_language(), next=request.full_path)


def template_context() -> dict[str, Any]:
    """What every portal template may use; the card page's templates too."""
    from portal_web.security import csrf_token, verified_mobile_masked

    lang = current_language()
    return dict(t=t, _=t, tn=tn, label=label, lang=lang, other_lang=other_language(),
                switch_url=switch_url, csrf_token=csrf_token, when=when, age=age,
                day_text=day_text, day_lines=day_lines, time_text=time_text,
                time_range=time_range, number=number,
                spaced=spaced,
                places_left=places_left, hospital_name=hospital_name,
                district_as_said=district_as_said,
                verified_mobile=verified_mobile_masked, has_view=_has_view,
                ambulance_number=current_app.extensions["helpline"].settings.ambulance_number)


def _has_view(endpoint: str) -> bool:
    return endpoint in current_app.view_functions
