"""The README's dev-phone calls, exactly as written, against the real gunicorn with three
workers and nothing configured: every webhook of a call may land on another worker, and
the call still goes through (one key for every process, made once under instance/)."""

from __future__ import annotations

import os
import re
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bench.gunicorn_server import free_port, running_gunicorn
from booking_core.appointments import Appointment, AppointmentStatus
from helpline.demo_data import load_demo_data
from helpline.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
README_URL = "http://127.0.0.1:5000"
CALLER = "+919812345678"  # the dev phone's own number
UNSET = ("SECRET_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL",
         "REDIS_URL", "DATABASE_URL", "PORT")

pytestmark = pytest.mark.slow


def readme_calls() -> list[tuple[str, list[str]]]:
    """``(ARGS, lines shown)`` for each dev-phone block of the README, in order."""
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"<!-- dev-phone: [^>]+ -->\n```console\n(.*?)```", text, re.S)
    calls = []
    for block in blocks:
        lines = block.splitlines()
        args = re.fullmatch(r'\$ make call ARGS="([^"]+)"', lines[0])
        assert args, lines[0]
        calls.append((args[1], lines[1:]))
    return calls


def matches(shown: str, heard: str) -> bool:
    """A README line stands for what is heard: the same words up to its first digit or
    "...", since dates, seat counts and references change from day to day."""
    cut = re.split(r"\d|\.\.\.", shown, maxsplit=1)[0]
    return heard.startswith(cut)


def test_readme_calls_work_on_three_workers_with_nothing_set(tmp_path):
    calls = readme_calls()
    assert len(calls) == 2
    db_url = f"sqlite:///{tmp_path / 'helpline.sqlite3'}"
    upgrade(db_url)
    engine = create_engine(db_url)
    with Session(engine) as session:
        load_demo_data(session)  # no logins file: the checkout's demo logins stay as they are
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env.update(DATABASE_URL=db_url, PORT=str(port), PYTHONPATH=str(ROOT))
    access_log = tmp_path / "access.log"
    workers_seen: dict[str, set[str]] = defaultdict(set)
    with running_gunicorn({"DATABASE_URL": db_url, "PORT": str(port), "SECRET_KEY": "",
                           "TWILIO_AUTH_TOKEN": "", "TWILIO_ACCOUNT_SID": ""},
                          workers=3, port=port, timeout=90,
                          # Each worker process serves two requests and is replaced by a
                          # new one, so every three consecutive webhooks of a call are
                          # answered by at least two processes, whatever the scheduler does.
                          extra_args=["--max-requests", "2", "--max-requests-jitter", "0",
                                      "--access-logfile", str(access_log),
                                      "--access-logformat", "%(p)s %(U)s"]) as base:
        outputs = []
        log_read = 0
        for number, (args, shown) in enumerate(calls):
            args = args.replace(README_URL, base)
            result = subprocess.run(["make", "-s", "call", f"ARGS={args}"], cwd=ROOT, env=env,
                                    capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, result.stderr
            heard = [line for line in result.stdout.splitlines()
                     if line.startswith(("[", "  >", "("))]
            assert len(heard) == len(shown), result.stdout
            for expected, got in zip(shown, heard, strict=True):
                assert matches(expected, got), (expected, got)
            outputs.append(result.stdout)
            log_lines = access_log.read_text().splitlines()
            for line in log_lines[log_read:]:
                pid, path = line.split(" ")[:2]
                if path.startswith("/ivr/"):
                    workers_seen[f"call{number}"].add(pid)
            log_read = len(log_lines)
    assert "Your appointment is booked" in outputs[0]
    assert "Welcome back" in outputs[1] and "LNJP Hospital" in outputs[1]
    # Each call's webhooks were answered by more than one process, and still no caller was
    # sent back to the welcome menu.
    assert set(workers_seen) == {"call0", "call1"}
    assert all(len(pids) >= 2 for pids in workers_seen.values()), workers_seen
    for output in outputs:
        assert output.count("Welcome") == 1
    with Session(engine) as session:
        booked = session.scalars(select(Appointment)).all()
        assert [a.status for a in booked] == [AppointmentStatus.BOOKED]
        assert booked[0].reference.replace(" ", "")[:4] in outputs[0].replace(" ", "")
    engine.dispose()
