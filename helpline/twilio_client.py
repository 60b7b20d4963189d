"""The one place a ``twilio.rest.Client`` is made.

``TWILIO_API_BASE_URL`` (ours, not Twilio's) points every REST call at another host,
such as the local fake of Twilio's API the tests run: the real client still builds and
signs the requests and parses the answers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from helpline.settings import Settings


class RedirectingHttpClient(TwilioHttpClient):
    """Sends each request to ``base_url``'s scheme and host, keeping path and query."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        super().__init__(timeout=timeout)
        parts = urlsplit(base_url)
        self._scheme, self._netloc = parts.scheme, parts.netloc

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        url = urlunsplit((self._scheme, self._netloc, parts.path, parts.query, parts.fragment))
        return super().request(method, url, *args, **kwargs)


def make_twilio_client(settings: Settings, timeout: float = 10.0) -> Client:
    if not settings.twilio_configured:
        raise RuntimeError("Twilio credentials are not configured")
    http_client = (
        RedirectingHttpClient(settings.twilio_api_base_url, timeout)
        if settings.twilio_api_base_url
        else TwilioHttpClient(timeout=timeout)
    )
    return Client(settings.twilio_account_sid, settings.twilio_auth_token,
                  http_client=http_client)
