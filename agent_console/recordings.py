"""Citizens' voice messages, fetched from Twilio on the server for the console's
player. Only Twilio's own hosts are fetched (the URL came from a webhook, but a
stored URL is never trusted to point anywhere else), with the account's credentials,
through the one Twilio client factory."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from helpline.settings import Settings
from helpline.twilio_client import make_twilio_client

log = logging.getLogger(__name__)
MAX_BYTES = 20 * 1024 * 1024


class RecordingUnavailable(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def load_recording(settings: Settings, recording_url: str | None) -> tuple[bytes, str]:
    """The recording's audio and its media type. Without Twilio, the demo's voice
    message is made by the app itself (``helpline.demo_audio``)."""
    from helpline.demo_activity import DEMO_RECORDING_URL

    if recording_url == DEMO_RECORDING_URL and not settings.twilio_configured:
        from helpline.demo_audio import voice_message_wav

        return voice_message_wav(), "audio/wav"
    return fetch_recording(settings, recording_url), "audio/mpeg"


def fetch_recording(settings: Settings, recording_url: str | None) -> bytes:
    if not recording_url:
        raise RecordingUnavailable(404, "no recording")
    parts = urlsplit(recording_url)
    if parts.scheme != "https" or not (parts.hostname or "").endswith(".twilio.com"):
        raise RecordingUnavailable(404, "no recording")
    if not settings.twilio_configured:
        raise RecordingUnavailable(503, "Twilio is not configured")
    client = make_twilio_client(settings, timeout=10)
    http = client.http_client
    captured: dict[str, bytes] = {}

    def keep_bytes(response: Any, *args: Any, **kwargs: Any) -> Any:
        # Twilio's HTTP client hands back text; audio needs the raw bytes.
        captured["body"] = response.content
        return response

    http.request_hooks = {"response": [keep_bytes]}  # this client is ours alone
    url = recording_url.removesuffix(".json").removesuffix(".mp3") + ".mp3"
    try:
        answer = http.request("GET", url, auth=(settings.twilio_account_sid,
                                                settings.twilio_auth_token),
                              allow_redirects=True)
    except Exception as exc:
        log.warning("recording fetch failed: %s", type(exc).__name__)
        raise RecordingUnavailable(502, "recording could not be fetched") from exc
    body = captured.get("body", b"")
    if answer.status_code != 200 or not body or len(body) > MAX_BYTES:
        log.warning("recording fetch answered %s", answer.status_code)
        raise RecordingUnavailable(502, "recording could not be fetched")
    return body
