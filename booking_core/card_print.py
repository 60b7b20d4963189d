"""The printable eHealth card: one layout, as PDF and as PNG.

The card is ID-1 size (85.6 x 54 mm, a bank card), drawn once with fpdf2: labels in the
chosen language, the holder's name in whatever script it was given, year of birth, the
card number in groups of four, the helpline's number and the signed QR code
(``booking_core.card_seal``), drawn as vector squares so it scans at any print size.

Devanagari needs shaping (conjuncts, matras placed before their consonant): fpdf2 shapes
with HarfBuzz (``uharfbuzz``) when ``set_text_shaping(True)``. The fonts are Noto Sans
and Noto Sans Devanagari, vendored with their OFL licence in ``card_fonts/``, so the card
looks the same on every machine.

The PNG is the PDF page rendered by PDFium (``pypdfium2``), not a second layout drawn
with Pillow: one drawing, so the two formats cannot drift apart, and PDFium draws the
glyphs HarfBuzz already chose (Pillow would need libraqm for Devanagari, which its
wheels do not always carry).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import segno
from fpdf import FPDF

from booking_core.refs import spaced_card_number
from locales import render

FONTS = Path(__file__).resolve().parent / "card_fonts"
WIDTH_MM, HEIGHT_MM = 85.6, 54.0
PNG_DPI = 300
_INK = (20, 40, 60)
_BAND = (0, 94, 84)  # a deep teal, readable when printed in grey


@dataclass(frozen=True)
class CardFace:
    """What is printed: plain values, so printing needs no database."""

    name: str
    year_of_birth: int
    number: str
    helpline_number: str  # as printed ("011 4000 0000"); empty: left off
    qr_payload: str


def _pdf() -> FPDF:
    pdf = FPDF(orientation="L", unit="mm", format=(HEIGHT_MM, WIDTH_MM))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.add_font("Noto", "", str(FONTS / "NotoSans-Regular.ttf"))
    pdf.add_font("Noto", "B", str(FONTS / "NotoSans-Bold.ttf"))
    pdf.add_font("NotoDeva", "", str(FONTS / "NotoSansDevanagari-Regular.ttf"))
    pdf.add_font("NotoDeva", "B", str(FONTS / "NotoSansDevanagari-Bold.ttf"))
    pdf.set_fallback_fonts(["NotoDeva"], exact_match=False)
    pdf.set_text_shaping(True)
    pdf.set_creator("Delhi Health Helpline")
    pdf.set_producer("Delhi Health Helpline")
    return pdf


def _text(pdf: FPDF, x: float, y: float, w: float, size: float, text: str, *,
          bold: bool = False, colour: tuple[int, int, int] = _INK, align: str = "L") -> None:
    pdf.set_font("Noto", "B" if bold else "", size)
    pdf.set_text_color(*colour)
    pdf.set_xy(x, y)
    pdf.cell(w, size * 0.45, text, align=align)


def _name(pdf: FPDF, x: float, y: float, w: float, name: str) -> None:
    """The holder's name in the space left of the QR code (``w`` mm, two lines at most):
    one line in the largest size that fits, else two lines cut between words, else two
    lines in the smallest size with the end of the second one left out ("…"). A name
    never runs over the QR code or off the card."""
    pdf.set_font("Noto", "B", 11)
    for size in (11.0, 10.0, 9.0, 8.0):
        pdf.set_font_size(size)
        if pdf.get_string_width(name) <= w:
            _text(pdf, x, y, w, size, name, bold=True)
            return
    for size in (8.0, 7.0, 6.0):
        pdf.set_font_size(size)
        lines = _two_lines(pdf, name, w)
        if lines is not None:
            break
    else:
        first, _, rest = name.partition(" ")
        lines = [first, rest]
        while lines[1] and pdf.get_string_width(lines[1] + "…") > w:
            lines[1] = lines[1][:-1]
        lines[1] += "…"
        while pdf.get_string_width(lines[0]) > w:
            lines[0] = lines[0][:-1]
    for n, line in enumerate(lines):
        _text(pdf, x, y + n * size * 0.42, w, size, line, bold=True)


def _two_lines(pdf: FPDF, text: str, w: float) -> list[str] | None:
    """``text`` cut between words into two lines of at most ``w`` mm each, in the
    current font, or None."""
    words = text.split()
    for cut in range(len(words) - 1, 0, -1):
        first, second = " ".join(words[:cut]), " ".join(words[cut:])
        if pdf.get_string_width(first) <= w:
            return [first, second] if pdf.get_string_width(second) <= w else None
    return None


def _code(payload: str) -> segno.QRCode:
    """Both printed codes' settings: medium error correction, a full-size QR (phones'
    and counters' readers know it), alphanumeric when the payload allows (``DHC1:...``,
    ``DHHB1....`` do: upper-case letters, digits, ``:`` and ``.``)."""
    return segno.make(payload, error="m", mode="alphanumeric", micro=False)


def qr_data_uri(payload: str, scale: int = 6) -> str:
    """A QR code as a PNG ``data:`` URI with its four-module quiet zone, for a web page
    (the portal's booking code): a few hundred bytes, no file to serve, crisp when the
    page scales it with ``image-rendering: pixelated``."""
    return _code(payload).png_data_uri(scale=scale, border=4)


def _qr(pdf: FPDF, payload: str, x: float, y: float, size: float) -> None:
    """The QR code as filled squares, with its four-module quiet zone inside ``size``."""
    matrix = _code(payload).matrix
    modules = len(matrix) + 8
    step = size / modules
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for row, line in enumerate(matrix):
        col = 0
        while col < len(line):
            if line[col]:
                run = col
                while run < len(line) and line[run]:
                    run += 1
                # A hair taller than a module, so rows print without white seams.
                pdf.rect(x + (col + 4) * step, y + (row + 4) * step, (run - col) * step,
                         step * 1.04, style="F")
                col = run
            else:
                col += 1


def card_pdf(face: CardFace, lang: str) -> bytes:
    """The card as a one-page PDF, labels in ``lang`` ("hi" or "en")."""
    pdf = _pdf()
    pdf.set_title(render(lang, "ehealth.card.title"))
    pdf.add_page()
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(0, 0, WIDTH_MM, HEIGHT_MM, style="F")
    pdf.set_fill_color(*_BAND)
    pdf.rect(0, 0, WIDTH_MM, 11, style="F")
    _text(pdf, 4, 2.2, 60, 7.5, render(lang, "ehealth.card.brand"), bold=True,
          colour=(255, 255, 255))
    _text(pdf, 4, 6.6, 60, 6.5, render(lang, "ehealth.card.title"), colour=(255, 255, 255))

    qr_size = 30.0
    qr_x, qr_y = WIDTH_MM - qr_size - 2.5, 13.5
    _qr(pdf, face.qr_payload, qr_x, qr_y, qr_size)

    left, width = 4.0, qr_x - 5.0
    _text(pdf, left, 14.0, width, 6, render(lang, "ehealth.card.name"), colour=(90, 100, 110))
    _name(pdf, left, 17.2, width, face.name)
    _text(pdf, left, 23.6, width, 6, render(lang, "ehealth.card.year_of_birth"),
          colour=(90, 100, 110))
    _text(pdf, left, 26.6, width, 10, str(face.year_of_birth), bold=True)
    _text(pdf, left, 32.6, width, 6, render(lang, "ehealth.card.number"), colour=(90, 100, 110))
    _text(pdf, left, 35.8, width, 13, spaced_card_number(face.number), bold=True)

    pdf.set_draw_color(*_BAND)
    pdf.set_line_width(0.3)
    pdf.line(4, 45.0, WIDTH_MM - 4, 45.0)
    if face.helpline_number:
        _text(pdf, left, 46.2, 40, 7, render(lang, "ehealth.card.helpline",
                                              number=face.helpline_number), bold=True)
    _text(pdf, left, 50.0, WIDTH_MM - 8, 5.5, render(lang, "ehealth.card.note"),
          colour=(90, 100, 110))
    return bytes(pdf.output())


def pdf_page_png(pdf: bytes, dpi: int = PNG_DPI) -> bytes:
    """The first page of ``pdf`` rendered to PNG at ``dpi``."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        bitmap = page.render(scale=dpi / 72)
        image = bitmap.to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        page.close()
        return out.getvalue()
    finally:
        document.close()


def card_png(face: CardFace, lang: str, dpi: int = PNG_DPI) -> bytes:
    """The card as a PNG: the PDF's page rendered (1012 x 638 pixels at 300 dpi)."""
    return pdf_page_png(card_pdf(face, lang), dpi)
