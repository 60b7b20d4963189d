"""/metrics: request counts that add up across gunicorn workers and never go backwards,
latency histograms, and database figures read at scrape time."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from bench.gunicorn_server import GunicornServer, gunicorn_server
from contact_centre.models import CallbackRequest, CallbackStatus
from helpline.app import create_app
from helpline.metrics import BUCKETS
from helpline.settings import Settings
from tests.conftest import make_settings
from tests.fixtures_messaging import queue_sms

REQUESTS = "helpline_http_requests_total"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape, keyed by name and labels; fails on malformed text."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(scrape: dict, name: str, **labels: str) -> float | None:
    return scrape.get((name, frozenset(labels.items())))


def requests_to(scrape: dict, endpoint: str, status: str = "200") -> float:
    return value(scrape, REQUESTS, endpoint=endpoint, method="GET", status=status) or 0.0


# Single process: the app's own registry (the Flask test client, `flask run`).

def test_requests_are_counted_per_endpoint_method_and_status(client):
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get("/no/such/page").status_code == 404
    assert client.open("/healthz", method="BREW").status_code == 405
    first = samples(client.get("/metrics").get_data(as_text=True))
    assert requests_to(first, "healthz") == 3
    assert requests_to(first, "unknown", "404") == 1
    # Invented methods share one label value, so clients cannot mint new series.
    assert value(first, REQUESTS, endpoint="unknown", method="other", status="405") == 1
    # A scrape is counted once answered: the next one sees it.
    second = samples(client.get("/metrics").get_data(as_text=True))
    assert requests_to(first, "metrics") == 0
    assert requests_to(second, "metrics") == 1
    assert requests_to(second, "healthz") == 3


def test_latency_histogram_has_every_bucket(app, client):
    app.add_url_rule("/slow-for-test", "slow_for_test", lambda: (time.sleep(0.03), "ok")[1])
    assert client.get("/slow-for-test").status_code == 200
    scrape = samples(client.get("/metrics").get_data(as_text=True))

    def bucket(le: str) -> float | None:
        return value(scrape, "helpline_http_request_seconds_bucket",
                     endpoint="slow_for_test", le=le)

    # It slept 30 ms, so it is above the 10 ms and 25 ms buckets and in every later one.
    assert bucket("0.01") == 0 and bucket("0.025") == 0
    assert bucket("2.5") == 1 and bucket("+Inf") == 1
    counts = [bucket(str(float(bound))) for bound in BUCKETS]
    assert None not in counts and counts == sorted(counts)
    assert value(scrape, "helpline_http_request_seconds_count", endpoint="slow_for_test") == 1
    assert value(scrape, "helpline_http_request_seconds_sum", endpoint="slow_for_test") >= 0.03


def test_database_gauges_are_read_at_scrape_time(client, session):
    scrape = samples(client.get("/metrics").get_data(as_text=True))
    assert value(scrape, "helpline_database_up") == 1
    assert value(scrape, "helpline_callbacks_waiting") == 0
    assert value(scrape, "helpline_outbox_messages", status="pending") == 0

    queue_sms(session)
    queue_sms(session)
    session.add_all([
        CallbackRequest(phone="+919812300001", language="hi"),
        CallbackRequest(phone="+919812300002", language="en", status=CallbackStatus.DONE),
    ])
    session.commit()
    scrape = samples(client.get("/metrics").get_data(as_text=True))
    assert value(scrape, "helpline_outbox_messages", status="pending") == 2
    assert value(scrape, "helpline_outbox_messages", status="sent") == 0
    assert value(scrape, "helpline_callbacks_waiting") == 1
    assert value(scrape, "helpline_database_up") == 1


def test_database_up_is_0_when_the_database_is_unreachable():
    app = create_app(make_settings("postgresql+psycopg://postgres@127.0.0.1:1/nothing"))
    client = app.test_client()
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    scrape = samples(response.get_data(as_text=True))
    assert value(scrape, "helpline_database_up") == 0
    assert value(scrape, "helpline_callbacks_waiting") is None
    assert requests_to(scrape, "healthz") == 1


def test_each_app_counts_its_own_requests(sqlite_database_url):
    first = create_app(make_settings(sqlite_database_url)).test_client()
    second = create_app(make_settings(sqlite_database_url)).test_client()
    first.get("/healthz")
    first.get("/healthz")
    second.get("/healthz")
    assert requests_to(samples(first.get("/metrics").get_data(as_text=True)), "healthz") == 2
    assert requests_to(samples(second.get("/metrics").get_data(as_text=True)), "healthz") == 1


def test_the_multiprocess_directory_is_a_setting(tmp_path):
    assert Settings.from_env({}).prometheus_multiproc_dir is None
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    assert Settings.from_env(env).prometheus_multiproc_dir == str(tmp_path)


@pytest.mark.skipif("PROMETHEUS_MULTIPROC_DIR" in os.environ,
                    reason="prometheus_client was imported in multiprocess mode")
def test_a_directory_named_too_late_is_refused(sqlite_database_url, tmp_path):
    # prometheus_client chose in-memory values at import: files would never be written.
    settings = make_settings(sqlite_database_url, prometheus_multiproc_dir=str(tmp_path))
    with pytest.raises(RuntimeError, match="PROMETHEUS_MULTIPROC_DIR"):
        create_app(settings)


# Real gunicorn, several workers: one total for all of them.

WORKERS, HEALTHZ, SCRAPES = 3, 30, 12


def scrape(http: requests.Session, server: GunicornServer) -> dict:
    response = http.get(server.base + "/metrics", timeout=10)
    assert response.status_code == 200
    return samples(response.text)


def healthz_many(server: GunicornServer, count: int) -> None:
    """``count`` requests to /healthz, at least one answered by each worker: one request
    is held open in every worker at once (a sync worker reads one at a time), then all
    are finished together; the rest go one by one."""
    address = (server.host, server.port)
    held = [socket.create_connection(address, timeout=10) for _ in range(WORKERS)]
    for conn in held:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    time.sleep(0.5)  # each worker has accepted one and waits for the rest of it
    for conn in held:
        conn.sendall(b"\r\n")
    for conn in held:
        with conn, conn.makefile("rb") as answer:
            assert answer.readline().startswith(b"HTTP/1.1 200 ")
    with requests.Session() as http:
        for _ in range(count - WORKERS):
            assert http.get(server.base + "/healthz", timeout=10).status_code == 200


def healthz_per_worker(metrics_dir: Path) -> dict[int, float]:
    """What each worker's own file says it answered (the file is named by its pid)."""
    counts = {}
    for path in metrics_dir.glob("counter_*.db"):
        merged = MultiProcessCollector.merge([str(path)])
        counts[int(path.stem.split("_")[1])] = sum(
            s.value for family in merged for s in family.samples
            if s.name == REQUESTS and s.labels["endpoint"] == "healthz"
        )
    return counts


def wait_for_replacement(server: GunicornServer, killed: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pids = server.worker_pids()
        if len(pids) == WORKERS and killed not in pids:
            return
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not replace worker {killed}")


@pytest.mark.slow
def test_gunicorn_workers_add_up_and_never_go_backwards(sqlite_database_url, tmp_path):
    metrics_dir = tmp_path / "metrics"
    env = {"DATABASE_URL": sqlite_database_url, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    # Started once /readyz answers, so /healthz is requested only by this test.
    with gunicorn_server(env, workers=WORKERS, probe="/readyz") as server, \
            requests.Session() as http:
        # Until every worker has answered some: the server is up once one worker is,
        # and a worker still loading the app holds none of the first round's requests.
        sent = 0
        while True:
            healthz_many(server, HEALTHZ)
            sent += HEALTHZ
            per_worker = healthz_per_worker(metrics_dir)
            if len(per_worker) == WORKERS and min(per_worker.values()) >= 1:
                break
            assert sent < 10 * HEALTHZ, per_worker
        scrapes_so_far = 0
        seen = []
        for _ in range(SCRAPES):
            result = scrape(http, server)
            seen.append(requests_to(result, "healthz"))
            # Each scrape is counted when answered, so it sees every earlier one.
            assert requests_to(result, "metrics") == scrapes_so_far
            scrapes_so_far += 1
        assert seen == [sent] * SCRAPES
        # Each worker answered some: no single worker's own count could read the total.
        per_worker = healthz_per_worker(metrics_dir)
        assert sum(per_worker.values()) == sent
        assert len(per_worker) == WORKERS and min(per_worker.values()) >= 1, per_worker

        killed = max(per_worker, key=lambda pid: per_worker[pid])
        os.kill(killed, signal.SIGKILL)
        wait_for_replacement(server, killed)
        for _ in range(SCRAPES):
            result = scrape(http, server)
            seen.append(requests_to(result, "healthz"))
            assert requests_to(result, "metrics") == scrapes_so_far
            scrapes_so_far += 1
        assert seen == [sent] * (2 * SCRAPES)

        healthz_many(server, HEALTHZ)
        for _ in range(3):
            assert requests_to(scrape(http, server), "healthz") == sent + HEALTHZ


@pytest.mark.slow
def test_gunicorn_starts_counting_from_zero(sqlite_database_url, tmp_path):
    # A worker of an earlier run left 1,000 /healthz requests in the directory.
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    earlier_run = (
        "from prometheus_client import Counter\n"
        "Counter('helpline_http_requests', 'HTTP requests answered.',"
        " ['endpoint', 'method', 'status']).labels('healthz', 'GET', '200').inc(1000)\n"
    )
    subprocess.run([sys.executable, "-c", earlier_run], check=True,
                   env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)})
    assert list(metrics_dir.glob("counter_*.db"))

    env = {"DATABASE_URL": sqlite_database_url, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    with gunicorn_server(env, workers=1, probe="/readyz") as server, \
            requests.Session() as http:
        assert http.get(server.base + "/healthz", timeout=10).status_code == 200
        assert requests_to(scrape(http, server), "healthz") == 1
