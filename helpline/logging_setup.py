"""Logging that never writes a citizen's full phone number or a recording URL."""

from __future__ import annotations

import logging
import re

# An Indian mobile however written (+91 / 0 / 91 / 0091 prefix; spaces, dashes or a
# query string's "+" or "%20" between digits; "+" URL-encoded once or more, as in a
# logged ``next=`` that carries another URL; ASCII or Devanagari digits) or any E.164
# number keeps only its last four digits.
_PLUS = r"(?:\+|%(?:25)*2[Bb])"  # "+", "%2B", "%252B", ...
_GAP = r"(?:[ \-+]|%(?:25)*20)?"  # between two digits
_TEN = rf"[6-9६-९](?:{_GAP}\d){{9}}"  # the mobile's own ten digits
_INDIA = rf"(?:91|९१){_GAP}"
_NUMBER_RUN = re.compile(
    # An encoded "+" starts a number wherever it is (after "%3D", say); otherwise a
    # number is not part of a longer word or number.
    rf"(?:%(?:25)*2[Bb](?:{_INDIA}{_TEN}|\d{{8,15}})"
    rf"|(?<![\w.])(?:{_PLUS}(?:{_INDIA}{_TEN}|\d{{8,15}})|(?:(?:00|००){_INDIA}|{_INDIA}|[0०])?{_TEN}))"
    r"(?![\w.])"
)


# Tracebacks are formatted once, here, so they can be redacted like messages (a database
# error's text carries the statement's parameters: numbers, recording URLs).
_TRACEBACKS = logging.Formatter()
# A recording's URL, or its path alone (as urllib3 logs the request line).
_RECORDING = re.compile(r"[^\s\"'<>]*/Recordings/[^\s\"'<>]*", re.IGNORECASE)


def _mask(match: re.Match[str]) -> str:
    digits = [ch for ch in match.group(0) if ch.isdigit()]
    if len(digits) < 10:
        return match.group(0)
    return "*" * (len(digits) - 4) + "".join(digits[-4:])


def redact(text: str) -> str:
    text = _RECORDING.sub("[recording-url]", text)
    return _NUMBER_RUN.sub(_mask, text)


class RedactingFilter(logging.Filter):
    """Redacts a record's message, its traceback and its stack before any handler
    formats them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(isinstance(f, RedactingFilter) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    root.setLevel(level)
    # fontTools narrates every font subset it makes for a card PDF (dozens of lines).
    logging.getLogger("fontTools").setLevel(max(logging.WARNING, root.level))
