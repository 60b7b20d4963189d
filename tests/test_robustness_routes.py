"""The rest of ``app.url_map``: routes outside the API, webhook and console walks
(operations, static files, whatever is added later) get the same garbage and must
never answer 5xx; unknown URLs answer 404 in each family's own form."""

from __future__ import annotations

import random

import pytest

from tests.fixtures_robustness import (
    BAD_UTF8,
    DEEP_JSON,
    WRONG_JSON,
    random_fields,
    sample_paths,
)
from tests.test_robustness_webhooks import WEBHOOK_PREFIXES

SEED = 20240604
WALKED = ("/api/", *WEBHOOK_PREFIXES, "/console/")


def test_each_walk_has_routes_to_walk(app):
    rules = [rule.rule for rule in app.url_map.iter_rules()]
    for prefix in ("/api/", "/ivr/", "/console/"):
        assert any(rule.startswith(prefix) for rule in rules), prefix


def test_every_other_route_survives_garbage(app, settings, error_watch):
    client = app.test_client()
    rng = random.Random(SEED)
    limit = settings.max_request_bytes
    problems: list[str] = []
    others = [rule for rule in app.url_map.iter_rules() if not rule.rule.startswith(WALKED)]
    assert {"/healthz", "/readyz", "/metrics"} <= {rule.rule for rule in others}
    plausible = {"filename": ["robots.txt"]}
    for rule in sorted(others, key=lambda r: r.rule):
        for method in sorted((rule.methods or set()) - {"OPTIONS"}):
            for path in sample_paths(rule, plausible, rng, 4):
                for kwargs in ({}, {"data": random_fields(rng)},
                               {"data": rng.choice(WRONG_JSON + DEEP_JSON),
                                "content_type": "application/json"},
                               {"data": BAD_UTF8, "content_type": "application/json"},
                               {"query_string": random_fields(rng)}):
                    response = client.open(path, method=method, **kwargs)
                    errors = error_watch.take()
                    if response.status_code >= 500 or errors:
                        problems.append(f"{method} {path[:80]}: {response.status_code} {errors}")
            response = client.open(rule.rule, method=method, data="x" * (limit + 1))
            if response.status_code not in (404, 413):
                problems.append(f"{method} {rule.rule} [oversized]: {response.status_code}")
    assert not problems, "\n".join(problems[:40])


def test_unknown_urls_answer_404_in_each_familys_form(client):
    api = client.post("/api/v1/no/such/thing", data="{", content_type="application/json")
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"
    console = client.get("/console/no/such/page")
    assert console.status_code == 404 and console.mimetype == "text/html"
    webhook = client.post("/ivr/no/such/step", data={"Digits": "1"})
    assert (webhook.status_code, webhook.mimetype) == (404, "text/plain")
    other = client.get("/no/such/page")
    assert other.status_code == 404 and other.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("limit", [0, 1, 9, 10, 21, 99, 305, 1999, 2**31 - 1])
def test_the_id_pattern_holds_exactly_the_numbers_up_to_its_limit(limit):
    import random
    import re

    from helpline.app import at_most

    pattern = re.compile(at_most(limit))
    rng = random.Random(limit)
    values = [*range(0, 3000), limit - 1, limit, limit + 1, 10 * limit + 9,
              *(rng.randrange(0, 10 * limit + 10) for _ in range(3000))]
    for value in values:
        if value < 0:
            continue
        assert bool(pattern.fullmatch(str(value))) == (value <= limit), value
        assert bool(pattern.fullmatch(f"00{value}")) == (value <= limit), value


def test_an_id_past_integer_is_not_found_whatever_the_method(client):
    """Werkzeug answered 405 to a POST whose id was too large when the same path has a
    GET: a refusal after the pattern matched counted as a method mismatch."""
    for number in ("2147483648", "33065769684896232"):
        for method in ("get", "post"):
            answer = getattr(client, method)(f"/api/v1/hospitals/{number}/resources", json={})
            assert answer.status_code == 404, (method, number, answer.status_code)
    assert client.post("/api/v1/hospitals/2147483647/resources", json={}).status_code == 401
