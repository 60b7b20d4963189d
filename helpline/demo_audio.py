"""The demo's voice message: a few seconds of speech-like sound made on the spot (a
voice's pitch gliding through syllables, with pauses), so the console's player has
something to play without Twilio. WAV, 8 kHz mono, 16-bit: what a phone line carries."""

from __future__ import annotations

import io
import math
import struct
import wave

RATE = 8000


def voice_message_wav(seconds: float = 4.0) -> bytes:
    frames = bytearray()
    total = int(seconds * RATE)
    for n in range(total):
        t = n / RATE
        syllable = (t * 4.0) % 1.0  # four syllables a second
        phrase = (t % 2.0) < 1.6  # a breath every two seconds
        envelope = math.sin(math.pi * syllable) ** 2 if phrase else 0.0
        pitch = 170 + 40 * math.sin(2 * math.pi * 0.7 * t)
        sample = (0.6 * math.sin(2 * math.pi * pitch * t)
                  + 0.3 * math.sin(2 * math.pi * 2 * pitch * t)
                  + 0.1 * math.sin(2 * math.pi * 3 * pitch * t))
        frames += struct.pack("<h", int(12000 * envelope * sample))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))
    return buffer.getvalue()
