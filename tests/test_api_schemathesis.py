"""The OpenAPI document is exactly as strict as the API (issue 11, section 5).

Schemathesis generates requests from the served document: ones the document allows
("positive") and ones it forbids ("negative"), for every operation. With a real
verified mobile and a real hospital-feed token, so the checks reach past sign-in:

- nothing answers 5xx;
- every status answered is documented for its operation, and every JSON error body is
  the documented ``Error``; every success body matches its documented schema;
- a request the document allows is never refused as malformed (400): when the API
  refuses what the document allows, the document is looser than the API (it was: a
  district name of 61 characters). Rules no schema can express (a number that is not
  a mobile, a slot in the past) answer 404, 409 or 422;
- a body the document forbids is never accepted (2xx).
"""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from jsonschema import Draft202012Validator
from schemathesis import GenerationMode

from booking_core.feed_tokens import issue_feed_token
from helpline.app import create_app
from portal_api.auth import VERIFICATION_HEADER
from tests.conftest import make_settings
from tests.fixtures_api import API, latest_code

pytestmark = [pytest.mark.slow]

EXAMPLES = 20  # per operation and mode


@pytest.fixture
def database_url(sqlite_database_url):
    """The document and the API's parsing are the same on both databases: SQLite only."""
    return sqlite_database_url


@pytest.fixture
def open_app(database_url):
    """The app with the API's rate limit out of the way (it is tested elsewhere)."""
    app = create_app(make_settings(database_url, api_rate_limit_per_minute=1_000_000))
    yield app
    app.extensions["helpline"].engine.dispose()


def _verification_token(app, catalogue_session) -> str:
    client = app.test_client()
    sent = client.post(f"{API}/verifications", json={"phone": "98123 45678"})
    assert sent.status_code == 202, sent.json
    code = latest_code(catalogue_session, "+919812345678")
    confirmed = client.post(f"{API}/verifications/confirm",
                            json={"phone": "98123 45678", "code": code})
    assert confirmed.status_code == 200, confirmed.json
    return str(confirmed.json["verification_token"])


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator({**schema, "components": document["components"]})


def test_generated_requests_find_the_document_as_strict_as_the_api(open_app, catalogue):
    helpline = open_app.extensions["helpline"]
    with helpline.session() as session:
        verified = _verification_token(open_app, session)
        _, feed_token = issue_feed_token(session, catalogue.hospital.id, label="schemathesis")
        session.commit()
    document = open_app.test_client().get(f"{API}/openapi.json").json
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", open_app)
    problems: list[str] = []
    seen: Counter[tuple[str, str, int]] = Counter()

    def checker(operation: Any, mode: GenerationMode) -> Any:
        documented = operation.definition.raw["responses"]
        security = operation.definition.raw.get("security") or document.get("security") or []
        schemes = {name for requirement in security for name in requirement}
        name = f"{operation.method.upper()} {operation.path}"
        body_schema = (operation.definition.raw.get("requestBody", {}).get("content", {})
                       .get("application/json", {}).get("schema"))

        @hypothesis_settings(max_examples=EXAMPLES, deadline=None, database=None,
                             derandomize=True, phases=[Phase.explicit, Phase.generate],
                             suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            headers = dict(case.headers or {})
            if "verifiedMobile" in schemes:
                headers[VERIFICATION_HEADER] = verified
            if "hospitalToken" in schemes:
                headers["Authorization"] = f"Bearer {feed_token}"
            case.headers = headers
            response = case.call()
            status = response.status_code
            seen[(name, mode.value, status)] += 1
            sent = (f"{case.method} {operation.path} [{mode.value}] {case.path_parameters} "
                    f"{case.query} {str(case.body)[:120]!r} -> {status} {response.text[:160]}")
            if status >= 500:
                problems.append(f"server error: {sent}")
                return
            if case.method.upper() != operation.method.upper():
                # A method the document does not list for this path.
                if status != 405:
                    problems.append(f"undocumented method {case.method} not refused: {sent}")
                return
            if str(status) not in documented:
                problems.append(f"undocumented status: {sent}")
                return
            content = documented[str(status)].get("content", {}).get("application/json")
            if content is not None and content.get("schema"):
                errors = list(_validator(document, content["schema"]).iter_errors(
                    response.json()))
                if errors:
                    problems.append(f"body against its schema ({errors[0].message}): {sent}")
            if mode == GenerationMode.POSITIVE and status == 400:
                problems.append(f"allowed by the document, refused as malformed: {sent}")
            if (mode == GenerationMode.NEGATIVE and 200 <= status < 300
                    and body_schema is not None and isinstance(case.body, dict | list)
                    and not _validator(document, body_schema).is_valid(case.body)):
                problems.append(f"a body the document forbids, accepted: {sent}")

        return run

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                checker(operation, mode)()

    assert not problems, "\n".join(sorted(set(problems))[:20])
    # The generated requests reached past sign-in: the verified operations answered
    # something other than 401 (a 404 for a made-up reference, a 422 for a rule).
    verified_answers = {status for (name, _, status), _n in seen.items()
                        if name.startswith("POST /appointments/") and "lookup" not in name}
    assert verified_answers - {401}, seen
