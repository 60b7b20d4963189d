"""docs/IVR.md is drawn from the declaration: a stale map fails here."""

from __future__ import annotations

from helpline.app import create_app
from ivr.ivrmap import MAP_PATH, render_map
from tests.conftest import make_settings


def test_the_committed_map_is_what_ivr_map_writes():
    app = create_app(make_settings("sqlite://"))
    try:
        result = app.test_cli_runner().invoke(args=["ivr-map", "--check"])
        assert result.exit_code == 0, result.output
        text = render_map()
        assert MAP_PATH.read_text() == text
        for name in ("book_confirm", "griev_record", "callback", "mine_cancel"):
            assert f"    {name}" in text
        assert "book_confirm -->|1 book| book_done" in text
    finally:
        app.extensions["helpline"].engine.dispose()


def test_options_are_shown_in_the_language_callers_hear_them():
    """Choosing Hindi is offered in Hindi; the main menu's switch is said in the other
    language on each menu. The map used to show "For English, press 1" for Hindi."""
    rows = {line.split("|")[1].strip(): line for line in render_map().splitlines()
            if line.startswith("| `")}
    language = rows["`language`"]
    assert "`1` हिन्दी के लिए 1 दबाएँ। → `hindi`" in language
    assert "`2` For English, press 2. → `english`" in language
    main = rows["`main`"]
    assert "For English, press 8. (Hindi menu)" in main
    assert "हिन्दी के लिए 8 दबाएँ। (English menu)" in main
