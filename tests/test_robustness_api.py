"""Every portal API route, fed garbage: no 5xx ever, and every 4xx is JSON
``{"error": {"code", "message"}}``.

Routes come from ``app.url_map`` and request bodies from the OpenAPI document, so a
route or a field added later is walked too. Each JSON body starts from a plausible one
(real ids, the verified number) with one or two fields spoiled, so the garbage reaches
past the first check into the domain and the database.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from typing import Any

from tests.fixtures_robustness import (
    BAD_UTF8,
    CITIZEN,
    DEEP_JSON,
    FORM_JUNK,
    JSON_JUNK,
    WRONG_JSON,
    random_fields,
    routes,
    sample_paths,
)

SEED = 20240601


def _plausible_args(world) -> dict[str, list[str]]:
    ids = {f"{kind}_id": [str(i) for i in values] for kind, values in world.ids.items()}
    return {**ids, "reference": world.references}


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _plausible(spec: dict[str, Any], name: str, schema: dict[str, Any], world,
               depth: int = 0) -> Any:
    """A value the API would accept for field ``name`` (real ids, the verified number)."""
    schema = _resolve(spec, schema)
    kind = schema.get("type")
    if "anyOf" in schema:
        return _plausible(spec, name, schema["anyOf"][0], world, depth)
    if kind == "object" and depth < 3:
        props = schema.get("properties", {})
        value = {key: _plausible(spec, key, sub, world, depth + 1) for key, sub in props.items()}
        extra = schema.get("additionalProperties")
        names = schema.get("propertyNames", {}).get("enum")
        if isinstance(extra, dict) and names:
            value[names[0]] = _plausible(spec, names[0], extra, world, depth + 1)
        return value
    if kind == "array":
        return [_plausible(spec, name, schema.get("items", {}), world, depth + 1)]
    if kind == "integer":
        stem = name.removesuffix("_id")
        if stem != name and world.ids.get(stem):
            return world.ids[stem][-1]
        return 1
    if kind == "string":
        if "enum" in schema:
            return schema["enum"][0]
        return {"phone": CITIZEN, "reference": world.references[0], "code": "123456",
                "description": "The fan in ward 4 has not worked for a week.",
                "date": (dt.date.today() + dt.timedelta(days=2)).isoformat(),
                }.get(name, "text")
    return None


def _spoil(value: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One or two fields (perhaps nested) given junk; perhaps an unknown or a missing one."""
    spoiled = json.loads(json.dumps(value))
    for _ in range(rng.choice((1, 2))):
        target = spoiled
        while True:
            keys = [k for k, v in target.items()]
            if not keys:
                break
            key = rng.choice(keys)
            if isinstance(target[key], dict) and target[key] and rng.random() < 0.5:
                target = target[key]
                continue
            target[key] = rng.choice(JSON_JUNK)
            break
    if rng.random() < 0.2 and spoiled:
        spoiled.pop(rng.choice(sorted(spoiled)))
    if rng.random() < 0.2:
        spoiled["unexpected"] = rng.choice(JSON_JUNK)
    return spoiled


def _openapi_path(rule_text: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule_text.removeprefix("/api/v1"))


def _request_schema(spec: dict[str, Any], rule_text: str, method: str) -> dict[str, Any] | None:
    op = spec["paths"].get(_openapi_path(rule_text), {}).get(method.lower(), {})
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    return body.get("schema")


def _query_names(spec: dict[str, Any], rule_text: str, method: str) -> list[str]:
    op = spec["paths"].get(_openapi_path(rule_text), {}).get(method.lower(), {})
    return [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"]


def _bodies(spec, world, rule_text: str, method: str, rng: random.Random
            ) -> list[tuple[str, dict[str, Any]]]:
    """Named request variants: query junk, wrong content, broken JSON, spoiled objects."""
    queries = _query_names(spec, rule_text, method) + ["x"]
    variants: list[tuple[str, dict[str, Any]]] = [
        ("nothing", {}),
        ("query junk", {"query_string": {rng.choice(queries): rng.choice(FORM_JUNK)
                                         for _ in range(2)}}),
    ]
    if method not in ("POST", "PUT", "PATCH"):
        return variants
    json_type = {"content_type": "application/json"}
    variants += [
        ("form fields", {"data": random_fields(rng)}),
        ("broken json", {"data": rng.choice(WRONG_JSON), **json_type}),
        ("deep json", {"data": rng.choice(DEEP_JSON), **json_type}),
        ("invalid utf-8", {"data": BAD_UTF8, **json_type}),
        ("text/plain", {"data": "{}", "content_type": "text/plain"}),
    ]
    schema = _request_schema(spec, rule_text, method)
    if schema is not None:
        good = _plausible(spec, "body", schema, world)
        # json.dumps escapes what werkzeug's encoder cannot send (a lone surrogate).
        variants.append(("plausible json", {"data": json.dumps(good), **json_type}))
        variants += [(f"spoiled json {n}", {"data": json.dumps(_spoil(good, rng)), **json_type})
                     for n in range(4)]
    return variants


def _headers(world, rng: random.Random, plausible_path: bool) -> dict[str, str]:
    """Valid credentials with the plausible path (so garbage reaches the body), else
    sometimes junk ones."""
    if plausible_path or rng.random() < 0.3:
        return {"X-Verification-Token": world.verification_token,
                "Authorization": f"Bearer {world.feed_token}"}
    return rng.choice([{}, {"X-Verification-Token": "abc", "Authorization": "Bearer \x7f"},
                       {"Authorization": "Basic " + "x" * 500}])


def check_api_answer(label: str, response, problems: list[str], errors: list[str]) -> None:
    status = response.status_code
    if status >= 500 or errors:
        problems.append(f"{label}: {status} {errors or response.get_data(as_text=True)[:200]}")
        return
    if status >= 400 and response.request.method != "HEAD":
        body = response.get_json(silent=True)
        error = body.get("error") if isinstance(body, dict) else None
        if not (response.mimetype == "application/json" and isinstance(error, dict)
                and isinstance(error.get("code"), str) and error["code"]
                and isinstance(error.get("message"), str) and error["message"]):
            problems.append(f"{label}: {status} is not a JSON error: "
                            f"{response.get_data(as_text=True)[:200]}")


def test_every_api_route_answers_garbage_with_a_json_4xx(robust_world, error_watch):
    world = robust_world
    client = world.app.test_client()
    spec = client.get("/api/v1/openapi.json").get_json()
    rng = random.Random(SEED)
    plausible = _plausible_args(world)
    limit = world.helpline.settings.max_request_bytes
    problems: list[str] = []
    walked = 0
    for rule, method in routes(world.app, "/api/"):
        paths = sample_paths(rule, plausible, rng, 3)
        for n, path in enumerate(paths):
            for name, kwargs in _bodies(spec, world, rule.rule, method, rng):
                response = client.open(path, method=method, headers=_headers(world, rng, n == 0),
                                       **kwargs)
                check_api_answer(f"{method} {path[:80]} [{name}]", response, problems,
                                 error_watch.take())
                walked += 1
        if method == "POST":
            response = client.post(paths[0], data="x" * (limit + 1),
                                   content_type="application/json")
            check_api_answer(f"{method} {rule.rule} [oversized]", response, problems,
                             error_watch.take())
            if response.status_code != 413:
                problems.append(f"{method} {rule.rule} [oversized]: {response.status_code}")
    assert not problems, f"{len(problems)} bad answers:\n" + "\n".join(problems[:40])
    assert walked > 200
