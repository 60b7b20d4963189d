"""Start-up settings that must hold before the first call: one signing key for every
process, voices that can speak their language, and the front page."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpline.app import EXIT_SETTINGS_ERROR, create_app
from helpline.settings import Settings, SettingsError, resolve_secrets, with_secret_key
from helpline.voices import voice_languages
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def test_from_env_no_longer_invents_a_key_per_process():
    assert Settings.from_env({}).secret_key == ""
    assert Settings.from_env({"SECRET_KEY": "k" * 40}).secret_key == "k" * 40


def refusal(settings: Settings, capsys: pytest.CaptureFixture[str]) -> str:
    """The one line create_app prints when it refuses ``settings``."""
    with pytest.raises(SystemExit) as stopped:
        create_app(settings)
    assert stopped.value.code == EXIT_SETTINGS_ERROR
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_server_database_without_secret_key_refuses_to_start(capsys):
    line = refusal(Settings(database_url=PG_URL, secret_key=""), capsys)
    assert line.startswith("helpline cannot start: SECRET_KEY is not set")


@pytest.mark.parametrize("command", [
    ["-m", "flask", "--app", "helpline.app:create_app", "routes"],
    # The Procfile's web line: checked once in gunicorn's master, before any worker.
    ["-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "3", "--bind", "127.0.0.1:0",
     "helpline.app:create_app()"],
])
@pytest.mark.parametrize(("extra", "setting"), [({}, "SECRET_KEY is not set"),
                                                ({"SECRET_KEY": "s" * 40,
                                                  "VOICE_HI": "Polly.Joanna"}, "VOICE_HI=")])
def test_the_refusal_is_one_clear_line_for_each_way_of_starting(command, extra, setting):
    env = {k: v for k, v in os.environ.items()
           if k not in ("SECRET_KEY", "DATABASE_URL", "VOICE_HI", "VOICE_EN")}
    env.update(DATABASE_URL=PG_URL, PYTHONPATH=str(ROOT), **extra)
    result = subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == EXIT_SETTINGS_ERROR
    assert "Traceback" not in result.stderr and "Booting worker" not in result.stderr
    named = [line for line in result.stderr.splitlines() if setting in line]
    assert len(named) == 1 and named[0].startswith("helpline cannot start: "), result.stderr


def test_the_embedded_default_makes_one_key_once_and_keeps_it(tmp_path):
    key_file = tmp_path / "instance" / "secret_key"
    embedded = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    first = with_secret_key(embedded, key_file).secret_key
    again = with_secret_key(embedded, key_file).secret_key
    assert first == again and len(first) == 64
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert with_secret_key(embedded.with_overrides(secret_key="given" * 8), key_file
                           ).secret_key == "given" * 8


def test_processes_starting_together_share_one_key(tmp_path):
    """Eight processes race to make the key: every one reads the same, complete key."""
    key_file = tmp_path / "secret_key"
    script = (
        "import sys; from pathlib import Path; from helpline.settings import Settings, "
        "with_secret_key; print(with_secret_key(Settings(database_url='sqlite://'), "
        "Path(sys.argv[1])).secret_key)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", script, str(key_file)], env=env,
                              stdout=subprocess.PIPE, text=True) for _ in range(8)]
    keys = {proc.communicate(timeout=60)[0].strip() for proc in procs}
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert not [p for p in tmp_path.iterdir() if p.name != "secret_key"]  # no leftovers


def test_a_damaged_key_file_is_refused_not_used(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("short\n")
    with pytest.raises(SettingsError, match="damaged"):
        with_secret_key(Settings(database_url="sqlite://"), key_file)


def test_embedded_default_without_twilio_gets_a_dev_webhook_token(tmp_path):
    key_file = tmp_path / "secret_key"
    embedded = Settings(database_url="sqlite://")
    token = resolve_secrets(embedded, key_file).twilio_auth_token
    assert token and token == resolve_secrets(embedded, key_file).twilio_auth_token
    configured = embedded.with_overrides(twilio_account_sid="AC1", twilio_auth_token="real")
    assert resolve_secrets(configured, key_file).twilio_auth_token == "real"
    server = Settings(database_url=PG_URL, secret_key="s" * 40)
    assert resolve_secrets(server, key_file).twilio_auth_token == ""  # nothing derived


@pytest.mark.parametrize(("setting", "voice"), [
    ("voice_hi", "Polly.Joanna"),
    ("voice_hi", "Polly.Raveena"),  # Indian English only
    ("voice_hi", "Google.en-IN-Standard-A"),
    ("voice_hi", "polly.aditi"),
    ("voice_hi", "alice"),
    ("voice_hi", ""),
    ("voice_en", "Google.hi-IN-Wavenet-A"),
    ("voice_en", "Polly.Matthew"),
    ("voice_en", "Google.en-US-Neural2-A"),
    ("voice_en", "man"),
])
def test_a_voice_that_cannot_speak_its_language_is_refused_at_start(setting, voice, capsys):
    settings = Settings(database_url="sqlite://", secret_key="s" * 40, **{setting: voice})
    message = refusal(settings, capsys)
    assert setting.upper() in message and "cannot speak" in message
    assert ("hi-IN" if setting == "voice_hi" else "en-IN") in message


@pytest.mark.parametrize(("voice", "languages"), [
    ("Polly.Aditi", {"hi-IN", "en-IN"}),
    ("Polly.Kajal-Neural", {"hi-IN", "en-IN"}),
    ("Polly.Raveena", {"en-IN"}),
    ("Google.hi-IN-Neural2-A", {"hi-IN"}),
    ("Google.hi-IN-Chirp3-HD-Aoede", {"hi-IN"}),
    ("Google.en-IN-Wavenet-D", {"en-IN"}),
    ("Polly.Joanna", set()),
])
def test_voice_languages(voice, languages):
    assert voice_languages(voice) == languages


def test_accepted_voices_start(database_url):
    app = create_app(make_settings(database_url, voice_hi="Google.hi-IN-Neural2-A",
                                   voice_en="Polly.Raveena"))
    app.extensions["helpline"].engine.dispose()


def test_the_front_page_in_hindi_and_english_links_what_exists(client):
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'lang="hi"' in html and 'lang="en"' in html
    assert "दिल्ली स्वास्थ्य हेल्पलाइन" in html and "Delhi Health Helpline" in html
    assert "{" not in html  # no unresolved {placeholder}
    for url in ("/console/", "/api/v1/openapi.json", "/healthz", "/readyz", "/metrics"):
        assert html.count(f'href="{url}"') == 2, url  # once per language
        assert client.get(url).status_code in (200, 302, 503), url


def test_each_database_keeps_its_own_demo_logins(tmp_path):
    """Demo accounts are per database: loading demo data into a second database never
    rewrites the passwords `make run` prints for the first."""
    from helpline.cli import demo_logins_file
    from helpline.settings import DEFAULT_SQLITE_URL, INSTANCE_DIR
    from tests.conftest import make_settings

    assert demo_logins_file(DEFAULT_SQLITE_URL) == INSTANCE_DIR / "demo-logins.json"
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    assert demo_logins_file(other) != demo_logins_file(DEFAULT_SQLITE_URL)
    assert demo_logins_file(other) != demo_logins_file(PG_URL)
    default_file = INSTANCE_DIR / "demo-logins.json"
    before = default_file.read_bytes() if default_file.exists() else None
    from helpline.migrate import upgrade

    upgrade(other)
    app = create_app(make_settings(other))
    try:
        runner = app.test_cli_runner()
        assert runner.invoke(args=["load-demo-data", "--weeks", "1"]).exit_code == 0
        written = demo_logins_file(other)
        assert written.exists() and written.stat().st_mode & 0o777 == 0o600
        printed = runner.invoke(args=["print-demo-logins"]).output
        for username, password in json.loads(written.read_text()).items():
            assert username in printed and password in printed
        assert (default_file.read_bytes() if default_file.exists() else None) == before
    finally:
        demo_logins_file(other).unlink(missing_ok=True)
        app.extensions["helpline"].engine.dispose()


def test_gunicorn_makes_no_control_socket_another_instance_could_take(tmp_path):
    """gunicorn 25+ opens a control socket at one path per user; a second gunicorn on
    the host took it over and removed it when it stopped. The helpline opens none."""
    from bench.gunicorn_server import gunicorn_server

    env = {"HOME": str(tmp_path), "XDG_RUNTIME_DIR": "", "SECRET_KEY": "control-test",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'helpline.sqlite3'}"}
    from helpline.migrate import upgrade

    upgrade(env["DATABASE_URL"])
    with gunicorn_server(env, workers=1, timeout=90):
        assert not (tmp_path / ".gunicorn").exists()
