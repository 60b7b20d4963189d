"""The OpenAPI document matches the routes the app serves, and its schemas are the ones
requests are checked against."""

from __future__ import annotations

import re

from jsonschema import Draft202012Validator

from tests.fixtures_api import API


def _routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len(API):])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((path, method.lower()))
    return found


def test_document_paths_and_methods_match_the_routes(client, app):
    doc = client.get(f"{API}/openapi.json").json
    assert doc["openapi"].startswith("3.1") and doc["servers"] == [{"url": API}]
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert documented == _routes(app)
    # Path parameters are declared for every {name} in the path.
    for path, ops in doc["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for op in ops.values():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == names, path


def test_schemas_are_valid_and_every_ref_resolves(client):
    doc = client.get(f"{API}/openapi.json").json
    schemas = doc["components"]["schemas"]
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)
    refs = re.findall(r'"\$ref": "#/components/(\w+)/(\w+)"', str(doc).replace("'", '"'))
    assert refs
    for section, name in refs:
        assert name in doc["components"][section], name
    for ops in doc["paths"].values():
        for op in ops.values():
            for status, response in op["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d", status)
                assert response["description"]


def test_example_requests_validate_against_the_documented_schemas(client, conforms):
    good = {
        "VerificationRequest": {"phone": "98123 45678", "language": "en"},
        "VerificationConfirm": {"phone": "98123 45678", "code": "123456"},
        "BookingRequest": {"slot_id": 7, "patient_name": "Asha", "abha_number": "12345678901234"},
        "RescheduleRequest": {"slot_id": 8},
        "GrievanceRequest": {"phone": "9812345678", "category": "cleanliness",
                             "description": "dirty ward"},
        "ResourceReport": {"beds": {"icu": {"total": 3, "occupied": 1}}},
    }
    for name, body in good.items():
        conforms(body, name)
    doc = client.get(f"{API}/openapi.json").json
    bad = {"BookingRequest": {"slot_id": "7"}, "VerificationConfirm": {"phone": "1", "code": "1"}}
    for name, body in bad.items():
        validator = Draft202012Validator({"$ref": f"#/components/schemas/{name}",
                                          "components": doc["components"]})
        assert list(validator.iter_errors(body)), name


def test_error_responses_match_the_error_schema(client, conforms):
    for res in (client.get(f"{API}/hospitals/999"), client.get(f"{API}/nowhere"),
                client.post(f"{API}/appointments", json={})):
        assert res.status_code >= 400
        conforms(res.json, "Error")


def test_every_operation_documents_the_outage_answer(client):
    """While the database is down every operation answers 503 with the Error body and
    Retry-After (tests/test_faults_outage.py); the document says so for each."""
    doc = client.get(f"{API}/openapi.json").json
    for path, ops in doc["paths"].items():
        if path == "/openapi.json":
            continue
        for method, op in ops.items():
            assert op["responses"].get("503", {}).get("content"), (method, path)
