"""A real Celery worker polls the fake Yasno when it starts, and the real sender tells each
resident once: a restart repeats nothing."""

from __future__ import annotations

import time
import zoneinfo
from datetime import timedelta

import pytest
from django.utils import timezone

from buildings.models import Section
from notifications.models import Subscriber, Subscription
from powerbot.models import SourceHealth
from schedules.models import ScheduleDay, Source

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_polls_when_it_starts_and_a_restart_repeats_nothing(yasno, telegram, make_building, worker_until):
    today = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo("Europe/Kyiv")).date()
    make_building(id=10, name="London", sections=1, schedule_group="3.1")
    subscriber = Subscriber.objects.create(chat_id=101, language="en")
    Subscription.objects.create(subscriber=subscriber, section=Section.objects.get(building_id=10))
    yasno.today = today
    yasno.set_day("3.1", today, off=[(0, 60)])

    def run_worker(until) -> None:
        worker_until(
            until,
            YASNO_ENABLED="1",
            YASNO_API_URL=yasno.url,
            YASNO_REGION_ID=str(yasno.region),
            YASNO_DSO_ID=str(yasno.dso),
        )

    def polls() -> int:
        return sum(1 for path in yasno.requests if path.endswith("/planned-outages"))

    run_worker(lambda: ScheduleDay.objects.filter(source=Source.YASNO).exists())  # the first data: silent
    yasno.set_day("3.1", today + timedelta(days=1), off=[(8 * 60, 12 * 60)])
    run_worker(lambda: telegram.texts(101))
    [notice] = telegram.texts(101)
    assert notice.startswith(f"📅 Schedule for {today + timedelta(days=1):%d.%m}, group 3.1: off 08:00–12:00")
    before = polls()
    run_worker(lambda: polls() > before and SourceHealth.objects.get(source="yasno").last_success_at is not None)
    time.sleep(1)
    assert telegram.texts(101) == [notice]  # the same data again, after a restart: nothing new
