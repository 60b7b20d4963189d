"""The benchmark's CPU-by-route wrapper (bench/route_cpu.py) counts what it claims."""

from __future__ import annotations

import json
import time
from pathlib import Path

from bench.route_cpu import FLUSH_ROUTE, RouteCpu, read_route_cpu, route_of


def test_state_tokens_are_not_routes() -> None:
    assert route_of("/ivr/book/day") == "/ivr/book/day"
    assert route_of("/ivr/s/" + "A" * 40 + "/next") == "/ivr/s/<token>/next"


def test_each_route_gets_its_own_requests_and_cpu(tmp_path: Path) -> None:
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        if environ["PATH_INFO"] == "/busy":
            until = time.thread_time() + 0.02
            while time.thread_time() < until:
                pass
        start_response("200 OK", [])
        return [b"ok"]

    wrapped = RouteCpu(app, tmp_path / "1.json")
    for path in ["/busy", "/idle", "/busy", FLUSH_ROUTE]:
        assert list(wrapped({"PATH_INFO": path}, lambda *a: None)) == [b"ok"]
    wrapped.write()
    (tmp_path / "2.json").write_text(json.dumps({"/idle": [3, 0.001]}))
    totals = read_route_cpu(tmp_path)
    assert FLUSH_ROUTE not in totals
    assert totals["/busy"][0] == 2 and totals["/busy"][1] >= 0.04
    assert totals["/idle"][0] == 4 and totals["/idle"][1] < 0.02
