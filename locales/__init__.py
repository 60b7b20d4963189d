"""Everything a citizen hears or reads, in Hindi and English.

Catalogs are gettext ``.po`` files, one per feature, under ``locales/<lang>/LC_MESSAGES``.
Message ids are stable keys (``ivr.main_menu``); texts use ``{name}`` placeholders.
``render(lang, key, **params)`` is the single way to turn a key into words;
``render_count(lang, key, count, **params)`` the single way to say a count of things.

A counted sentence is a family of messages ``<key>.zero``, ``<key>.one`` and
``<key>.other``. ``.one`` and ``.other`` are CLDR's plural categories, and Hindi's rule
puts 0 in "one" («0 मरीज़ की बुकिंग रद्द हुई»), so a count that can be 0 says so in a
whole sentence of its own, ``.zero``, in both languages ("No results for “x”.", «“x” के
लिए कोई नतीजा नहीं मिला।»); ``tests/test_locale_counts.py`` holds every family to it.
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent
LANGUAGES = ("hi", "en")
DEFAULT_LANGUAGE = "hi"
BABEL_LOCALES = {"hi": "hi_IN", "en": "en_IN"}
# Languages for Twilio speech recognition and <Say>.
SPEECH_LANGUAGES = {"hi": "hi-IN", "en": "en-IN"}


class MissingMessage(KeyError):
    pass


def normalise_language(lang: str | None) -> str:
    """``lang`` as one of ``LANGUAGES`` ("hi-IN", " HI", "en_GB" and so on); else the
    default language."""
    if lang in LANGUAGES:  # nearly every call: the code itself
        return lang  # type: ignore[return-value]
    code = (lang or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


@lru_cache(maxsize=1)
def catalogs() -> dict[str, dict[str, str]]:
    """Every language's messages, read once from the ``.po`` files."""
    result: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        messages: dict[str, str] = {}
        for po_path in sorted((LOCALES_DIR / lang / "LC_MESSAGES").glob("*.po")):
            with po_path.open("rb") as fh:
                catalog = read_po(fh, locale=BABEL_LOCALES[lang])
            for message in catalog:
                if not message.id:
                    continue
                key = message.id if isinstance(message.id, str) else str(message.id[0])
                text = message.string if isinstance(message.string, str) else ""
                if key in messages:
                    raise ValueError(f"{po_path.name}: message {key!r} defined twice for {lang}")
                messages[key] = text
        result[lang] = messages
    return result


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def has_message(key: str) -> bool:
    return all(key in catalogs()[lang] for lang in LANGUAGES)


def render(lang: str | None, key: str, /, **params: object) -> str:
    """The text of message ``key`` in ``lang`` with ``params`` filled in.

    Raises ``MissingMessage`` for an unknown key or an untranslated one: a caller must
    never hear a key name or a blank.
    """
    language = normalise_language(lang)
    text = catalogs()[language].get(key)
    if not text:
        raise MissingMessage(f"{key!r} has no {language} text")
    return text.format(**params) if params else text


def plural_category(lang: str | None, count: int) -> str:
    """``one`` or ``other``: CLDR's plural category of ``count`` in ``lang`` (Hindi: 0
    and 1 are "one"; English: 1 is "one")."""
    locale = Locale.parse(BABEL_LOCALES[normalise_language(lang)])
    return str(locale.plural_form(abs(int(count))))


def count_key(lang: str | None, key: str, count: int) -> str:
    """Which message of the counted family ``key`` says ``count``: ``key.zero`` for 0
    when the family has one, else ``key.<plural_category>``."""
    language = normalise_language(lang)
    if count == 0 and f"{key}.zero" in catalogs()[language]:
        return f"{key}.zero"
    return f"{key}.{plural_category(language, count)}"


def render_count(lang: str | None, key: str, count: int, /, **params: object) -> str:
    """The sentence of the counted family ``key`` (``.zero``/``.one``/``.other``) for
    ``count``, with ``{n}`` the count unless ``params`` gives it already written (a
    number formatted for the language). A zero sentence names no number: «किसी की
    बुकिंग रद्द नहीं हुई।», never «0 मरीज़ की ...»."""
    params.setdefault("n", count)
    return render(lang, count_key(lang, key, count), **params)
