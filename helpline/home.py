"""``GET /``: what this server is, in Hindi and English, with links to its parts."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, Response, render_template, send_from_directory

from locales import LANGUAGES, render

bp = Blueprint("home", __name__, template_folder="templates")

# (message key, URL) of each part a visitor may be looking for.
LINKS = (
    ("home.link.portal", "/portal/"),
    ("home.link.console", "/console/"),
    ("home.link.openapi", "/api/v1/openapi.json"),
    ("home.link.healthz", "/healthz"),
    ("home.link.readyz", "/readyz"),
    ("home.link.metrics", "/metrics"),
)


@bp.get("/")
def home() -> str:
    from helpline.app import current_helpline

    settings = current_helpline().settings
    sections = []
    for lang in LANGUAGES:
        lines = [render(lang, "home.about")]
        if settings.helpline_number_to_call:
            lines.append(render(lang, "home.call", number=settings.helpline_number_to_call))
        lines.append(render(lang, "home.emergency", number=settings.ambulance_number))
        sections.append({
            "lang": lang,
            "title": render(lang, "home.title"),
            "lines": lines,
            "links": [(render(lang, key), url) for key, url in LINKS],
        })
    return render_template("home.html", sections=sections)


ICONS = Path(__file__).resolve().parent.parent / "agent_console" / "static"


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The helpline's icon for browsers that ask ``/favicon.ico`` whatever the page says
    (a portal or hall-display tab, bookmarks): the console's SVG, cached for a day."""
    response = send_from_directory(ICONS, "favicon.svg", mimetype="image/svg+xml",
                                   max_age=86400)
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
