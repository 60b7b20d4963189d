"""Counted sentences say 0, 1 and 2 right in both languages.

The rule, precisely:

* A *counted sentence* is a family of messages ``<key>.one`` and ``<key>.other`` (CLDR's
  plural categories) and, for a count that can be 0, ``<key>.zero``;
  ``locales.render_count`` picks ``.zero`` for 0 when the family has it, else the
  category CLDR gives the count in the reader's language.
* Hindi's CLDR rule puts 0 in "one" (``i = 0 or n = 1``), so without ``.zero`` a Hindi
  reader would get the singular sentence for nothing («0 मरीज़ की बुकिंग रद्द हुई और उसे
  एसएमएस भेजा गया।», «“Suresh” के लिए 0 नतीजा»). Every family therefore has ``.zero`` in
  both languages (English too, so both say "no results", not one "no" and one "0"):
  rendering a family at 0 in Hindi must never land on ``.one``.
* A zero sentence says "none" in words: it has no ``{n}``. The ``.one`` and ``.other``
  sentences name the count (or say "one"/"एक" in words).
* Any other message that fills in ``{n}`` is a figure beside a label (``Waiting: {n}``,
  ``{n} s``), not a counted sentence, and is listed in ``FIGURES`` with why 0 reads
  right there or cannot happen. A new ``{n}`` message that is neither fails.
"""

from __future__ import annotations

import re

import pytest

from locales import (
    LANGUAGES,
    catalogs,
    count_key,
    placeholders,
    plural_category,
    render,
    render_count,
)

FORMS = ("zero", "one", "other")

# Messages that fill in {n} without being a counted sentence, and why.
FIGURES = {
    # ``format_age``/``format_wait``: n is at least 1 and 1 has its own ``_one`` phrase.
    "common.ago_days": "n >= 2", "common.ago_hours": "n >= 2", "common.ago_minutes": "n >= 2",
    "common.wait_days": "n >= 2", "common.wait_hours": "n >= 2",
    "common.wait_minutes": "n >= 2",
    "console.free_seats": "a figure beside a day or a time: (0 free) / (0 खाली)",
    "console.low_stock": "0 is said as out of stock (console.out_of_stock)",
    "console.opd.counter_left": "a label and its figure",
    "console.rep.seconds": "a duration", "console.seconds": "a duration",
    "console.res.on_duty": "a label and its figure",
    "console.token": "a token's number, not a count",
    "console.waiting_callbacks": "a heading's figure in parentheses",
    "console.held_callbacks": "a heading's figure in parentheses",
    "opd.display.waiting": "a label and its figure",
    "portal.book.few_left": "said only for 2 or more (few_left_one, and none for 0)",
    "portal.err.invalid_card_number.too_long": "said only for 12 or more digits typed",
    "console.err.invalid_card_number.too_long": "said only for 12 or more digits typed",
}


def families() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for key in catalogs()["en"]:
        base, _, form = key.rpartition(".")
        if form in FORMS:
            found.setdefault(base, set()).add(form)
    return {base: forms for base, forms in found.items() if {"one", "other"} <= forms}


def test_hindi_puts_zero_in_one_and_english_in_other():
    """Why the zero sentences exist: CLDR's rules as the pinned Babel has them."""
    assert [plural_category("hi", n) for n in (0, 1, 2)] == ["one", "one", "other"]
    assert [plural_category("en", n) for n in (0, 1, 2)] == ["other", "one", "other"]


def test_the_counted_families_are_found():
    assert {"console.md.patients_told", "console.search_count", "console.queue_count",
            "console.transfers_left", "console.desk_waiting", "console.rep.of_requested",
            "console.rep.self_served", "portal.wait.ahead",
            "portal.hospitals.found"} <= set(families())


@pytest.mark.parametrize("family", sorted(families()))
def test_every_counted_sentence_reads_right_at_0_1_and_2(family):
    for lang in LANGUAGES:
        cat = catalogs()[lang]
        assert all(f"{family}.{form}" in cat for form in FORMS), (
            f"{family} has no .zero in {lang}: Hindi would say 0 with its .one sentence")
        other_names = placeholders(cat[f"{family}.other"]) - {"n"}
        params = {name: "Suresh" for name in other_names}
        for n in (0, 1, 2):
            chosen = count_key(lang, family, n)
            if n == 0:
                assert chosen == f"{family}.zero", (lang, family, chosen)
            else:
                assert chosen == f"{family}.{'one' if n == 1 else 'other'}", (lang, chosen)
            text = render_count(lang, family, n, **params)
            assert "{" not in text and text.strip(), (lang, family, n, text)
            if n == 0:
                assert not re.search(r"\b0\b", text), (lang, family, text)
            if n == 2:
                assert "2" in text, (lang, family, text)
        assert "n" not in placeholders(cat[f"{family}.zero"]), (lang, family)
        for form in FORMS:  # every sentence of a family takes what .other takes
            assert placeholders(cat[f"{family}.{form}"]) - {"n"} <= other_names, (
                lang, family, form)


def test_every_message_that_fills_in_a_count_is_a_counted_sentence_or_a_figure():
    counted = {f"{family}.{form}" for family in families() for form in FORMS}
    strays = sorted(key for key, text in catalogs()["en"].items()
                    if "n" in placeholders(text) and key not in counted
                    and key not in FIGURES)
    assert strays == []
    assert set(FIGURES) <= set(catalogs()["en"])  # no reason kept for a message gone


def test_the_two_reported_sentences_say_zero_in_words():
    assert render_count("hi", "console.md.patients_told", 0) == "किसी की बुकिंग रद्द नहीं हुई।"
    assert render_count("en", "console.md.patients_told", 0) == "no bookings were cancelled."
    assert render_count("hi", "console.search_count", 0, q="Suresh") == (
        "“Suresh” के लिए कोई नतीजा नहीं मिला।")
    assert render_count("en", "console.search_count", 0, q="Suresh") == (
        "No results for “Suresh”.")
    assert render_count("hi", "console.md.patients_told", 1) == (
        "1 मरीज़ की बुकिंग रद्द हुई और उसे एसएमएस भेजा गया।")
    assert render("hi", "console.md.done_holiday", told=render_count(
        "hi", "console.md.patients_told", 0)) == "छुट्टी जुड़ गई; किसी की बुकिंग रद्द नहीं हुई।"
