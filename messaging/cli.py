"""``flask worker``, ``flask scheduler`` and ``flask dlt-templates``.

Workers and the scheduler are started through the app's CLI, so they run with the same
settings and logging as the web process; the app is built once per process.
"""

from __future__ import annotations

import click
from flask import Flask

from helpline import jobs


def register_cli(app: Flask) -> None:
    helpline = app.extensions["helpline"]

    @app.cli.command("worker")
    @click.option("--queues", default="messages,default", show_default=True,
                  help="comma-separated queue names, most urgent first")
    @click.option("--burst", is_flag=True, help="stop when the queues are empty")
    @click.option("--forking", is_flag=True,
                  help="RQ's default Worker: fork a process per job (slower, see README)")
    def worker(queues: str, burst: bool, forking: bool) -> None:
        """Run an RQ worker for this helpline's queues."""
        from messaging.worker import run_worker

        jobs.activate(helpline)
        run_worker(helpline, [q.strip() for q in queues.split(",") if q.strip()],
                   burst=burst, forking=forking)

    @app.cli.command("scheduler")
    @click.option("--once", is_flag=True, help="run every task once, then stop")
    def scheduler(once: bool) -> None:
        """Run the periodic tasks (due-outbox sweep, reconciliation, slots) forever."""
        from messaging.scheduler import Scheduler

        jobs.activate(helpline)
        Scheduler(helpline).run(once=once)

    @app.cli.command("dlt-templates")
    def dlt_templates() -> None:
        """Print every SMS template as it must be registered on the DLT portal."""
        from locales import LANGUAGES
        from messaging.dlt import dlt_template_id, dlt_text, sms_template_keys

        for key in sms_template_keys():
            for lang in LANGUAGES:
                template = key.removeprefix("sms.")
                dlt_id = dlt_template_id(helpline.settings, template, lang) or "(no id set)"
                click.echo(f"{template} [{lang}] {dlt_id}\n  {dlt_text(lang, key)}")
