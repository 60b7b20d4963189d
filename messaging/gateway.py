"""Twilio behind one small gateway: send an SMS, place a call, find what was sent.

The only module that talks to Twilio's REST API; the domain never sees it. Errors come
out as three kinds, because each needs a different answer from delivery:
``TransientSendError`` (not sent; retry later), ``PermanentSendError`` (never will be
sent; fail the row) and ``UncertainSendError`` (the request may have reached Twilio;
only reconciliation may decide).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import requests
from twilio.base.exceptions import TwilioRestException
from urllib3.exceptions import NewConnectionError

from helpline.settings import Settings
from helpline.twilio_client import make_twilio_client

# Twilio answers these for our own configuration (bad credentials, suspended account):
# retrying helps once an operator fixes it, failing every message would not.
_CONFIGURATION_CODES = {20003, 20005}
# Twilio: the number opted out with STOP at the carrier ("unsubscribed recipient").
UNSUBSCRIBED_CODE = 21610


class SendError(Exception):
    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code

    def describe(self) -> str:
        return f"{self.code}: {self}"[:300] if self.code else str(self)[:300]


class TransientSendError(SendError):
    """Twilio did not take it (429, 5xx, unreachable): try again later."""


class ThrottledSendError(TransientSendError):
    """HTTP 429: the account has too many requests in flight at Twilio. Never processed,
    so safe to send again after a short pause."""


class PermanentSendError(SendError):
    """Twilio refused it for good (invalid number, unsubscribed): never retry."""


class UncertainSendError(SendError):
    """The connection broke after the request was written: it may have been sent."""


@dataclass(frozen=True)
class Accepted:
    sid: str
    status: str


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when no byte reached Twilio (refused, DNS failure): safe to retry."""
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    return isinstance(reason, NewConnectionError)


def _classify(exc: Exception) -> SendError:
    if isinstance(exc, TwilioRestException):
        message = (exc.msg or "twilio error")[:250]
        if exc.status == 429:
            return ThrottledSendError(message, exc.code or exc.status)
        if exc.status >= 500 or exc.code in _CONFIGURATION_CODES:
            return TransientSendError(message, exc.code or exc.status)
        return PermanentSendError(message, exc.code or exc.status)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TransientSendError("timed out connecting to Twilio")
    if isinstance(exc, requests.exceptions.ConnectionError) and _never_connected(exc):
        return TransientSendError("could not connect to Twilio")
    return UncertainSendError(f"{type(exc).__name__} while talking to Twilio")


class TwilioGateway:
    """One Twilio client; make one per thread (the HTTP session is not shared)."""

    def __init__(self, settings: Settings, timeout: float = 10.0) -> None:
        self.settings = settings
        self._client = make_twilio_client(settings, timeout=timeout)

    @property
    def sms_sender(self) -> str:
        return self.settings.sms_sender_id or self.settings.twilio_phone_number

    @property
    def caller_id(self) -> str:
        return self.settings.twilio_caller_id or self.settings.twilio_phone_number

    def send_sms(self, to: str, body: str, status_callback: str) -> Accepted:
        try:
            message = self._client.messages.create(
                to=to, from_=self.sms_sender, body=body, status_callback=status_callback
            )
        except (TwilioRestException, requests.exceptions.RequestException) as exc:
            raise _classify(exc) from exc
        return Accepted(str(message.sid), str(message.status or "queued"))

    def place_call(self, to: str, answer_url: str, status_callback: str) -> Accepted:
        try:
            call = self._client.calls.create(
                to=to, from_=self.caller_id, url=answer_url, method="POST",
                status_callback=status_callback, status_callback_method="POST",
                status_callback_event=["completed"], timeout=30,
            )
        except (TwilioRestException, requests.exceptions.RequestException) as exc:
            raise _classify(exc) from exc
        return Accepted(str(call.sid), str(call.status or "queued"))

    def redirect_call(self, call_sid: str, url: str) -> Accepted:
        """Send the call in progress ``call_sid`` to the TwiML at ``url`` (Twilio's call
        update): a caller waiting in ``<Enqueue>`` leaves the queue and runs it. A call
        that has already ended is refused for good (Twilio error 21220)."""
        try:
            call = self._client.calls(call_sid).update(url=url, method="POST")
        except (TwilioRestException, requests.exceptions.RequestException) as exc:
            raise _classify(exc) from exc
        return Accepted(str(call.sid), str(call.status or "in-progress"))

    def find_sms(self, to: str, body: str, created_after: dt.datetime) -> str | None:
        """The SID of a message we sent ``to`` with exactly ``body`` since
        ``created_after``: how a row whose worker died mid-send learns its fate."""
        for message in self._recent(self._client.messages.list(to=to, from_=self.sms_sender,
                                                               limit=50), created_after):
            if message.body == body:
                return str(message.sid)
        return None

    def find_call(self, to: str, created_after: dt.datetime, exclude: set[str]) -> str | None:
        """The SID of a call we placed ``to`` since ``created_after`` that no other row
        holds. Calls carry no body to compare, so the time window is the marker."""
        calls = self._client.calls.list(to=to, from_=self.caller_id, limit=20)
        for call in self._recent(calls, created_after):
            if str(call.sid) not in exclude:
                return str(call.sid)
        return None

    @staticmethod
    def _recent(resources: list[Any], created_after: dt.datetime) -> list[Any]:
        return [r for r in resources if r.date_created is None or r.date_created >= created_after]
