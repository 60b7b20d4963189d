"""Prometheus text-format metrics: request counts and latency per endpoint, and the
queues an operator watches (outbox backlog, callbacks waiting)."""

from __future__ import annotations

import threading
import time
from collections import Counter

from flask import Response, g, request
from sqlalchemy import func, select

_lock = threading.Lock()
_requests: Counter[tuple[str, str, int]] = Counter()
_latency_sum: Counter[str] = Counter()
_latency_count: Counter[str] = Counter()
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_latency_buckets: Counter[tuple[str, float]] = Counter()


def start_timer() -> None:
    g.request_started = time.perf_counter()


def record_request(response: Response) -> Response:
    started = g.get("request_started")
    endpoint = request.endpoint or "unknown"
    with _lock:
        _requests[(endpoint, request.method, response.status_code)] += 1
        if started is not None:
            elapsed = time.perf_counter() - started
            _latency_sum[endpoint] += elapsed
            _latency_count[endpoint] += 1
            for bound in BUCKETS:
                if elapsed <= bound:
                    _latency_buckets[(endpoint, bound)] += 1
    return response


def _gauges() -> list[str]:
    from booking_core.outbox import OutboxMessage, OutboxStatus
    from contact_centre.models import CallbackRequest, CallbackStatus
    from helpline.app import current_helpline

    lines: list[str] = []
    try:
        with current_helpline().session() as session:
            backlog = session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
            waiting = session.scalar(
                select(func.count()).where(CallbackRequest.status == CallbackStatus.WAITING)
            )
        lines.append("# TYPE helpline_outbox_messages gauge")
        for status, count in backlog:
            value = status.value if isinstance(status, OutboxStatus) else status
            lines.append(f'helpline_outbox_messages{{status="{value}"}} {count}')
        lines.append("# TYPE helpline_callbacks_waiting gauge")
        lines.append(f"helpline_callbacks_waiting {waiting or 0}")
        lines.append("helpline_database_up 1")
    except Exception:
        lines.append("helpline_database_up 0")
    return lines


def metrics_response() -> Response:
    lines = ["# TYPE helpline_http_requests_total counter"]
    with _lock:
        for (endpoint, method, status), count in sorted(_requests.items()):
            lines.append(
                f'helpline_http_requests_total{{endpoint="{endpoint}",method="{method}",'
                f'status="{status}"}} {count}'
            )
        lines.append("# TYPE helpline_http_request_seconds histogram")
        for endpoint in sorted(_latency_count):
            for bound in BUCKETS:
                lines.append(
                    f'helpline_http_request_seconds_bucket{{endpoint="{endpoint}",le="{bound}"}} '
                    f"{_latency_buckets[(endpoint, bound)]}"
                )
            lines.append(
                f'helpline_http_request_seconds_bucket{{endpoint="{endpoint}",le="+Inf"}} '
                f"{_latency_count[endpoint]}"
            )
            lines.append(
                f'helpline_http_request_seconds_sum{{endpoint="{endpoint}"}} '
                f"{_latency_sum[endpoint]:.6f}"
            )
            lines.append(
                f'helpline_http_request_seconds_count{{endpoint="{endpoint}"}} '
                f"{_latency_count[endpoint]}"
            )
    lines.extend(_gauges())
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")
