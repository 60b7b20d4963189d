"""gunicorn settings for the web process (the Procfile's ``web`` line).

Timeout: each request gives up waiting on the database at ``REQUEST_DEADLINE_SECONDS``
(default 6) and answers anyway (the IVR's apology, the API's 503); gunicorn's own
timeout, which kills the worker and drops its request, stays well above that, so a
hung database never costs a caller the apology. Twilio waits 15 s in all.

Metrics: each worker writes its counters to files in ``PROMETHEUS_MULTIPROC_DIR`` and
``/metrics`` adds up every file (``helpline/metrics.py``). prometheus_client picks where
it stores values when it is first imported, so the directory is named here, in the
master, before any worker loads the app; and it starts empty, since files left by an
earlier run would be counted again.
"""

import glob
import math
import os
import shutil
import sys
import tempfile

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# The request's deadline, plus a connection attempt that started just before it
# (libpq rounds up to whole seconds), plus a margin for answering.
REQUEST_DEADLINE_SECONDS = float(os.environ.get("REQUEST_DEADLINE_SECONDS", "6"))
timeout = max(15, math.ceil(REQUEST_DEADLINE_SECONDS) + 9)
# No control socket (gunicorn 25+): its default path is one per user, so a second
# gunicorn on the host (another deployment, a check) took it over and removed it on exit;
# the helpline is managed with signals (HUP, TERM, TTIN/TTOU) instead.
control_socket_disable = True

# Directories on_starting makes are named so; on_exit removes only those.
OWN_METRICS_DIR_PREFIX = "helpline-metrics-"


def _made_here(path):
    return (os.path.dirname(path) == tempfile.gettempdir()
            and os.path.basename(path).startswith(OWN_METRICS_DIR_PREFIX))


def _check_settings():
    """The app's own start-up check, once in the master before it binds or forks: a
    missing SECRET_KEY or a voice that cannot speak its language stops gunicorn with
    the one line naming the setting, not once per worker among gunicorn's own lines."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from helpline.settings import Settings, SettingsError, resolve_secrets

    try:
        resolve_secrets(Settings.from_env())
    except SettingsError as exc:
        print(f"helpline cannot start: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(3) from None


def on_starting(server):
    """Once per start (a reload keeps the directory): the settings checked, then a
    fresh temporary directory unless PROMETHEUS_MULTIPROC_DIR names one, which is then
    emptied of metric files."""
    _check_settings()
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=OWN_METRICS_DIR_PREFIX)
        return
    os.makedirs(path, exist_ok=True)
    for stale in glob.glob(os.path.join(path, "*.db")):
        os.remove(stale)


def child_exit(server, worker):
    """A dead worker's counters keep counting (its files stay); this drops only the
    per-process ("live") gauges it kept."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """The temporary directory on_starting made goes with the server."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if _made_here(path):
        shutil.rmtree(path, ignore_errors=True)
