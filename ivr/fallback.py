"""The Voice Fallback URL's document: TwiML that needs nothing but a static file server.

Twilio fetches the number's Voice Fallback URL when the Voice URL fails or does not
answer in time; without one the caller hears "an application error has occurred". This
document is served as a plain file (``deploy/twilio-voice-fallback.xml``, set the
fallback's method to GET), so it works when the app, its database and its web servers
are all down: an apology in Hindi and English and the emergency number, then goodbye.
``flask voice-fallback`` writes it from the catalogs and the configured voices and
ambulance number; the copy in the repository is made with the defaults.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from helpline.settings import PROJECT_ROOT, Settings
from locales import SPEECH_LANGUAGES, render

FALLBACK_FILE = PROJECT_ROOT / "deploy" / "twilio-voice-fallback.xml"


def fallback_twiml(settings: Settings) -> str:
    """The fallback document for ``settings`` (voices, ambulance number)."""
    number = " ".join(settings.ambulance_number)
    response = VoiceResponse()
    for lang, voice in (("hi", settings.voice_hi), ("en", settings.voice_en)):
        response.say(render(lang, "ivr.fallback", number=number), voice=voice,
                     language=SPEECH_LANGUAGES[lang])
        response.pause(length=1)
    response.hangup()
    return str(response) + "\n"
