"""Operators hear of trouble in Telegram through the real sender and the fake Bot API: once
per occurrence, never while it persists, again when it comes back; residents never do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from buildings.models import Section
from conftest import subscribe
from notifications.delivery import deliver
from notifications.models import Message, Subscriber
from ops.alerts import check
from ops.models import OperatorAlert
from ops.tasks import check_operator_alerts
from powerbot.models import SourceHealth
from sensors.models import MassSilence, PowerState, SectionPower
from sensors.power import detect_offline, release_mass_silence

pytestmark = pytest.mark.django_db(transaction=True)  # the sender works on connections of its own

OPERATOR, RESIDENT = 7, 501


@pytest.fixture
def told(telegram, settings, make_building):
    """Operator 7, resident 501 (subscribed to London 1); returns what each has been sent."""
    settings.ADMIN_TELEGRAM_IDS = frozenset({OPERATOR})
    settings.SITE_URL = "https://power.example.org"
    make_building(id=10, name="London", sections=2)
    subscribe(RESIDENT, (10, 1))
    Subscriber.objects.create(chat_id=OPERATOR, language="en")

    def texts(chat_id: int = OPERATOR) -> list[str]:
        check()
        deliver()
        return telegram.texts(chat_id)

    return texts


def test_a_mass_silence_is_told_once_when_it_opens_and_once_when_it_ends(told):
    silence = MassSilence.objects.create(started_at=timezone.now(), silent_sensors=40, active_sensors=50, buildings=6)
    assert len(told()) == 1 and "Mass silence since" in told()[0]
    assert "40 of 50 sensors in 6 buildings" in told()[0] and "https://power.example.org/admin/" in told()[0]
    assert len(told()) == 1  # while it persists: nothing more
    release_mass_silence(silence, timezone.now(), by="admin")
    assert len(told()) == 2 and "mass silence is over" in told()[1]
    assert told(RESIDENT) == []


def test_a_silent_board_is_told_once_cleared_and_told_again_when_it_recurs(told, make_sensor, settings):
    now = timezone.now()
    make_sensor("lobby", section=1, last_heartbeat=now)
    cellar = make_sensor("cellar", section=1, last_heartbeat=now - timedelta(hours=7))
    SectionPower.objects.create(section=Section.objects.get(building_id=10, number=1), state=PowerState.UP, since=now)
    assert len(told()) == 1 and "Sensor cellar" in told()[0] and "silent for 6 h" in told()[0]
    assert len(told()) == 1
    cellar.last_heartbeat, cellar.online = timezone.now(), True  # it came back
    cellar.save()
    assert len(told()) == 1
    assert OperatorAlert.objects.get().closed_at is not None
    cellar.last_heartbeat, cellar.online = now - timedelta(hours=8), False  # and went quiet again
    cellar.save()
    assert len(told()) == 2 and "Sensor cellar" in told()[1]
    assert told(RESIDENT) == []


def test_a_stuck_sender_a_late_detector_and_a_stale_source_are_each_told_once(told, time_machine):
    resident = Subscriber.objects.get(chat_id=RESIDENT)
    detect_offline()
    SourceHealth.objects.create(source="yasno", failures=3, last_error="HTTP 503", last_success_at=None)
    time_machine.move_to(timezone.now() + timedelta(minutes=10), tick=False)
    Message.objects.create(
        subscriber=resident, kind=Message.Kind.BROADCAST, text="x", not_before=timezone.now() - timedelta(minutes=6)
    )
    check()  # the sender has not run: the resident's message waits
    operator_texts = [m.text for m in Message.objects.filter(kind=Message.Kind.OPERATOR)]
    assert len(operator_texts) == 3
    assert any("1 message has waited over 5 minutes" in text for text in operator_texts)
    assert any("offline detector last ran 10 minutes ago" in text for text in operator_texts)
    assert any("yasno has not answered well" in text and "HTTP 503" in text for text in operator_texts)
    check()
    assert Message.objects.filter(kind=Message.Kind.OPERATOR).count() == 3


def test_operator_alerts_are_not_held_by_the_notification_pause(told, admin_client):
    admin_client.post("/admin/notifications/notificationpause/add/", {"reason": "works"}, follow=True)
    MassSilence.objects.create(started_at=timezone.now(), silent_sensors=40, active_sensors=50, buildings=6)
    assert len(told()) == 1


def test_two_workers_checking_at_once_tell_it_once(told, at_once):
    MassSilence.objects.create(started_at=timezone.now(), silent_sensors=40, active_sensors=50, buildings=6)
    at_once(check_operator_alerts, 2)
    assert Message.objects.filter(kind=Message.Kind.OPERATOR).count() == 1
    assert OperatorAlert.objects.filter(closed_at__isnull=True).count() == 1


def test_nothing_is_checked_without_operators(told, settings):
    settings.ADMIN_TELEGRAM_IDS = frozenset()
    MassSilence.objects.create(started_at=timezone.now(), silent_sensors=40, active_sensors=50, buildings=6)
    assert check() == 0 and not OperatorAlert.objects.exists()


def test_no_board_is_called_silent_while_a_mass_silence_is_held_or_when_nothing_else_in_its_section_is_heard(
    told, make_sensor
):
    now = timezone.now()
    section = Section.objects.get(building_id=10, number=1)
    SectionPower.objects.create(section=section, state=PowerState.UP, since=now)
    make_sensor("cellar", section=1, last_heartbeat=now - timedelta(hours=7))  # alone: its section is up by an operator
    assert told() == []
    make_sensor("lobby", section=1, last_heartbeat=now)
    MassSilence.objects.create(started_at=now - timedelta(hours=7), silent_sensors=40, active_sensors=50, buildings=6)
    assert len(told()) == 1 and "Mass silence" in told()[0]  # one message, not one per sensor


def test_a_new_mass_silence_right_after_the_last_is_told_again(told):
    first = MassSilence.objects.create(started_at=timezone.now(), silent_sensors=40, active_sensors=50, buildings=6)
    check()
    release_mass_silence(first, timezone.now(), by="admin")
    MassSilence.objects.create(started_at=timezone.now(), silent_sensors=30, active_sensors=50, buildings=4)
    texts = told()
    assert len(texts) == 3 and "mass silence is over" in texts[1] and "30 of 50 sensors" in texts[2]


def test_a_source_is_stale_after_a_few_failures_not_one(told):
    health = SourceHealth.objects.create(
        source="yasno", failures=1, last_error="HTTP 503", last_success_at=timezone.now() - timedelta(hours=1)
    )
    assert told() == []
    SourceHealth.objects.filter(pk=health.pk).update(failures=3)
    assert len(told()) == 1 and "yasno has not answered well" in told()[0]


def test_operator_alerts_go_ahead_of_a_residents_backlog(told):
    resident = Subscriber.objects.get(chat_id=RESIDENT)
    Message.objects.bulk_create(
        Message(subscriber=resident, kind=Message.Kind.BROADCAST, topic=f"b{n}", text="x", not_before=timezone.now())
        for n in range(3)
    )
    MassSilence.objects.create(started_at=timezone.now(), silent_sensors=40, active_sensors=50, buildings=6)
    check()
    assert Message.objects.get(kind=Message.Kind.OPERATOR).urgent
