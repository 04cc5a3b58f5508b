"""The outbox is pruned past OUTBOX_RETENTION_DAYS, and what the rules need is kept apart:
a subscriber is still never told the same state twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import subscribe
from notifications import outbox
from notifications.delivery import deliver
from notifications.models import Message
from sensors.models import PowerState
from sensors.power import set_section_state

pytestmark = pytest.mark.django_db(transaction=True)


def test_old_messages_go_and_the_last_state_told_is_still_known(make_building, telegram, settings):
    make_building(id=10, sections=1)
    subscriber = subscribe(101, (10, 1), language="en")
    section = subscriber.subscriptions.get().section
    set_section_state(section, PowerState.DOWN, "test", "alice")
    deliver()
    assert telegram.texts(101)[-1].startswith("🔌 Power is off")
    told = len(telegram.texts(101))
    done = Message.objects.count()
    queued = Message.objects.create(subscriber=subscriber, kind=Message.Kind.BROADCAST, not_before=timezone.now())
    later = timezone.now() + timedelta(days=settings.OUTBOX_RETENTION_DAYS, seconds=1)
    assert outbox.prune(later) == done  # what was sent; the queued one stays
    assert list(Message.objects.values_list("pk", flat=True)) == [queued.pk]
    queued.delete()
    set_section_state(section, PowerState.UNKNOWN, "test", "alice")
    set_section_state(section, PowerState.DOWN, "test", "alice")  # off again: nothing new to this resident
    deliver()
    assert len(telegram.texts(101)) == told
    assert Message.objects.get().error == "nothing new since the last message"
