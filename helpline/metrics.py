"""Prometheus metrics: request counts and latency per endpoint, and the queues an
operator watches (outbox backlog, callbacks waiting), through ``prometheus_client``.

Under gunicorn every worker writes its counters to files in ``PROMETHEUS_MULTIPROC_DIR``
(``gunicorn.conf.py`` gives each start a fresh one) and ``/metrics``, whichever worker
answers it, adds up every file, a dead worker's included: the totals cover all workers
and never go backwards when gunicorn replaces one. Without that directory (``flask
run``, the Flask test client) the app's own registry holds its counters.

The database figures are read when scraped, not counted, so any worker reports them.
Each app builds its own metric objects and registry: a second app in the same process
(tests make many) never meets the first one's series.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from flask import Response, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select

if TYPE_CHECKING:
    from helpline.app import Helpline

log = logging.getLogger(__name__)

BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# Any other method a client invents is counted as "other": every label value is a
# series kept for the life of the process (and a file entry under gunicorn).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class DatabaseGauges:
    """Outbox rows by status, callbacks waiting and whether the database answered,
    read from the database at each scrape."""

    def __init__(self, helpline: Helpline) -> None:
        self._helpline = helpline

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield from self._families()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from booking_core.outbox import OutboxMessage, OutboxStatus
        from contact_centre.models import CallbackRequest, CallbackStatus

        outbox, waiting, up = self._families()
        try:
            with self._helpline.session() as session:
                backlog = dict(session.execute(
                    select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                ).all())
                callbacks = session.scalar(
                    select(func.count()).where(CallbackRequest.status == CallbackStatus.WAITING)
                )
        except Exception:
            log.warning("metrics: database unreachable")
            up.add_metric([], 0)
            yield up
            return
        # Every status, 0 included, so a dashboard sees a queue empty rather than gone.
        for status in OutboxStatus:
            outbox.add_metric([status.value], backlog.get(status, 0))
        waiting.add_metric([], callbacks or 0)
        up.add_metric([], 1)
        yield from (outbox, waiting, up)

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily("helpline_outbox_messages", "Outbox rows by status.",
                              labels=["status"]),
            GaugeMetricFamily("helpline_callbacks_waiting",
                              "Callback requests no agent has claimed yet."),
            GaugeMetricFamily("helpline_database_up",
                              "1 if the database answered this scrape's queries, else 0."),
        )


class RequestMetrics:
    """One app's request counter and latency histogram, and the registry ``/metrics``
    reads: every worker's files when the settings name ``prometheus_multiproc_dir``,
    else this app's own metrics."""

    def __init__(self, helpline: Helpline) -> None:
        multiproc_dir = helpline.settings.prometheus_multiproc_dir
        # registry=None: never on prometheus_client's global registry.
        self.requests = Counter(
            "helpline_http_requests", "HTTP requests answered.",
            ["endpoint", "method", "status"], registry=None,
        )
        self.latency = Histogram(
            "helpline_http_request_seconds", "Time to answer an HTTP request.",
            ["endpoint"], buckets=BUCKETS, registry=None,
        )
        self.registry = CollectorRegistry()
        if multiproc_dir:
            if not getattr(values.ValueClass, "_multiprocess", False):
                raise RuntimeError(
                    "PROMETHEUS_MULTIPROC_DIR must be in the environment before "
                    "prometheus_client is first imported (gunicorn.conf.py sets it)"
                )
            MultiProcessCollector(self.registry, path=multiproc_dir)
        else:
            self.registry.register(self.requests)
            self.registry.register(self.latency)
        self.registry.register(DatabaseGauges(helpline))

    def start_timer(self) -> None:
        g.request_started = time.perf_counter()

    def record(self, response: Response) -> Response:
        endpoint = request.endpoint or "unknown"
        method = request.method if request.method in METHODS else "other"
        self.requests.labels(endpoint, method, str(response.status_code)).inc()
        started = g.get("request_started")
        if started is not None:
            self.latency.labels(endpoint).observe(time.perf_counter() - started)
        return response

    def response(self) -> Response:
        return Response(generate_latest(self.registry), content_type=CONTENT_TYPE_PLAIN_0_0_4)
