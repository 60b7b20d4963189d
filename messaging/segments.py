"""How many SMS parts a text costs, split the way Twilio bills it.

GSM-7 carries 160 septets in one SMS; a longer text is sent as parts of 153 septets
each (the user data header takes the rest). A single character outside the GSM
alphabet (any Devanagari letter, a curly quote, ``₹``) makes the whole text UCS-2: 70
UTF-16 code units in one SMS, 67 per part. UCS-2 counts code units, so each matra,
virama and nukta is a character of its own.

Two things may not be cut in half, so a part can hold less than its size:

- a GSM-7 extension character (``{ } [ ] ~ \\ | ^ €``) is an escape septet followed by
  its own septet; the pair always travels in one part;
- a character outside the Basic Multilingual Plane (an emoji) is a UTF-16 surrogate
  pair; the pair always travels in one part.

So 153 ``]`` (306 septets) cost three parts, not two: 76 pairs fill 152 septets of the
first part and the 77th pair does not fit in the one septet left. The count comes from
packing the characters into parts (``split_parts``), never from dividing a total.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"
_BASIC = frozenset(GSM7_BASIC)
_EXTENSION = frozenset(GSM7_EXTENSION)

GSM7 = "GSM-7"
UCS2 = "UCS-2"
# (one SMS, each part of a longer text), in septets (GSM-7) or UTF-16 code units (UCS-2).
PART_SIZES = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def is_gsm7(text: str) -> bool:
    return all(ch in _BASIC or ch in _EXTENSION for ch in text)


def encoding_of(text: str) -> str:
    return GSM7 if is_gsm7(text) else UCS2


def unit_cost(ch: str, encoding: str) -> int:
    """Places one character takes: 2 for a GSM-7 escape pair or a UTF-16 surrogate
    pair, otherwise 1. Either way the places are indivisible."""
    if encoding == GSM7:
        return 2 if ch in _EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


def split_parts(text: str) -> list[str]:
    """The text cut into the parts a carrier receives: one part when the whole text
    fits a single SMS, otherwise parts filled in order, each character going whole
    into the first part with room for it. An empty text has no parts (Twilio refuses
    an empty body, so nothing is sent or billed)."""
    if not text:
        return []
    encoding = encoding_of(text)
    single, multi = PART_SIZES[encoding]
    costs = [unit_cost(ch, encoding) for ch in text]
    if sum(costs) <= single:
        return [text]
    parts: list[str] = []
    start, used = 0, 0
    for index, cost in enumerate(costs):
        if used + cost > multi:
            parts.append(text[start:index])
            start, used = index, 0
        used += cost
    parts.append(text[start:])
    return parts


def count_segments(text: str) -> SegmentCount:
    """Parts the text is billed as, the way Twilio splits it."""
    encoding = encoding_of(text)
    units = sum(unit_cost(ch, encoding) for ch in text)
    return SegmentCount(encoding, units, len(split_parts(text)))
