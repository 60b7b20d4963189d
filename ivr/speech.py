"""How the phone line speaks: a ``<Say>`` in the voice made for its language, and
numbers a caller must write down read slowly, digit by digit, with SSML."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from helpline.settings import Settings
from locales import SPEECH_LANGUAGES


@dataclass(frozen=True)
class SpokenNumber:
    """A booking or complaint number inside a sentence: read slowly, digit by digit, in
    groups of four with a pause between (SSML ``prosody``, ``say-as digits`` and
    ``break``, which Twilio's Polly and Google voices read)."""

    digits: str
    group: int = 4  # a mobile number is read 5 and 5, as Indians say it

    def groups(self) -> list[str]:
        return [self.digits[i:i + self.group] for i in range(0, len(self.digits), self.group)]


Words = str | SpokenNumber
NUMBER_MARK = "\x00"  # where a sentence's number goes (``Ctx.t_number``)


def say(parent: Any, text: str | list[Words], lang: str, settings: Settings) -> None:
    """A ``<Say>`` with the voice made for ``lang`` (a mismatched voice fails on Twilio)."""
    voice = settings.voice_hi if lang == "hi" else settings.voice_en
    if isinstance(text, str) or all(isinstance(part, str) for part in text):
        plain = text if isinstance(text, str) else "".join(str(p) for p in text)
        parent.say(plain, voice=voice, language=SPEECH_LANGUAGES[lang])
        return
    element = parent.say(None, voice=voice, language=SPEECH_LANGUAGES[lang])
    merged: list[Words] = []
    for part in text:  # the TwiML builder keeps one string between two elements
        if merged and isinstance(part, str) and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    for part in merged:
        if isinstance(part, SpokenNumber):
            slow = element.prosody(rate="slow")
            for n, group in enumerate(part.groups()):
                if n:
                    slow.break_(time="400ms")
                slow.say_as(group, interpret_as="digits")
        elif part:
            element.nest(part)


def sentences(words: list[str | list[Words]]) -> list[Words]:
    """Sentences (some holding a spoken number) one after another, a space apart."""
    out: list[Words] = []
    for item in words:
        if not item:
            continue
        if out:
            out.append(" ")
        out.extend([item] if isinstance(item, str) else item)
    return out
