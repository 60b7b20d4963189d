"""Reading a citizen's SMS: which command it is, in English, Hindi or Roman Hindi.

**Whole-message words.** Opt-out, opt-in and help act only when the whole message is
one of their words or phrases, as Twilio's own keyword filtering does ("STOP" stops,
"STOP PLEASE" does not); anything else gets the help reply, which names the exact words.

- Opt-out, Twilio's documented list: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT,
  REVOKE, OPTOUT (and "STOP ALL", "OPT OUT"); Hindi as Delhi types it: बंद / बन्द,
  बंद करो / करें / कर दो, रोको, रोकें, रोक दो, मत भेजो, and in Roman Hindi band,
  bandh, band karo, band kar do, roko, rok do, mat bhejo. Roman Hindi is accepted
  deliberately: many phones here have no Devanagari keyboard, and because the whole
  message must be the phrase, "band" inside a sentence never opts anyone out.
- Opt-in, Twilio's list: START, YES, UNSTOP; Hindi शुरू, चालू (shuru, chalu) and
  their करो / करें forms. Hindi "हाँ" is not an opt-in: no carrier treats it as one.
- Help: HELP, INFO, मदद, सहायता, जानकारी (madad, sahayata).

**CANCEL.** ``CANCEL <reference>`` cancels that OPD booking, as it always has. A bare
CANCEL is Twilio's opt-out word: Twilio's STOP filtering (and Advanced Opt-Out) blocks
the number at its end whatever we do, so a bare CANCEL opts out here too and gets the
"stopped" reply, keeping our record the same as the carrier's. ``CANCEL`` followed by
anything without a reference ("cancel my visit") gets the help reply. The Hindi रद्द
is no carrier keyword and means "cancel a booking", never "stop messages": a bare रद्द
gets the help reply, which shows how to send the reference. STATUS and स्थिति work the
same way as रद्द. The reference may be split by spaces or dashes and have words around
it; a number left unclear (letters glued to it, or a second number after words) gets the
help reply and acts on nothing.

**Normalising.** Before matching, the text is read as NFKC (full-width ``ＳＴＯＰ`` is
STOP), case-folded, with invisible format characters (zero-width space and joiners, a
byte-order mark, a soft hyphen) dropped, चंद्रबिंदु read as अनुस्वार, and every run of
spaces of any kind, line breaks, punctuation (the danda ``।`` too), symbols and emoji
read as one separator. A keyword's language (English, or Hindi in either script)
chooses the reply's language when the citizen has none on record.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from booking_core.refs import normalise_reference

# Commands a whole message names. English words are Twilio's lists.
_PHRASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "stop": ("en", (
        "STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
        "OPTOUT", "OPT OUT",
    )),
    "start": ("en", ("START", "YES", "UNSTOP")),
    "help": ("en", ("HELP", "INFO")),
}
_HINDI_PHRASES: dict[str, tuple[str, ...]] = {
    "stop": (
        "बंद", "बन्द", "बंद करो", "बंद करें", "बंद करे", "बंद कीजिए", "बंद कर दो",
        "बंद कर दें", "बन्द करो", "बन्द करें", "बन्द कर दो", "रोको", "रोकें", "रोक दो",
        "रोक दें", "रोकिए", "मत भेजो", "मत भेजें", "मैसेज बंद", "एसएमएस बंद", "रिमाइंडर बंद",
        "band", "bandh", "band karo", "band kro", "band karein", "band karen", "band kare",
        "band kar do", "band kr do", "bandh karo", "bandh kar do", "roko", "rok do",
        "rokein", "roken", "mat bhejo", "message band", "sms band",
    ),
    "start": (
        "शुरू", "शुरु", "चालू", "शुरू करो", "शुरू करें", "चालू करो", "चालू करें",
        "फिर से शुरू", "shuru", "chalu", "chaalu", "shuru karo", "chalu karo",
    ),
    "help": ("मदद", "सहायता", "जानकारी", "madad", "sahayata"),
}
# Commands whose first word is followed by a reference number.
_REFERENCE_WORDS: dict[str, tuple[tuple[str, str], ...]] = {
    "cancel": (("en", "CANCEL"), ("hi", "रद्द"), ("hi", "रद"), ("hi", "radd")),
    "status": (("en", "STATUS"), ("hi", "स्थिति"), ("hi", "sthiti")),
}
_CHANDRABINDU, _ANUSVARA = "\u0901", "\u0902"


@dataclass(frozen=True)
class Command:
    name: str  # cancel, status, help, stop, start, unknown
    reference: str = ""
    language: str | None = None  # the language of the keyword, when it names one


def _fold(word: str) -> str:
    return unicodedata.normalize("NFKC", word).casefold().replace(_CHANDRABINDU, _ANUSVARA)


def _words(text: str) -> list[tuple[str, int]]:
    """Each word of ``text`` (a run of letters with their marks, or of digits), folded,
    with the index just after it in ``text``."""
    return [(_fold("".join(ch for ch in text[start:end] if unicodedata.category(ch) != "Cf")),
             end) for _, start, end in _runs(text)]


def _runs(text: str) -> list[tuple[str, int, int]]:
    """Each run of letters (with their marks) or of digits in ``text``: its kind and
    where it starts and ends; invisible format characters inside a run do not end it."""
    runs: list[tuple[str, int, int]] = []
    for index, ch in enumerate(text):
        category = unicodedata.category(ch)
        if category == "Cf":  # invisible: zero-width space/joiners, BOM, soft hyphen
            if runs and runs[-1][2] == index:
                runs[-1] = (runs[-1][0], runs[-1][1], index + 1)  # inside a word
            continue
        kind = "letter" if category[0] in "LM" else "digit" if category[0] == "N" else ""
        if kind and runs and runs[-1][0] == kind and runs[-1][2] == index:
            runs[-1] = (kind, runs[-1][1], index + 1)
        elif kind:
            runs.append((kind, index, index + 1))
    return runs


def _reference_after(rest: str) -> str:
    """The reference written after a command's keyword: its digits, in one group or in
    several split by spaces, dashes or dots ("4721 5658"), words around it allowed
    ("रद्द करो 47215658", "CANCEL 47215658 thanks"); "" when there is none, or when
    the message leaves it unclear which number is meant: letters glued to the digits
    ("47215658abc"), or a second number after words ("35657316 और 12345678"). An unclear
    CANCEL cancels nothing: the help reply shows how to write it."""
    runs = _runs(rest)
    digits: list[tuple[str, int, int]] = []
    for position, run in enumerate(runs):
        glued = position > 0 and runs[position - 1][2] == run[1]  # letters touch digits
        if run[0] == "digit":
            if glued or (digits and runs[position - 1][0] != "digit"):
                return ""  # "abc47215658", or a second number after words
            digits.append(run)
        elif glued:
            return ""  # "47215658abc"
        elif digits and any(later[0] == "digit" for later in runs[position:]):
            return ""  # "35657316 और 12345678"
    return normalise_reference("".join(rest[start:end] for _, start, end in digits))


def _phrase(text: str) -> str:
    return " ".join(word for word, _ in _words(text))


def _table() -> dict[str, tuple[str, str]]:
    """Every phrase, folded as a message is, with its command and language."""
    entries = [(s, name, language) for name, (language, spellings) in _PHRASES.items()
               for s in spellings]
    entries += [(s, name, "hi") for name, spellings in _HINDI_PHRASES.items() for s in spellings]
    table: dict[str, tuple[str, str]] = {}
    for spelling, name, language in entries:
        phrase = _phrase(spelling)
        if table.get(phrase, (name,))[0] != name:
            raise ValueError(f"{spelling!r} is listed for two commands")
        table[phrase] = (name, language)
    return table


PHRASES = _table()
REFERENCE_WORDS = {_phrase(spelling): (name, language)
                   for name, spellings in _REFERENCE_WORDS.items()
                   for language, spelling in spellings}


def parse_command(body: str) -> Command:
    """The command an SMS body names (see the module docstring for the rules)."""
    text = body or ""
    words = _words(text)
    if not words:
        return Command("unknown")
    phrase = " ".join(word for word, _ in words)
    if phrase in PHRASES:
        name, language = PHRASES[phrase]
        return Command(name, "", language)
    first, end = words[0]
    if first in REFERENCE_WORDS:
        name, language = REFERENCE_WORDS[first]
        reference = _reference_after(text[end:])
        return Command(name, reference, language) if reference else Command("help", "", language)
    return Command("unknown")
