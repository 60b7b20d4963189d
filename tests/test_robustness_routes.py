"""The rest of ``app.url_map``: routes outside the API, webhook and console walks
(operations, static files, whatever is added later) get the same garbage and must
never answer 5xx; unknown URLs answer 404 in each family's own form."""

from __future__ import annotations

import random

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
