"""A person's name as the helpline keeps and prints it: the eHealth card holder's, a
booking's patient, a citizen's own (one rule for every door that takes a name).

A name is letters of any script (Devanagari with its matras, nukta and virama, Latin,
...), with spaces, dots, apostrophes and hyphens between them: "Mohd. Arif", "D'Souza",
"राम-कुमार", "श्रीमती सुनीता देवी". Digits (of any script), other signs, emoji and
control characters are refused, and so is a name longer than ``NAME_MAX`` characters:
refused with its reason, never cut short, because a card printed with half a name or a
stray digit is a card the hospital cannot match to the person.

What is kept is the name as typed, in Unicode NFC (one spelling of "क़" whether typed as
one character or as "क" + nukta), with runs of spaces, tabs and line breaks made one
space and none at either end.
"""

from __future__ import annotations

import unicodedata

from booking_core.base import InvalidInput

NAME_MAX = 120

# Between the letters: a dot ("Mohd."), apostrophes (' and the typographic ’) and hyphens
# (ASCII and U+2010).
NAME_MARKS = frozenset(".'’-‐")
# Zero-width (non-)joiner: how a Devanagari half-form is asked for; only after a virama.
_JOINERS = frozenset("\u200c\u200d")
_VIRAMA = "\u094d"
_SPACES = frozenset(" \t\n\r")


class InvalidName(InvalidInput):
    """A name with something that is not a letter, a space, a dot, an apostrophe or a
    hyphen, or that does not start with a letter (``details['reason']``:
    ``characters``)."""

    code = "invalid_name"


class NameTooLong(InvalidInput):
    """Longer than ``NAME_MAX`` characters once spaces are tidied (``details['max']``)."""

    code = "name_too_long"


def _collapse_spaces(text: str) -> str:
    words: list[str] = []
    word: list[str] = []
    for ch in text:
        if ch in _SPACES or unicodedata.category(ch) == "Zs":
            if word:
                words.append("".join(word))
                word = []
        else:
            word.append(ch)
    if word:
        words.append("".join(word))
    return " ".join(words)


def clean_person_name(raw: str | None, *, field: str = "name") -> str:
    """The name to keep: NFC, spaces tidied. Raises ``InvalidInput`` (nothing but
    spaces: the plain "give the name" every form already answers), ``InvalidName`` (a
    digit, sign, emoji or control character, a name not starting with a letter, or two of
    ``. ' -`` in a row) or ``NameTooLong``. ``field`` names the form field in the
    error's details."""
    name = _collapse_spaces(unicodedata.normalize("NFC", raw or ""))
    if not name:
        raise InvalidInput("give the person's name", field=field)
    previous = " "
    for ch in name:
        kind = unicodedata.category(ch)
        if kind[0] == "L":
            pass
        elif kind[0] == "M":  # a matra, nukta, virama, anusvara: on a letter only
            if not (unicodedata.category(previous)[0] in "LM" or previous in _JOINERS):
                break
        elif ch in _JOINERS:
            if previous != _VIRAMA:
                break
        elif ch in NAME_MARKS:
            if previous in NAME_MARKS or previous == " ":
                break
        elif ch != " ":
            break
        previous = ch
    else:
        if unicodedata.category(name[0])[0] == "L":
            if len(name) > NAME_MAX:
                raise NameTooLong(f"a name has at most {NAME_MAX} characters",
                                  field=field, max=NAME_MAX, length=len(name))
            return name
    raise InvalidName("a name has letters, spaces, dots, apostrophes and hyphens only",
                      field=field, reason="characters")


def optional_person_name(raw: str | None, *, field: str = "name") -> str | None:
    """``clean_person_name`` for a name a form may leave out (a booking's patient, a
    citizen's own): None when nothing but spaces was given, else the tidied name or the
    same refusals, so "Asha2" or a 200-letter name is refused, never cut to 120."""
    if raw is None or not _collapse_spaces(raw):
        return None
    return clean_person_name(raw, field=field)
