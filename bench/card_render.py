"""What printing an eHealth card costs: the PDF (fpdf2 with HarfBuzz shaping and font
subsetting) and the PNG (that PDF rendered by PDFium at 300 dpi), in Hindi and English,
in one process after a warm-up, as a web worker serves them.
``python -m bench.card_render [cards]``."""

from __future__ import annotations

import statistics
import sys
import time

from bench.support import save_results
from booking_core.card_print import CardFace, card_pdf, card_png
from booking_core.card_seal import derived_seed, seal, signing_key
from booking_core.refs import new_card_number

NAMES = {"hi": "आशा देवी क्षत्रिय", "en": "Asha Devi Kshatriya"}


def _timed(make, face: CardFace, lang: str, count: int) -> dict[str, float]:
    make(face, lang)  # warm-up: fonts parsed, code paths loaded
    times, size = [], 0
    for _ in range(count):
        started = time.perf_counter()
        size = len(make(face, lang))
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 1), "bytes": size}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    count = int(args[0]) if args else 20
    key = signing_key(derived_seed("bench" * 8))
    results: dict[str, object] = {"cards": count}
    for lang, name in NAMES.items():
        number = new_card_number()
        face = CardFace(name, 1984, number, "011 4000 0000", seal(number, 1984, key))
        results[f"pdf_{lang}"] = _timed(card_pdf, face, lang, count)
        results[f"png_{lang}"] = _timed(card_png, face, lang, count)
    save_results("card_render", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
