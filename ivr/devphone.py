"""A phone on the developer's desk: ``flask dev-phone`` calls the IVR the way Twilio
does (signed webhooks, following Say, Gather, Redirect, Record, Enqueue, Dial, Hangup),
prints what the caller would hear and takes keys or typed speech.

Each input answers one prompt: ``1`` or ``9812345678`` (keys), ``say:Lok Nayak`` or
``~लोक नायक`` (speech), ``-`` (silence), ``rec:7`` (a 7-second recording), ``agent``
(an agent answers the queue), ``hangup``. ``--press 1 1 ~LNJP 1 1 1`` scripts a call.
"""

from __future__ import annotations

import secrets
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import click
from flask import Flask
from twilio.request_validator import RequestValidator

HANGUP, SILENCE = "hangup", "-"
Transport = Callable[[str, dict[str, str]], tuple[int, str]]


def heard_text(say: ET.Element) -> str:
    """What a ``<Say>`` sounds like, as text: a number read with SSML ``say-as digits``
    comes out digit by digit, a pause as a comma."""
    parts = [say.text or ""]
    for child in say:
        parts.append(_ssml_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _ssml_text(element: ET.Element) -> str:
    if element.tag == "say-as" and element.get("interpret-as") == "digits":
        return " ".join(element.text or "")
    if element.tag == "break":
        return ", "
    return heard_text(element)


class DevPhoneCall:
    """One call, carried out verb by verb; ``send`` posts a signed webhook."""

    def __init__(self, send: Transport, base_url: str, *, from_phone: str, to_phone: str,
                 inputs: Iterator[str], echo: Callable[[str], None],
                 max_wait_rounds: int = 3) -> None:
        self.send = send
        self.base_url = base_url.rstrip("/")
        self.inputs = inputs
        self.echo = echo
        self.max_wait_rounds = max_wait_rounds
        self.call_sid = "CA" + secrets.token_hex(16)
        self.common = {"CallSid": self.call_sid, "AccountSid": "AC" + "0" * 32,
                       "From": from_phone, "To": to_phone, "Direction": "inbound",
                       "CallStatus": "in-progress", "ApiVersion": "2010-04-01"}
        self.ended = False
        self.left_queue = False
        self.bridged = False
        self.started = time.monotonic()
        self.heard: list[str] = []

    # Driving the call ---------------------------------------------------------
    def run(self) -> None:
        self.follow(self.base_url + "/ivr/voice", {})
        duration = int(time.monotonic() - self.started)
        self.request(self.base_url + "/ivr/status",
                     {"CallStatus": "completed", "CallDuration": str(duration)})
        self.echo(f"(call ended after {duration} s)")

    def request(self, url: str, params: dict[str, str]) -> ET.Element | None:
        url = url if url.startswith("http") else self.base_url + url
        status, body = self.send(url, {**self.common, **params})
        if status != 200:
            self.echo(f"(the app answered HTTP {status}; Twilio would say an application "
                      "error has occurred)")
            self.ended = True
            return None
        try:
            return ET.fromstring(body)
        except ET.ParseError:
            self.echo("(the app answered something that is not TwiML)")
            self.ended = True
            return None

    def follow(self, url: str | None, params: dict[str, str]) -> None:
        while url and not self.ended:
            root = self.request(url, params)
            if root is None:
                return
            url, params = self.perform(root, url)

    def perform(self, root: ET.Element, current: str) -> tuple[str | None, dict[str, str]]:
        for verb in root:
            tag = verb.tag
            if tag == "Say":
                self.show(verb)
            elif tag == "Pause":
                self.echo(f"(pause {verb.get('length', '1')} s)")
            elif tag == "Play":
                self.echo(f"(plays {verb.text})")
            elif tag == "Gather":
                for say in verb.iter("Say"):
                    self.show(say)
                answer = self.answer(verb)
                if answer is not None:
                    return verb.get("action") or current, answer
            elif tag == "Record":
                answer = self.record()
                if answer is not None:
                    return verb.get("action") or current, answer
            elif tag == "Redirect":
                return (verb.text or current), {}
            elif tag == "Enqueue":
                return self.wait_in_queue(verb)
            elif tag == "Leave":
                self.left_queue = True
                return None, {}
            elif tag == "Dial":
                self.echo(f"(dialling {(verb.text or '').strip()} - the dev phone stops here)")
                self.ended = True
                return None, {}
            elif tag == "Hangup":
                self.ended = True
                return None, {}
        if not self.left_queue:
            self.ended = True  # Twilio hangs up at the end of a document
        return None, {}

    def wait_in_queue(self, verb: ET.Element) -> tuple[str | None, dict[str, str]]:
        wait_url = verb.get("waitUrl") or ""
        self.echo(f"(waiting in queue {verb.text})")
        entered = time.monotonic()
        result = "hangup"
        for round_ in range(self.max_wait_rounds):
            self.left_queue = False
            params = {"QueuePosition": "1", "QueueTime": str(int(time.monotonic() - entered)),
                      "AvgQueueTime": "60", "CurrentQueueSize": "1"}
            url: str | None = wait_url
            while url and not self.ended and not self.left_queue:
                root = self.request(url, params)
                if root is None:
                    return None, {}
                url, params = self.perform(root, url)
                if url and url.split("?")[0] == wait_url.split("?")[0] and not params:
                    break  # the wait music came round again
            if self.left_queue or self.ended:
                result = "leave" if self.left_queue else result
                break
            if round_ == self.max_wait_rounds - 1:
                self.echo("(nobody answers on the dev phone; hanging up)")
        if self.bridged:
            result = "bridged"
        self.ended = result == "hangup"
        self.left_queue = False
        queue_params = {"QueueResult": result,
                        "QueueTime": str(int(time.monotonic() - entered))}
        if self.ended:
            self.request(verb.get("action") or "", queue_params)
            return None, {}
        return verb.get("action"), queue_params

    # The caller ---------------------------------------------------------------
    def show(self, say: ET.Element) -> None:
        text = heard_text(say).strip()
        self.heard.append(text)
        self.echo(f"[{say.get('language', '?')}] {text}")

    def next_input(self) -> str:
        try:
            return next(self.inputs)
        except StopIteration:
            return HANGUP

    def answer(self, gather: ET.Element) -> dict[str, str] | None:
        given = self.next_input().strip()
        if given == HANGUP:
            self.ended = True
            return None
        if given in ("", SILENCE):
            self.echo("  > (silence)")
            return None
        if given == "agent":
            self.bridged = True
            self.echo("  > (an agent answers)")
            self.left_queue = True
            return None
        if given.startswith(("say:", "~")):
            spoken = given.split(":", 1)[1] if given.startswith("say:") else given[1:]
            if "speech" not in (gather.get("input") or ""):
                self.echo("  > (this menu takes keys only)")
                return None
            self.echo(f"  > says \"{spoken.strip()}\"")
            return {"SpeechResult": spoken.strip(), "Confidence": "0.9"}
        return {"Digits": self.keys_sent(gather, given)}

    def keys_sent(self, gather: ET.Element, pressed: str) -> str:
        """The ``Digits`` Twilio posts for ``pressed``: the gather's finish key (``#``
        unless ``finishOnKey`` says otherwise; none when it is empty) ends the input and is
        not sent; any other key, ``#`` included, is."""
        finish = gather.get("finishOnKey", "#")
        digits = pressed
        if finish and finish in pressed:
            digits = pressed.split(finish, 1)[0]
        self.echo(f"  > presses {digits if digits == pressed else digits + finish}")
        return digits

    def record(self) -> dict[str, str] | None:
        self.echo("(beep: recording)")
        given = self.next_input().strip()
        if given == HANGUP:
            self.ended = True
            return None
        if given in ("", SILENCE):
            self.echo("  > (says nothing)")
            return None
        seconds = given.split(":", 1)[1] if given.startswith("rec:") else "5"
        self.echo(f"  > speaks for {seconds} s, presses #")
        sid = "RE" + secrets.token_hex(16)
        return {"RecordingSid": sid, "RecordingDuration": seconds, "Digits": "#",
                "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/{sid}"}


def signed_sender(token: str, post: Callable[[str, dict[str, str], dict[str, str]],
                                              tuple[int, str]]) -> Transport:
    """Sign like Twilio: HMAC over the public URL and the posted parameters."""
    validator = RequestValidator(token)

    def send(url: str, params: dict[str, str]) -> tuple[int, str]:
        return post(url, params, {"X-Twilio-Signature": validator.compute_signature(url, params)})

    return send


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _stdin_inputs() -> Iterator[str]:
    while True:
        try:
            line = input("keys (or ~speech, - silence, q hang up)> ")
        except EOFError:
            return
        if line.strip().lower() in ("q", "quit", "hangup"):
            return
        yield line.strip() or SILENCE


def dev_transport(url: str | None, public_url: str | None
                  ) -> tuple[Transport, str, Callable[[], None]]:
    """How the dev tools (``dev-phone``, ``dev-sms``) post a webhook signed like Twilio:
    to a running server at ``url`` (signed with ``TWILIO_AUTH_TOKEN``, or the checkout's
    own dev token, for its public URL: ``public_url``, else ``url``), or to this app
    in-process. Returns the sender, the public base URL webhooks are addressed to, and
    what to call when done."""
    from helpline.app import create_app, current_helpline

    settings = current_helpline().settings
    if url:
        if not settings.twilio_auth_token:
            raise click.ClickException("set TWILIO_AUTH_TOKEN to the server's token")
        import requests

        remote = url.rstrip("/")

        def post(u: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
            try:
                reply = requests.post(remote + _path_and_query(u), data=params,
                                      headers=headers, timeout=15)
            except requests.RequestException as exc:
                raise click.ClickException(f"no answer from {remote}: {exc}") from None
            return reply.status_code, reply.text

        return (signed_sender(settings.twilio_auth_token, post),
                (public_url or remote).rstrip("/"), lambda: None)
    token = settings.twilio_auth_token or secrets.token_hex(16)
    local = create_app(settings.with_overrides(twilio_auth_token=token))
    client = local.test_client()
    public = settings.public_base_url.rstrip("/")

    def post_here(u: str, params: dict[str, str], headers: dict[str, str]
                  ) -> tuple[int, str]:
        reply = client.post(u[len(public):], data=params, headers=headers)
        return reply.status_code, reply.get_data(as_text=True)

    return (signed_sender(token, post_here), public,
            local.extensions["helpline"].engine.dispose)


def register_dev_phone(app: Flask) -> None:
    @app.cli.command("dev-phone")
    @click.option("--from", "from_phone", default="+919812345678", show_default=True,
                  help="the caller's number")
    @click.option("--url", default=None,
                  help="call a running server (signed with TWILIO_AUTH_TOKEN, or the "
                       "checkout's own dev token) instead of this app in-process")
    @click.option("--public-url", default=None,
                  help="with --url: the server's PUBLIC_BASE_URL, when it differs from --url "
                       "(behind a tunnel or proxy)")
    @click.option("--press", "scripted", is_flag=True,
                  help="the arguments answer the prompts in order, then the caller hangs up")
    @click.argument("inputs", nargs=-1)
    def dev_phone(from_phone: str, url: str | None, public_url: str | None, scripted: bool,
                  inputs: tuple[str, ...]) -> None:
        """Call the helpline from the terminal."""
        from helpline.app import current_helpline

        settings = current_helpline().settings
        feed: Iterator[str] = iter(inputs) if (inputs or scripted) else _stdin_inputs()
        to_phone = settings.twilio_phone_number or "+911140000000"
        send, public, done = dev_transport(url, public_url)
        call = DevPhoneCall(send, public, from_phone=from_phone,
                            to_phone=to_phone, inputs=feed, echo=click.echo)
        try:
            call.run()
        finally:
            done()
