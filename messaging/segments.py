"""How many SMS parts a text costs.

GSM-7 carries 160 characters in one SMS and 153 per part once split; a single
character outside the GSM alphabet (any Devanagari letter, a curly quote, ``₹``) makes
the whole text UCS-2: 70 characters, 67 per part. Characters of GSM's extension table
(``{ } [ ] ~ \\ | ^ €``) take two places. UCS-2 counts UTF-16 code units, so each matra,
virama and nukta is a character of its own.
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


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def is_gsm7(text: str) -> bool:
    return all(ch in _BASIC or ch in _EXTENSION for ch in text)


def count_segments(text: str) -> SegmentCount:
    """Parts the text is billed as, the way a carrier splits it."""
    if is_gsm7(text):
        units = sum(2 if ch in _EXTENSION else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    if units <= single:
        return SegmentCount(encoding, units, 1)
    return SegmentCount(encoding, units, -(-units // multi))
