"""Every console route, fed garbage, as a stranger and as each role.

Strangers are sent to the login page (GETs) or refused (POSTs carry no CSRF token).
Signed-in agents, supervisors and admins never get a 5xx: garbage gets a page or a
redirect with a message, errors are HTML pages. A POST without the session's CSRF
token is refused and changes nothing. Routes come from ``app.url_map``; forms (their
fields and real action URLs) are harvested from the pages themselves, so routes and
fields added later are walked too.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import unquote

from tests.fixtures_robustness import (
    BAD_UTF8,
    FIRST_JUNK,
    FORM_JUNK,
    ROLES,
    database_fingerprint,
    random_fields,
    routes,
    sample_paths,
)

SEED = 20240603
PUBLIC = {"/console/login", "/console/static/<path:filename>"}
# Endpoints that serve something other than a page (audio, CSV, JSON, files): their
# errors need not be HTML.
NOT_PAGES = {"console.recording", "console.export_csv", "console.live", "console.static",
             "console.phone_token"}


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)


class FormHarvester(HTMLParser):
    """The forms of a page: action, method, and each field's offered values (fields
    may sit outside their form and name it: ``<input form="user-3">``)."""

    def __init__(self, page_path: str) -> None:
        super().__init__()
        self.page_path = page_path
        self.forms: list[Form] = []
        self._by_id: dict[str, Form] = {}
        self._open: Form | None = None
        self._select: tuple[Form, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._open = Form(a.get("action") or self.page_path,
                              (a.get("method") or "get").upper())
            self.forms.append(self._open)
            if a.get("id"):
                self._by_id[a["id"]] = self._open
            return
        target = self._by_id.get(a["form"]) if a.get("form") else self._open
        name = a.get("name")
        if tag == "option" and self._select:
            form, select = self._select
            form.fields[select].append(a.get("value", ""))
        elif target is None or not name:
            return
        elif tag in ("input", "button"):
            value = a.get("value") or _typical(name, a.get("type", "text"))
            target.fields.setdefault(name, []).append(value)
        elif tag == "select":
            self._select = (target, name)
            target.fields.setdefault(name, [])
        elif tag == "textarea":
            target.fields.setdefault(name, ["text"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._open = None


def _typical(name: str, kind: str) -> str:
    """What a person would type into an empty field, so the rest of a form is valid
    and the one spoiled field reaches the service behind it."""
    if kind == "date":
        return (dt.date.today() + dt.timedelta(days=3)).isoformat()
    if kind == "number":
        return "2"
    return {"username": "walk.user", "password": "a long enough password",
            "phone": "9812345679", "tel": "9812345679"}.get(name, {"tel": "9812345679",
                                                                    "password": "long pass 12345"}
                                                           .get(kind, "Some text"))


def harvest(path: str, html: str) -> list[Form]:
    parser = FormHarvester(path)
    parser.feed(html)
    return [f for f in parser.forms if f.action.startswith("/console/")]


def _plausible_args(world) -> dict[str, list[str]]:
    ids = {f"{kind}_id": [str(i) for i in values] for kind, values in world.ids.items()}
    return {**ids, "action": ["claim", "note", "book", "outcome"],
            "filename": ["console.css", "console.js"]}


def check_page(label: str, response, endpoint: str | None, problems: list[str],
               errors: list[str]) -> None:
    status = response.status_code
    if status >= 500 or errors:
        problems.append(f"{label}: {status} {errors or response.get_data(as_text=True)[:200]}")
    elif status >= 400 and endpoint not in NOT_PAGES and response.mimetype != "text/html":
        problems.append(f"{label}: {status} answered {response.mimetype}, not a page")


def _endpoint(app, path: str, method: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        return adapter.match(unquote(path.split("?")[0]), method=method)[0]
    except Exception:
        return None


def test_strangers_are_sent_to_login_and_their_posts_refused(robust_world, error_watch):
    world = robust_world
    client = world.app.test_client()
    rng = random.Random(SEED)
    limit = world.helpline.settings.max_request_bytes
    before = database_fingerprint(world.app)
    problems: list[str] = []
    for rule, method in routes(world.app, "/console/"):
        if method == "POST":
            path = sample_paths(rule, _plausible_args(world), rng, 0)[0]
            response = client.post(path, data={"note": "x" * limit, "csrf_token": "x"})
            if (response.status_code, response.mimetype) != (413, "text/html"):
                problems.append(f"POST {path} [oversized]: {response.status_code}")
        for path in sample_paths(rule, _plausible_args(world), rng, 2):
            response = client.open(path, method=method, data=random_fields(rng)
                                   if method == "POST" else None)
            label = f"{method} {path[:80]}"
            check_page(label, response, rule.endpoint, problems, error_watch.take())
            if rule.rule in PUBLIC or response.status_code == 404:
                continue
            if method == "POST" and response.status_code != 400:
                problems.append(f"{label}: a POST without CSRF token answered "
                                f"{response.status_code}")
            if method in ("GET", "HEAD") and not (
                    response.status_code == 302
                    and response.location.startswith("/console/login")):
                problems.append(f"{label}: {response.status_code}, not sent to login")
    assert not problems, "\n".join(problems[:40])
    assert database_fingerprint(world.app) == before


def _walk_role(world, role: str, rng: random.Random, error_watch, problems: list[str],
               spoiled: set[tuple[str, str]]) -> None:
    console = world.console(role)
    app = world.app

    def send(method: str, path: str, label: str, **kwargs) -> tuple[int, str, str]:
        """Status, type and text; the response itself is closed and let go at once."""
        response = console.client.open(path, method=method, **kwargs)
        answer = (response.status_code, response.mimetype, response.get_data(as_text=True))
        response.close()
        check_page(f"{role} {method} {path[:70]} [{label}]", response,
                   _endpoint(app, path, method), problems, error_watch.take())
        if response.status_code == 302 and response.location.startswith("/console/login"):
            world.revive(role)
            fresh = world.console(role)
            console.client, console.token = fresh.client, fresh.token
        return answer

    # Pages, and the forms on them.
    forms: dict[str, Form] = {}
    get_rules = [(r, m) for r, m in routes(app, "/console/") if m == "GET"]
    for rule, _ in get_rules:
        for path in sample_paths(rule, _plausible_args(world), rng, 0):
            _, mimetype, html = send("GET", path, "plausible")
            if mimetype == "text/html":
                for form in harvest(path, html):
                    forms.setdefault(_form_key(form), form)
    posts = [f for f in forms.values() if f.method == "POST" and "logout" not in f.action]
    assert posts, f"{role}: no forms found on the console's pages"

    # Without the CSRF token: refused, and nothing changes.
    before = database_fingerprint(app)
    for form in posts:
        data = {name: values[0] if values else "" for name, values in form.fields.items()
                if name != "csrf_token"}
        status, _, _ = send("POST", form.action, "no csrf", data=data)
        if status != 400:
            problems.append(f"{role} POST {form.action} without CSRF: {status}")
    if database_fingerprint(app) != before:
        problems.append(f"{role}: a POST without CSRF token changed the database")

    # Every route with plausible and implausible path values and junk bodies.
    for rule, method in routes(app, "/console/"):
        if rule.rule == "/console/logout":
            continue
        for path in sample_paths(rule, _plausible_args(world), rng, 1):
            if method == "GET":
                send(method, path, "junk query", query_string=random_fields(rng))
                continue
            send(method, path, "junk fields",
                 data={**random_fields(rng), "csrf_token": console.token})
            send(method, path, rng.choice(["json", "invalid utf-8"]),
                 data=rng.choice(['{"a": [1, 2]}', BAD_UTF8]),
                 content_type="application/x-www-form-urlencoded",
                 headers={"X-CSRF-Token": console.token})

    # Every field of every form (once, whoever sees it first) spoiled in turn with the
    # likeliest junk and two more values, the other fields plausibly filled.
    for form in posts:
        for name in sorted(set(form.fields) - {"csrf_token"}):
            if (_form_key(form), name) in spoiled:
                continue
            spoiled.add((_form_key(form), name))
            for junk in FORM_JUNK[:FIRST_JUNK] + rng.sample(FORM_JUNK[FIRST_JUNK:], 2):
                data = {field: rng.choice(values) if values else "x"
                        for field, values in form.fields.items()}
                data.update({name: junk, "csrf_token": console.token})
                send("POST", form.action, f"{name}={junk[:12]!r}", data=data)


def _form_key(form: Form) -> str:
    return form.method + re.sub(r"\d+", "N", form.action)


def test_console_survives_garbage_for_every_role(robust_world, error_watch):
    world = robust_world
    rng = random.Random(SEED)
    problems: list[str] = []
    spoiled: set[tuple[str, str]] = set()
    for role in (*ROLES, "keeper"):
        _walk_role(world, role, rng, error_watch, problems, spoiled)
    assert not problems, f"{len(problems)} bad answers:\n" + "\n".join(problems[:40])
