"""Logging that never writes a citizen's full phone number or a recording URL."""

from __future__ import annotations

import logging
import re

# +91XXXXXXXXXX, 91XXXXXXXXXX, 0XXXXXXXXXX or a bare 10-digit Indian mobile, and any
# E.164-looking number; the last four digits stay so calls can be told apart.
_PHONE = re.compile(r"(?<![\w/])(\+?\d{1,3}[\s-]?)?([6-9]\d{3})[\s-]?(\d{2})[\s-]?(\d{4})(?!\d)")
_E164 = re.compile(r"\+\d{7,11}(\d{4})(?!\d)")
_RECORDING = re.compile(r"https?://[^\s\"']*/Recordings/[^\s\"']*", re.IGNORECASE)


def redact(text: str) -> str:
    text = _RECORDING.sub("[recording-url]", text)
    text = _E164.sub(lambda m: "+" + "*" * 8 + m.group(1), text)
    return _PHONE.sub(lambda m: "*" * 6 + m.group(4), text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
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
