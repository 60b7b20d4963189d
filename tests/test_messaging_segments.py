"""SMS parts counted the way Twilio bills them: GSM-7 160/153, UCS-2 70/67, and neither
a GSM-7 escape pair nor a UTF-16 surrogate pair ever cut across two parts."""

from __future__ import annotations

import random

import pytest

from messaging.segments import (
    GSM7,
    GSM7_BASIC,
    GSM7_EXTENSION,
    UCS2,
    count_segments,
    split_parts,
    unit_cost,
)

EMOJI = "😀"  # U+1F600: two UTF-16 code units
HINDI = "अ"


def _units(part: str, encoding: str) -> int:
    return sum(unit_cost(ch, encoding) for ch in part)


def _sizes(text: str) -> list[int]:
    encoding = count_segments(text).encoding
    return [_units(part, encoding) for part in split_parts(text)]


def test_an_empty_text_is_no_sms():
    assert count_segments("").encoding == GSM7
    assert (count_segments("").segments, count_segments("").units) == (0, 0)
    assert split_parts("") == []


@pytest.mark.parametrize(("text", "encoding", "units", "segments"), [
    ("a", GSM7, 1, 1),
    ("a" * 160, GSM7, 160, 1),
    ("a" * 161, GSM7, 161, 2),
    ("a" * 306, GSM7, 306, 2),
    ("a" * 307, GSM7, 307, 3),
    ("a" * 459, GSM7, 459, 3),
    ("a" * 460, GSM7, 460, 4),
    (HINDI, UCS2, 1, 1),
    (HINDI * 70, UCS2, 70, 1),
    (HINDI * 71, UCS2, 71, 2),
    (HINDI * 134, UCS2, 134, 2),
    (HINDI * 135, UCS2, 135, 3),
    ("a" * 134 + "’", UCS2, 135, 3),  # one curly quote makes everything UCS-2
    ("a" * 69 + "₹", UCS2, 70, 1),
])
def test_single_and_multi_part_limits(text, encoding, units, segments):
    assert count_segments(text).encoding == encoding
    assert count_segments(text).units == units
    assert count_segments(text).segments == segments


def test_extension_characters_take_two_septets_in_gsm7_and_one_unit_in_ucs2():
    assert (count_segments("{" * 80).units, count_segments("{" * 80).segments) == (160, 1)
    assert (count_segments("]" * 81).units, count_segments("]" * 81).segments) == (162, 2)
    assert _sizes("]" * 81) == [152, 10]
    for ch in GSM7_EXTENSION.replace("\f", ""):
        assert count_segments(ch).units == 2 and count_segments(ch).encoding == GSM7
    # With a Devanagari letter the text is UCS-2 and "€" or "]" is one code unit.
    assert count_segments("€" * 69 + HINDI).units == 70
    assert (count_segments("]" * 69 + HINDI).units, count_segments("]" * 69 + HINDI).segments
            ) == (70, 1)


@pytest.mark.parametrize(("text", "sizes"), [
    # 153 "]" = 306 septets: 76 pairs per part, then one pair left over.
    ("]" * 153, [152, 152, 2]),
    ("]" * 152, [152, 152]),
    ("€" * 153, [152, 152, 2]),
    # A pair that would start at septet 153 of a part moves whole to the next part.
    ("a" * 152 + "]" + "a" * 152, [152, 153, 1]),
    ("a" * 152 + "]" + "a" * 10, [152, 12]),
    # A pair in septets 152-153 fills the part exactly.
    ("a" * 151 + "]" + "a" * 153, [153, 153]),
    ("a" * 151 + "]" + "a" * 154, [153, 153, 1]),
    # The same in the second part: septets 306/307 of the text.
    ("a" * 305 + "]" + "a", [153, 152, 3]),
    ("a" * 304 + "]" + "a", [153, 153, 1]),
    # One SMS holds 160 septets, pairs included.
    ("a" * 158 + "]", [160]),
    ("a" * 159 + "]", [153, 8]),
    ("]" * 80, [160]),
])
def test_a_gsm7_escape_pair_is_never_split(text, sizes):
    assert count_segments(text).encoding == GSM7
    assert _sizes(text) == sizes
    assert count_segments(text).segments == len(sizes)
    assert count_segments(text).units == sum(sizes)


@pytest.mark.parametrize(("text", "sizes"), [
    # A surrogate pair that would start at unit 67 of a part moves whole.
    (HINDI * 66 + EMOJI + HINDI * 66, [66, 67, 1]),
    (HINDI * 66 + EMOJI + HINDI * 3, [66, 5]),
    (HINDI * 66 + EMOJI + HINDI * 2, [70]),
    # A pair in units 66-67 fills the part exactly.
    (HINDI * 65 + EMOJI + HINDI * 67, [67, 67]),
    (HINDI * 65 + EMOJI + HINDI * 68, [67, 67, 1]),
    # Emoji only: 33 per part (66 units), not 33.5.
    (EMOJI * 35, [70]),
    (EMOJI * 36, [66, 6]),
    (EMOJI * 66, [66, 66]),
    (EMOJI * 67, [66, 66, 2]),
    # One SMS holds 70 code units, pairs included.
    (HINDI * 68 + EMOJI, [70]),
    (HINDI * 69 + EMOJI, [67, 4]),
    ("a" * 66 + EMOJI + "a" * 3, [66, 5]),
    ("𝐀" * 34 + "a", [69]),  # a mathematical letter, also outside the BMP
])
def test_a_surrogate_pair_is_never_split(text, sizes):
    assert count_segments(text).encoding == UCS2
    assert _sizes(text) == sizes
    assert count_segments(text).segments == len(sizes)
    assert count_segments(text).units == len(text.encode("utf-16-le")) // 2


def test_hindi_matras_viramas_and_nuktas_are_units_of_their_own():
    word = "\u0915\u093c\u093f\u0938\u094d\u0924"  # क + nukta + ि + स + ् + त
    assert count_segments(word).units == 6
    assert count_segments(word * 11 + "\u0915\u093c\u093f\u0938").segments == 1  # 70
    assert count_segments(word * 11 + "\u0915\u093c\u093f\u0938\u094d").segments == 2


def _random_text(rng: random.Random) -> str:
    alphabet = GSM7_BASIC + GSM7_EXTENSION * 4
    if rng.random() < 0.5:
        alphabet += HINDI + "िं्" + EMOJI * 3 + "𝐀"
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 500)))


def test_parts_are_packed_in_order_and_as_full_as_pairs_allow():
    rng = random.Random(8)
    for _ in range(400):
        text = _random_text(rng)
        count = count_segments(text)
        parts = split_parts(text)
        assert "".join(parts) == text
        if count.units <= (160 if count.encoding == GSM7 else 70):
            assert len(parts) == (1 if text else 0)
            continue
        size = 153 if count.encoding == GSM7 else 67
        for index, part in enumerate(parts):
            assert 0 < _units(part, count.encoding) <= size
            if index + 1 < len(parts):  # the next character did not fit
                following = parts[index + 1][0]
                assert (_units(part, count.encoding)
                        + unit_cost(following, count.encoding)) > size
        assert count.segments >= -(-count.units // size)
