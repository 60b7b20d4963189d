"""Real Redis and real RQ workers: deterministic jobs, the database sweep, the
scheduler's lock, and exactly-once delivery when a worker is SIGKILLed mid-batch."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select, update

from booking_core.outbox import OutboxMessage, OutboxStatus
from helpline import jobs
from helpline.periodic import PeriodicTask
from helpline.settings import PROJECT_ROOT
from messaging.queueing import QUEUE, sweep_due
from messaging.reconcile import reconcile_stuck
from messaging.scheduler import Scheduler
from tests.fixtures_messaging import RUNS, messaging_app, queue_sms, worker_env

pytestmark = pytest.mark.redis


def _burst(helpline) -> None:
    jobs.activate(helpline)
    try:
        SimpleWorker([helpline.jobs.queue(QUEUE)], connection=helpline.jobs.redis).work(
            burst=True)
    finally:
        jobs.activate(None)


def _statuses(session) -> Counter:
    session.expire_all()
    counts = Counter(session.scalars(select(OutboxMessage.status)))
    session.commit()
    return counts


@pytest.fixture
def redis_app(database_url, redis_url, redis_namespace, fake_twilio):
    app = messaging_app(database_url, fake_twilio, redis_url=redis_url,
                        redis_namespace=redis_namespace, sms_quiet_hours="off")
    yield app
    app.extensions["helpline"].engine.dispose()


def test_commit_queues_one_deterministic_job_that_a_worker_delivers(redis_app, fake_twilio):
    helpline = redis_app.extensions["helpline"]
    with helpline.session() as session:
        row = queue_sms(session)
        queue = helpline.jobs.queue(QUEUE)
        assert queue.job_ids == [f"{helpline.settings.redis_namespace}-outbox-{row.id}-{row.id}-1"]
        assert fake_twilio.requests == []  # not inline: a worker's job
        # The same rows announced again (a retried hook) do not queue a second job.
        helpline.outbox_listeners[0]([row.id])
        assert queue.count == 1
        _burst(helpline)
        # A job run twice (RQ re-runs a job whose worker vanished) sends nothing new.
        helpline.jobs.queue(QUEUE).enqueue("messaging.delivery.deliver_rows", [row.id])
        _burst(helpline)
        assert _statuses(session) == Counter({OutboxStatus.SENT: 1})
    assert len(fake_twilio.created()) == 1


def test_the_sweep_finds_due_rows_in_the_database_after_redis_lost_the_jobs(
    redis_app, fake_twilio
):
    helpline = redis_app.extensions["helpline"]
    with helpline.session() as session:
        for n in range(5):
            queue_sms(session, params={"code": f"10000{n}"})
        helpline.jobs.queue(QUEUE).empty()  # Redis restarted without its data
        helpline.settings.__dict__["outbox_batch_size"] = 2  # frozen dataclass, test only
        jobs.activate(helpline)
        try:
            assert sweep_due() == 3  # ceil(5 / 2) batch jobs
            assert sweep_due() == 0  # already waiting: nothing more queued
        finally:
            jobs.activate(None)
        _burst(helpline)
        assert _statuses(session) == Counter({OutboxStatus.SENT: 5})
    assert len(fake_twilio.created()) == 5


def test_the_sweep_queues_a_batch_for_a_row_whose_job_died_while_others_wait(
    redis_app, fake_twilio
):
    """A worker killed after taking a row's job but before claiming the row leaves the
    row pending; the jobs still waiting name other rows, so they do not stand in for it."""
    helpline = redis_app.extensions["helpline"]
    with helpline.session() as session:
        for n in range(3):
            queue_sms(session, params={"code": f"20000{n}"})
        queue = helpline.jobs.queue(QUEUE)
        assert queue.count == 3
        taken = queue.get_job_ids()[0]
        queue.remove(taken)  # dequeued by a worker that then died
        jobs.activate(helpline)
        try:
            assert sweep_due() == 1  # two row jobs wait, but one batch job is still queued
            assert sweep_due() == 0
        finally:
            jobs.activate(None)
        _burst(helpline)
        assert _statuses(session) == Counter({OutboxStatus.SENT: 3})
    assert len(fake_twilio.created()) == 3


def test_two_schedulers_run_each_task_once_per_interval(redis_app):
    helpline = redis_app.extensions["helpline"]
    task = PeriodicTask("count", "tests.fixtures_messaging:count_run", 60)
    clock = [1_000_000.0]
    first, second = (Scheduler(helpline, [task], clock=lambda: clock[0]) for _ in range(2))
    RUNS.clear()
    assert first.tick() == ["count"]
    assert second.tick() == []
    assert RUNS["count"] == 1
    clock[0] += 61
    assert second.tick() == ["count"] and first.tick() == []
    assert RUNS["count"] == 2


@pytest.mark.postgres
@pytest.mark.slow
def test_a_worker_sigkilled_mid_batch_never_causes_a_double_send(
    pg_database_url, redis_url, redis_namespace, fake_twilio
):
    app = messaging_app(pg_database_url, fake_twilio, redis_url=redis_url,
                        redis_namespace=redis_namespace, sms_quiet_hours="off")
    helpline = app.extensions["helpline"]
    fake_twilio.latency = 0.02
    total = 60
    with helpline.session() as session:
        for n in range(total):
            # A template whose text stays on the row, so bodies map to SIDs below.
            queue_sms(session, phone=f"+9198120{n:05d}", template="grievance_registered",
                      params={"reference": f"6{n:07d}"})
        assert helpline.jobs.queue(QUEUE).count == total
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "helpline.app:create_app", "worker",
             "--burst"], env=worker_env(helpline.settings), cwd=PROJECT_ROOT)
        try:
            deadline = time.monotonic() + 60
            while fake_twilio.create_attempts() < 15 and time.monotonic() < deadline:
                time.sleep(0.005)
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        finally:
            if worker.poll() is None:
                worker.kill()
        killed_after = fake_twilio.create_attempts()
        assert 15 <= killed_after < total
        stranded = session.scalar(select(func.count()).where(
            OutboxMessage.status == OutboxStatus.SENDING))
        session.commit()
        assert stranded > 0  # the kill really hit mid-batch
        # Where the kill lands decides whether the stranded row reached Twilio. Make
        # the other case too, whichever it was: a row whose job a worker took and which
        # it claimed, then died before its request (found at Twilio: no; sent again).
        queue = helpline.jobs.queue(QUEUE)
        claimed = min(session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.status == OutboxStatus.PENDING)))
        queue.remove(f"{helpline.settings.redis_namespace}-outbox-{claimed}-{claimed}-1")
        session.execute(update(OutboxMessage).where(OutboxMessage.id == claimed).values(
            status=OutboxStatus.SENDING, attempts=1))
        session.commit()
        stranded += 1

        # The lease runs out: the stranded rows' claim is moved back past it (rather
        # than reconciling "in the future", which would make a row sent again not due
        # until then). Reconciliation settles them; a new worker finishes the queue
        # (the jobs the dead worker never took are still there).
        session.execute(update(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.SENDING).values(
            updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(
                seconds=helpline.settings.outbox_lease_seconds + 1)))
        session.commit()
        with app.app_context():
            settled = reconcile_stuck()
        assert settled["found"] + settled["resend"] == stranded and settled["resend"] >= 1
        jobs.activate(helpline)
        try:
            sweep_due()
        finally:
            jobs.activate(None)
        _burst(helpline)
        assert _statuses(session) == Counter({OutboxStatus.SENT: total})
        sids = dict(session.execute(select(OutboxMessage.body, OutboxMessage.twilio_sid)).all())
        session.commit()
    created = fake_twilio.created()
    per_body = Counter(m.params["Body"] for m in created)
    assert len(created) == total and set(per_body.values()) == {1}
    assert {m.params["Body"]: m.sid for m in created} == sids
    helpline.engine.dispose()
