"""Every Twilio webhook (``/ivr/``, ``/sms/``, ``/calls/``; routes added later are
walked too), fed garbage.

Without a valid ``X-Twilio-Signature`` a webhook answers 403 and changes nothing. With
one, junk parameters (letters for digits, 500 digits, 5,000 characters of speech, no
CallSid, ...) still get a TwiML document that says something or redirects: never a 500,
and never the apology the IVR reserves for a crash or a database failure (a crash logs
an ERROR, which the test catches however the response looks). The IVR's own state
travels signed in its URLs, so the deep steps are reached by crawling a real call from
``/ivr/voice`` and then fed junk at every step the crawl found.
"""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from collections import deque
from typing import Any
from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator

from tests.conftest import PUBLIC_BASE_URL, TWILIO_TOKEN
from tests.fixtures_ivr import signed_post
from tests.fixtures_robustness import (
    BAD_UTF8,
    CITIZEN,
    TWILIO_JUNK,
    database_fingerprint,
    junk_twilio_params,
    routes,
)

SEED = 20240602
WEBHOOK_PREFIXES = ("/ivr/", "/sms/", "/calls/")
# Webhook paths that deliberately skip the signature check, and why.
UNSIGNED_BY_DESIGN: dict[str, str] = {}
# Verbs that do something for the caller; a voice answer without one leaves silence.
DOING = {"Play", "Redirect", "Dial", "Enqueue", "Leave", "Record"}
# IVR steps a crawl of healthy calls cannot reach: Twilio's status callback (no TwiML
# links to it), the wait for a duplicate webhook still being processed, and the agent
# step's own URL (the apology after a failure redirects there; menus answer with the
# agent step's TwiML directly).
# /ivr/followup belongs to the follow-up call we place (tests/test_messaging_calls.py);
# /ivr/callback/number to a withheld caller offered a callback after hours (test_ivr_rules);
# /ivr/mine/booking to a withheld caller asking for their appointments, whose path the
# crawl has already spent on the known caller (test_ivr_menu_words).
# Not reached from an incoming call in this world: outbound calls' first steps (the
# grievance follow-up, a waiting-list seat offer), and the waiting-list question, which
# needs a department whose every day is full (tests/test_opd_phone.py walks it).
# Every route still gets junk with forged and missing state (the tests above).
NOT_CRAWLED = {"/ivr/status", "/ivr/ping", "/ivr/agent", "/ivr/followup",
               "/ivr/callback/number", "/ivr/mine/booking", "/ivr/offer", "/ivr/book/full"}


def webhook_routes(app) -> list[tuple[Any, str]]:
    return [pair for prefix in WEBHOOK_PREFIXES for pair in routes(app, prefix)]


def concrete_paths(rule) -> list[str]:
    """The rule's path with its parameters filled: an id that exists in the world
    (1) and one that does not."""
    if not rule.arguments:
        return [rule.rule]
    return [re.sub(r"<[^>]+>", value, rule.rule) for value in ("1", "999999")]


def check_twiml(label: str, response, problems: list[str], errors: list[str]) -> ET.Element | None:
    """A TwiML document that does something (status callbacks and SMS may be empty)."""
    if errors or response.status_code != 200 or response.mimetype != "text/xml":
        problems.append(f"{label}: {response.status_code} {response.mimetype} "
                        f"{errors or response.get_data(as_text=True)[:200]}")
        return None
    try:
        root = ET.fromstring(response.get_data())
    except ET.ParseError as exc:
        problems.append(f"{label}: not XML ({exc})")
        return None
    path = urlsplit(label.split(" ", 2)[1]).path
    if root.tag != "Response":
        problems.append(f"{label}: root <{root.tag}>")
    elif not path.startswith("/sms/") and not path.endswith("/status"):
        said = any((say.text or "").strip() for say in root.iter("Say"))
        if not said and not {el.tag for el in root.iter()} & DOING:
            problems.append(f"{label}: says and does nothing: {ET.tostring(root)[:200]!r}")
    return root


def test_webhooks_refuse_unsigned_requests_and_change_nothing(robust_world, error_watch):
    world = robust_world
    client = world.app.test_client()
    rng = random.Random(SEED)
    limit = world.helpline.settings.max_request_bytes
    before = database_fingerprint(world.app)
    problems: list[str] = []
    walked = webhook_routes(world.app)
    assert any(rule.rule == "/ivr/voice" for rule, _ in walked)
    for rule, method in walked:
        if rule.rule in UNSIGNED_BY_DESIGN or method == "HEAD":
            continue
        path = concrete_paths(rule)[-1]
        if method != "POST":  # Twilio may be told to GET: parameters in the query
            for headers in ({}, {"X-Twilio-Signature": "abc"}):
                response = client.open(path, method=method, headers=headers,
                                       query_string=junk_twilio_params(rng))
                if response.status_code != 403 or error_watch.take():
                    problems.append(f"{method} {path} unsigned: {response.status_code}")
            continue
        params = junk_twilio_params(rng)
        url = PUBLIC_BASE_URL + path
        other = PUBLIC_BASE_URL + ("/ivr/voice" if path != "/ivr/voice" else "/ivr/main")
        attempts = {
            "no signature": {"data": params},
            "junk signature": {"data": params, "headers": {"X-Twilio-Signature": "abc"}},
            "wrong token": {"data": params, "headers": {
                "X-Twilio-Signature": RequestValidator("x" * 32).compute_signature(url, params)}},
            "another url's signature": {"data": params, "headers": {
                "X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(
                    other, params)}},
            "query added after signing": {"data": params, "query_string": {"s": "x"},
                                          "headers": {"X-Twilio-Signature": RequestValidator(
                                              TWILIO_TOKEN).compute_signature(url, params)}},
            "json body": {"json": params},
            "invalid utf-8": {"data": BAD_UTF8,
                              "content_type": "application/x-www-form-urlencoded"},
        }
        for name, kwargs in attempts.items():
            response = client.post(path, **kwargs)
            if response.status_code != 403 or error_watch.take():
                problems.append(f"{method} {path} [{name}]: {response.status_code}")
        response = client.post(path, data={"Body": "x" * (limit + 1)})
        if response.status_code != 413:
            problems.append(f"{method} {path} [oversized]: {response.status_code}")
    assert not problems, "\n".join(problems[:40])
    assert database_fingerprint(world.app) == before


def test_signed_junk_at_every_webhook_gets_twiml(robust_world, error_watch):
    world = robust_world
    client = world.app.test_client()
    rng = random.Random(SEED)
    forged = "eyJsIjoiZW4ifQ.forged"  # state-shaped, signed with someone else's key
    problems: list[str] = []
    for rule, method in webhook_routes(world.app):
        if method != "POST":
            continue
        for path in concrete_paths(rule):
            for query in ("", "?s=abc", f"?s={forged}", "?s=" + "x" * 3000):
                for _ in range(3):
                    url = PUBLIC_BASE_URL + path + query
                    response = signed_post(client, url, junk_twilio_params(rng))
                    check_twiml(f"POST {path}{query[:40]}", response, problems,
                                error_watch.take())
    assert not problems, "\n".join(problems[:40])


# --- a crawl of real calls, then junk at every step ---------------------------------------

KEYS = ("1", "2", "3", "4", "8", "0", "*")


def _next_moves(root: ET.Element) -> list[tuple[str, dict[str, str]]]:
    """What a caller (and Twilio) can do next: press keys, stay silent, record, queue."""
    moves: list[tuple[str, dict[str, str]]] = []
    for gather in root.iter("Gather"):
        action = gather.get("action", "")
        moves += [(action, {"Digits": key}) for key in KEYS]
        if "speech" in gather.get("input", ""):
            moves.append((action, {"SpeechResult": "Lok Nayak", "Confidence": "0.9"}))
    for record in root.iter("Record"):
        moves.append((record.get("action", ""), {
            "RecordingSid": "RE" + "5" * 32, "RecordingDuration": "9",
            "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE5"}))
    for enqueue in root.iter("Enqueue"):
        moves.append((enqueue.get("waitUrl", ""), {"QueuePosition": "2"}))
        moves.append((enqueue.get("action", ""), {"QueueResult": "bridged", "QueueTime": "30"}))
    moves += [(redirect.text or "", {}) for redirect in root.iter("Redirect")]
    return [(url, params) for url, params in moves if url.startswith(PUBLIC_BASE_URL)]


def crawl_calls(client, callers: list[str], problems: list[str], error_watch,
                visits_per_step: int = 5, budget: int = 600) -> dict[str, list[str]]:
    """Through the call flow from ``/ivr/voice`` like callers pressing every key; returns,
    per step path, the first few signed state URLs the app itself handed out.

    Moves into steps not seen yet go first, then moves from one step into another,
    then retries and repeats of the same step: the budget reaches the far ends of the
    flow (a grievance needs seven moves) before it is spent on retry counters."""
    states: dict[str, list[str]] = {}
    levels: list[deque[tuple[str, dict[str, str], str]]] = [deque(), deque(), deque()]
    levels[0].extend((PUBLIC_BASE_URL + "/ivr/voice", {}, caller) for caller in callers)
    posted = 0
    while posted < budget and any(levels):
        url, params, caller = next(level for level in levels if level).popleft()
        path = urlsplit(url).path
        seen = states.setdefault(path, [])
        if url not in seen and len(seen) >= visits_per_step:
            continue
        if url not in seen:
            seen.append(url)
        form = {"CallSid": f"CA{posted:032d}", "From": caller, "To": "+911140000000", **params}
        response = signed_post(client, url, form)
        posted += 1
        root = check_twiml(f"POST {url[len(PUBLIC_BASE_URL):][:60]} {params}", response,
                           problems, error_watch.take())
        for move_url, move_params in _next_moves(root) if root is not None else []:
            target = urlsplit(move_url).path
            level = 0 if target not in states else 1 if target != path else 2
            levels[level].append((move_url, move_params, caller))
    return states


def test_junk_at_every_step_of_a_real_call_gets_a_spoken_answer(robust_world, error_watch):
    world = robust_world
    client = world.app.test_client()
    rng = random.Random(SEED)
    problems: list[str] = []
    # A known caller (straight to the main menu, has an appointment), a new one, and one
    # whose number is withheld.
    states = crawl_calls(client, [CITIZEN, "+919000000001", "anonymous"], problems,
                         error_watch, budget=1500)
    assert not problems, "\n".join(problems[:40])
    steps = {rule.rule for rule, method in routes(world.app, "/ivr/") if method == "POST"}
    assert steps - NOT_CRAWLED - set(states) == set(), "steps the crawl never reached"
    for path, urls in sorted(states.items()):
        # Every junk key press and every junk speech once, the rest of the form random.
        variants = [{"Digits": d} for d in TWILIO_JUNK["Digits"]]
        variants += [{"SpeechResult": s, "Digits": ""} for s in TWILIO_JUNK["SpeechResult"]]
        variants += [{} for _ in range(3)]
        for n, forced in enumerate(variants):
            params = {**junk_twilio_params(rng), **forced}
            response = signed_post(client, urls[n % len(urls)], params)
            check_twiml(f"POST {path} {forced}", response, problems, error_watch.take())
    assert not problems, f"{len(problems)} bad answers:\n" + "\n".join(problems[:40])
