"""Which option of a menu a caller named: a speech recogniser's words (Twilio's
``SpeechResult``, hi-IN or en-IN) scored against every name and alias of the options
read out (hospitals, departments, districts), in either script.

An option is scored by its whole name, never by one word it shares with its
neighbours: "General Surgery" is not General Medicine, «उत्तर पश्चिम» is not «उत्तर
पूर्वी», «बाल रोग» is not «हड्डी रोग». A word counts for as little as the number of
options that have it (General Medicine and General Surgery share "general"; North,
North West and North East share "north"), and every word the caller said that belongs
to some option must belong to the one chosen.

What recognisers vary is ignored: case, punctuation (commas, hyphens, full stops),
spacing («लोकनायक», "L N J P", "north-west"), the nukta, chandrabindu for anusvara, a
nasal consonant with virama for anusvara («अम्बेडकर», «अंबेडकर»), and a word's final
vowel sign («पश्चिम», «पश्चिमी»). Plain Python: no Flask, no Twilio.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# Words that name no option in particular: the kind of place, titles, joining words.
STOP_WORDS = {
    "hospital", "अस्पताल", "aspatal", "govt", "government", "राजकीय", "sarkari", "सरकारी",
    "the", "memorial", "मेमोरियल", "स्मारक", "dr", "डॉ", "pt", "पं", "department", "विभाग",
    "opd", "ओपीडी", "and", "एवं", "और",
}
# The best score of a name heard word by word when another was said whole.
BELOW_WHOLE = 0.99
# A word said this long may be the start of a longer one in a name ("ortho", "paedia").
PREFIX_MIN = 4

_NUKTA, _CHANDRABINDU, _ANUSVARA = "\u093c", "\u0901", "\u0902"
# ङ्, ञ्, ण्, न्, म् before a consonant: how the same nasal is written with an anusvara.
_NASAL_CONJUNCT = re.compile("[\u0919\u091e\u0923\u0928\u092e]\u094d(?=[\u0915-\u0939])")
_VOWEL_SIGNS = {chr(c) for c in range(0x093E, 0x094D)}  # ा ि ी ु ू ृ ॄ ॅ ॆ े ै ॉ ॊ ो ौ


def fold_name(text: str) -> str:
    """``text`` as it is compared: lower case, punctuation as spaces, the Devanagari
    spellings recognisers vary between made one (nukta, chandrabindu, nasal conjuncts).
    Vowel signs and viramas are marks, not punctuation: they stay inside their words."""
    text = unicodedata.normalize("NFC", text.casefold())
    text = text.replace(_NUKTA, "").replace(_CHANDRABINDU, _ANUSVARA)
    text = _NASAL_CONJUNCT.sub(_ANUSVARA, text)
    return "".join(
        ch if ch.isalnum() or ch.isspace() or unicodedata.category(ch).startswith("M") else " "
        for ch in text
    ).strip()


def _stem(word: str) -> str:
    """A Devanagari word without its final vowel sign: «पश्चिमी» and «पश्चिम», «उत्तरी»
    and «उत्तर», «गुरु» and «गुरू» are heard alike."""
    return word[:-1] if len(word) > 2 and word[-1] in _VOWEL_SIGNS else word


@dataclass(frozen=True)
class _Said:
    """A name or what was heard, ready to compare."""

    words: tuple[str, ...]  # stems of its words that can name something (no stop words)
    whole: frozenset[str]  # the words run together, two ways: spacing does not count

    @classmethod
    def of(cls, text: str) -> _Said:
        words = [w for w in fold_name(text).split() if w not in STOP_WORDS]
        whole = {_stem("".join(words)), "".join(_stem(w) for w in words)} - {""}
        return cls(tuple(_stem(w) for w in words), frozenset(whole))


def _means(heard: str, word: str) -> bool:
    return heard == word or (len(heard) >= PREFIX_MIN and word.startswith(heard))


def match_spoken_name(
    spoken: str, candidates: Sequence[tuple[int, Sequence[str]]]
) -> list[tuple[int, float]]:
    """Score candidates (id, names) against what a caller said, best first; only those
    that share something with it.

    1.0 when one of a candidate's names was said whole (any spacing, either script as
    far as its names go: every record lists its Devanagari and Latin names), or, when
    no name was, all of one name's words were heard and every word heard that names
    anything on the menu is this candidate's ("general surgery please"). Otherwise the
    weighted share of the best name's words heard, times the weighted share of the
    words heard that are the candidate's: a word n candidates share weighs 1/n. Two
    candidates with the same best score are both in the list: the caller must be asked
    which, never given one of them.
    """
    heard = _Said.of(spoken)
    names = [(cid, [_Said.of(n) for n in ns if n]) for cid, ns in candidates]
    vocabulary = [{w for said in saids for w in said.words} for _, saids in names]

    # What each heard word weighs (none: it names nothing on this menu), and each name's.
    heard_weight: dict[str, float] = {}
    for h in set(heard.words):
        sharing = sum(1 for words in vocabulary if any(_means(h, w) for w in words))
        if sharing:
            heard_weight[h] = 1 / sharing
    word_weight = {w: 1 / sum(1 for words in vocabulary if w in words)
                   for words in vocabulary for w in words}
    heard_total = sum(heard_weight.values())

    whole = {cid for cid, saids in names if any(said.whole & heard.whole for said in saids)}
    scores: list[tuple[int, float]] = [(cid, 1.0) for cid, _ in names if cid in whole]
    for (cid, saids), words in zip(names, vocabulary, strict=True):
        if cid in whole or not heard_total:
            continue
        mine = sum(weight for h, weight in heard_weight.items()
                   if any(_means(h, w) for w in words))
        covered = max((_covered(said, heard_weight, word_weight) for said in saids),
                      default=0.0)
        score = round(covered * mine / heard_total, 6)
        if whole:  # a name said whole beats every name only heard word by word
            score = min(score, BELOW_WHOLE)
        if score > 0:
            scores.append((cid, score))
    scores.sort(key=lambda item: -item[1])
    return scores


def _covered(name: _Said, heard_weight: dict[str, float],
             word_weight: dict[str, float]) -> float:
    """The weighted share of ``name``'s words that were heard."""
    total = sum(word_weight[w] for w in name.words)
    if not total:
        return 0.0
    heard = sum(word_weight[w] for w in name.words
                if any(_means(h, w) for h in heard_weight))
    return heard / total
