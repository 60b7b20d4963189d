"""CORS for ``/api/v1``: a separately hosted portal or app may call the API from a
browser, but only from the origins in ``CORS_ALLOWED_ORIGINS`` (exact match, never a
wildcard). Another site's page gets no ``Access-Control-Allow-Origin``, so the browser
keeps the answer from its script. Preflights (OPTIONS) are answered by Flask itself and
not counted against the client's rate limit. Credentials (cookies) are never allowed:
the API authenticates with headers only.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from helpline.settings import cors_origins
from portal_api.blueprint import api

_EXTENSION = "portal_api.cors_origins"

ALLOWED_METHODS = "GET, POST"
ALLOWED_HEADERS = "Content-Type, X-Verification-Token"
EXPOSED_HEADERS = "Retry-After"
PREFLIGHT_MAX_AGE = "600"


def init_cors(app: Flask) -> None:
    """Read ``CORS_ALLOWED_ORIGINS`` once for this app."""
    app.extensions[_EXTENSION] = cors_origins(
        app.extensions["helpline"].settings.cors_allowed_origins)
    # On the app, not the blueprint: a URL or method no route matches (404, 405) never
    # reaches the blueprint's hooks, and its error must be readable too.
    app.after_request(_cors)


def _cors(response: Response) -> Response:
    """After every ``/api/v1`` answer, errors (4xx, 429) and unmatched URLs included, so
    a cross-origin client can read why it was refused."""
    if not request.path.startswith(f"{api.url_prefix}/"):
        return response
    response.vary.add("Origin")
    origin = request.headers.get("Origin", "")
    if origin not in current_app.extensions.get(_EXTENSION, frozenset()):
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response
