"""A real Celery worker polls the fake Yasno when it starts, and the real sender tells each
resident once: a restart repeats nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zoneinfo
from datetime import timedelta

import pytest
from django.utils import timezone

from buildings.models import Section
from conftest import BASE_DIR
from notifications.models import Subscriber, Subscription
from powerbot.models import SourceHealth
from schedules.models import ScheduleDay, Source

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.2)
    return bool(condition())


def test_a_worker_polls_when_it_starts_and_a_restart_repeats_nothing(yasno, telegram, make_building,
                                                                      test_database_url, tmp_path):
    today = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo("Europe/Kyiv")).date()
    make_building(id=10, name="London", sections=1, schedule_group="3.1")
    subscriber = Subscriber.objects.create(chat_id=101, language="en")
    Subscription.objects.create(subscriber=subscriber, section=Section.objects.get(building_id=10))
    yasno.today = today
    yasno.set_day("3.1", today, off=[(0, 60)])
    env = {**os.environ, "DATABASE_URL": test_database_url, "YASNO_ENABLED": "1", "YASNO_API_URL": yasno.url,
           "YASNO_REGION_ID": str(yasno.region), "YASNO_DSO_ID": str(yasno.dso),
           "TELEGRAM_API_URL": telegram.url, "TELEGRAM_BOT_TOKEN": telegram.token, "LOG_LEVEL": "WARNING"}
    broker = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"

    def run_worker(until) -> None:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "powerbot", "-b", broker, "worker", "--queues", "celery,telegram",
             "--concurrency", "2", "--without-heartbeat", "--without-gossip", "--without-mingle"],
            cwd=BASE_DIR, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            assert wait_for(until), worker.stderr.read().decode() if worker.poll() is not None else "not in time"
        finally:
            os.killpg(worker.pid, signal.SIGKILL)  # as a restart that does not wait would (late acks lose nothing)
            worker.wait(timeout=30)

    def polls() -> int:
        return sum(1 for path in yasno.requests if path.endswith("/planned-outages"))

    run_worker(lambda: ScheduleDay.objects.filter(source=Source.YASNO).exists())  # the first data: silent
    yasno.set_day("3.1", today + timedelta(days=1), off=[(8 * 60, 12 * 60)])
    run_worker(lambda: telegram.texts(101))
    [notice] = telegram.texts(101)
    assert notice.startswith(f"📅 Schedule for {today + timedelta(days=1):%d.%m}, group 3.1: off 08:00–12:00")
    before = polls()
    run_worker(lambda: polls() > before and SourceHealth.objects.get().last_success_at is not None)
    time.sleep(1)
    assert telegram.texts(101) == [notice]  # the same data again, after a restart: nothing new
