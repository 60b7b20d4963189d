"""Which Twilio ``<Say>`` voices can speak the helpline's two languages.

Twilio fails a ``<Say>`` whose voice cannot speak its ``language`` attribute, and a
caller then hears nothing, so ``VOICE_HI`` and ``VOICE_EN`` are checked when the app
starts. Sources: Twilio's text-to-speech voice list and Amazon Polly's voice table
(Aditi and Kajal are bilingual Hindi/Indian-English voices; Raveena speaks Indian
English only). Google voices carry their language in the name (``Google.hi-IN-...``).
"""

from __future__ import annotations

import re

# Amazon Polly voices Twilio offers for India, with the languages each can speak.
POLLY_VOICES: dict[str, frozenset[str]] = {
    "Polly.Aditi": frozenset({"hi-IN", "en-IN"}),
    "Polly.Kajal-Neural": frozenset({"hi-IN", "en-IN"}),
    "Polly.Raveena": frozenset({"en-IN"}),
}
_GOOGLE = re.compile(r"^Google\.([a-z]{2}-[A-Z]{2})-[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$")


def voice_languages(voice: str) -> frozenset[str]:
    """The languages ``voice`` can speak (empty when we do not know the voice)."""
    if voice in POLLY_VOICES:
        return POLLY_VOICES[voice]
    match = _GOOGLE.match(voice)
    return frozenset({match[1]}) if match else frozenset()


def voice_problem(setting: str, voice: str, language: str) -> str | None:
    """A one-line reason ``voice`` cannot be ``setting`` (speaking ``language``), or None."""
    if language in voice_languages(voice):
        return None
    choices = sorted(name for name, langs in POLLY_VOICES.items() if language in langs)
    return (f"{setting}={voice or '(empty)'} cannot speak {language}; use one of "
            f"{', '.join(choices)} or a Google.{language}-... voice")
