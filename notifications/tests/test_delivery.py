"""Power changes reach every subscriber once, through the real sender and a fake Telegram."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from buildings.models import Section
from notifications import outbox
from notifications.delivery import deliver
from notifications.models import Announcement, Message, Subscriber, Subscription
from notifications.services import pause_notifications
from sensors.power import detect_offline

# The sender's database calls run on a thread of their own: they must see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 150


@pytest.fixture
def london(make_building) -> Section:
    make_building(id=10, name="London", sections=2)
    return Section.objects.get(building_id=10, number=2)


@pytest.fixture
def subscribe(london):
    def make(chat_id: int, section: Section = london, **fields) -> Subscriber:
        subscriber = Subscriber.objects.create(chat_id=chat_id, name=f"chat {chat_id}", **fields)
        Subscription.objects.create(subscriber=subscriber, section=section)
        return subscriber

    return make


@pytest.fixture
def outage(beat, elapse):
    """Section 2 of London had power for two minutes; then its only sensor falls silent."""

    def run() -> None:
        detect_offline()
        for _ in range(12):
            beat(section=2)
            elapse(10)
        beat(section=2)
        elapse(TIMEOUT + 10)

    return run


@pytest.fixture
def while_unreachable(settings, time_machine):
    """Run `changes` while Telegram is out of reach (messages queue), then let the clock
    run again and bring Telegram back: the test calls deliver() itself."""

    def run(changes, token: str) -> None:
        settings.TELEGRAM_BOT_TOKEN = ""
        changes()
        time_machine.move_to(timezone.now(), tick=True)
        settings.TELEGRAM_BOT_TOKEN = token

    return run


def test_an_outage_reaches_each_subscriber_once(telegram, subscribe, outage, settings):
    for chat_id in (101, 102, 103):
        subscribe(chat_id, language="en")
    Subscriber.objects.filter(chat_id=103).update(language="uk")
    outage()  # the detector fires; the event is announced and delivered on commit
    for chat_id in (101, 102):
        [text] = telegram.texts(chat_id)
        assert text.startswith("🔌 Power is off in Section 2 of London since ")
        assert text.endswith("It had been on for 2 minutes.")
    [ukrainian] = telegram.texts(103)
    assert ukrainian.startswith("🔌 Світло зникло: Секція 2, London, о ")
    assert set(Message.objects.values_list("state", flat=True)) == {Message.State.SENT}
    assert deliver().sent == 0 and len(telegram.sent()) == 3  # nothing is sent twice


def test_power_back_names_how_long_it_was_off(telegram, subscribe, outage, beat, elapse):
    subscribe(101, language="en")
    outage()
    elapse(3 * 3600 + 12 * 60 - TIMEOUT - 10)  # silent for 3 h 12 min since the last heartbeat
    beat(section=2)
    assert telegram.texts(101)[-1].startswith("💡 Power is back in Section 2 of London after 3 hours 12 minutes (at ")


def test_announcing_twice_queues_nothing_more(subscribe, outage):
    subscribe(101)
    outage()
    event = Announcement.objects.latest("at").event
    assert outbox.announce(event.pk) == 0
    Announcement.objects.all().delete()  # as if the first announcement's record were lost
    outbox.announce(event.pk)
    assert Message.objects.count() == 1


def test_a_first_state_and_a_held_one_tell_nobody(subscribe, beat, london):
    from sensors.models import PowerCause, PowerEvent, PowerState

    subscribe(101)
    detect_offline()
    beat(section=2)  # the section's first state
    PowerEvent.objects.create(
        section=london, sequence=2, state=PowerState.UNKNOWN, at=timezone.now(), cause=PowerCause.GUARD
    )  # as the mass-silence guard records it
    assert outbox.announce_missed(timedelta(hours=1)) == 0
    assert not Announcement.objects.exists() and not Message.objects.exists()


def test_while_paused_nobody_is_told(telegram, subscribe, outage):
    subscribe(101)
    pause_notifications("storm night", by="alice")
    outage()
    assert Announcement.objects.latest("at").paused and telegram.sent() == []


def test_with_429s_nothing_is_lost_or_doubled(telegram, subscribe, outage, while_unreachable):
    chats = list(range(201, 211))
    for chat_id in chats:
        subscribe(chat_id)
    telegram.refuse_next(3, retry_after=1)
    while_unreachable(outage, telegram.token)
    deliver()
    assert sorted(int(p["chat_id"]) for p in telegram.sent()) == chats
    assert Message.objects.filter(state=Message.State.SENT).count() == len(chats)
    assert sum(Message.objects.values_list("attempts", flat=True)) == len(chats) + 3
    refused = [c.at for c in telegram.calls if c.method == "sendMessage" and not c.params.get("_accepted")]
    after = [
        c.at for c in telegram.calls if c.method == "sendMessage" and c.params.get("_accepted") and c.at > refused[0]
    ]
    assert min(after) - refused[0] >= 0.9  # the whole sender waited retry_after


@pytest.mark.parametrize(("gone", "reason"), [("block", "bot was blocked"), ("forget_chat", "chat not found")])
def test_a_chat_that_is_gone_deactivates_its_subscriber(telegram, subscribe, outage, gone, reason):
    subscribe(101)
    subscribe(102)
    getattr(telegram, gone)(102)
    outage()
    assert telegram.texts(101) and not telegram.texts(102)
    subscriber = Subscriber.objects.get(chat_id=102)
    assert not subscriber.active and reason in subscriber.deactivated_reason.lower()
    failed = Message.objects.get(subscriber=subscriber)
    assert failed.state == Message.State.FAILED and reason in failed.error.lower()


def test_network_errors_are_retried_with_backoff_then_failed(
    subscribe, outage, settings, time_machine, while_unreachable
):
    settings.TELEGRAM_API_URL = "http://127.0.0.1:9"  # nothing listens there
    subscribe(101)
    while_unreachable(outage, "123:TOKEN")
    deliver()  # the first attempt, and the second 2 s later; the third is 4 s away
    message = Message.objects.get()
    assert (message.state, message.attempts) == (Message.State.PENDING, 2) and "ConnectError" in message.error
    assert message.not_before > timezone.now()
    for _ in range(3):
        time_machine.shift(timedelta(minutes=10))
        deliver()
    message.refresh_from_db()
    assert message.state == Message.State.FAILED and message.error.startswith("gave up after 5 attempts")


def test_a_message_not_yet_out_gives_way_to_the_current_truth(telegram, subscribe, outage, beat, while_unreachable):
    told_up = subscribe(101, language="en")

    def off_and_back() -> None:
        outage()
        beat(section=2)  # power back before anyone was told it was off

    while_unreachable(off_and_back, telegram.token)
    deliver()
    [text] = telegram.texts(101)
    assert text.startswith("💡 Power is back in Section 2 of London after")
    states = dict(Message.objects.filter(subscriber=told_up).values_list("event__state", "state"))
    assert states == {"down": Message.State.SKIPPED, "up": Message.State.SENT}


def test_nothing_is_said_when_the_truth_is_what_was_last_told(
    telegram, subscribe, outage, beat, elapse, while_unreachable
):
    subscribe(101)
    outage()  # told: off
    beat(section=2)  # told: on

    def off_and_back() -> None:
        elapse(TIMEOUT + 10)
        beat(section=2)

    while_unreachable(off_and_back, telegram.token)
    deliver()
    assert len(telegram.texts(101)) == 2  # the two queued changes cancel out: nothing to say
    skipped = Message.objects.filter(state=Message.State.SKIPPED).order_by("id").values_list("error", flat=True)
    assert list(skipped) == ["superseded by a newer change", "nothing new since the last message"]


class TestQuietHours:
    @pytest.fixture
    def at_night(self, time_machine):
        night = datetime(2026, 11, 23, 23, 30, tzinfo=timezone.get_current_timezone())
        time_machine.move_to(night, tick=True)
        return night

    def test_messages_in_quiet_hours_go_silently_by_default(self, at_night, telegram, subscribe, outage):
        subscribe(101, quiet_start=time(22), quiet_end=time(7))
        subscribe(102)
        outage()
        assert telegram.sent(101)[0]["disable_notification"] == "true"
        assert telegram.sent(102)[0].get("disable_notification", "false") == "false"

    def test_messages_are_held_until_quiet_hours_end_if_chosen(
        self, at_night, telegram, subscribe, outage, time_machine
    ):
        subscribe(101, quiet_start=time(22), quiet_end=time(7), hold_in_quiet_hours=True)
        outage()  # at 23:32
        message = Message.objects.get()
        assert telegram.sent() == [] and timezone.localtime(message.not_before).time() == time(7)
        time_machine.move_to(message.not_before + timedelta(seconds=1), tick=True)
        deliver()
        assert len(telegram.sent(101)) == 1


def test_a_claimed_row_deleted_before_its_send_is_passed_over(subscribe, outage):
    subscribe(101)
    subscribe(102)
    outage()
    claimed = [message_id for message_id, _ in outbox.claim(10)]
    assert len(claimed) == 2
    Subscriber.objects.filter(chat_id=101).delete()  # an operator removed the chat meanwhile
    gone = next(pk for pk in claimed if not Message.objects.filter(pk=pk).exists())
    assert outbox.prepare(gone) is None
    assert outbox.retry_with_backoff(gone, "timed out") is False
    kept = next(pk for pk in claimed if pk != gone)
    outgoing = outbox.prepare(kept)
    assert outgoing is not None and outgoing.chat_id == 102


@pytest.mark.django_db(transaction=True)
def test_a_message_queued_again_after_giving_up_gets_its_tries_afresh(telegram, time_travel):
    from notifications.models import Broadcast

    Subscriber.objects.create(chat_id=77)
    broadcast = Broadcast.objects.create(text="hello")
    outbox.send_broadcast(broadcast)
    outbox.queue_broadcast(broadcast.pk)
    for _ in range(outbox.MAX_ATTEMPTS + 1):
        telegram.refuse_next(1, status=502, description="Bad Gateway")
        deliver(max_seconds=1)
        time_travel(seconds=400)  # past the backoff
        if Message.objects.get().state == Message.State.FAILED:
            break
    assert Message.objects.get().state == Message.State.FAILED  # gave up
    outbox.requeue(Message.objects.all())  # the operator's "Queue failed messages again"
    telegram.refuse_next(1, status=502, description="Bad Gateway")  # Telegram is still flaky
    deliver(max_seconds=1)
    assert Message.objects.get().state == Message.State.PENDING  # backing off again, not failed at once
    time_travel(seconds=400)
    deliver(max_seconds=1)
    assert Message.objects.get().state == Message.State.SENT and len(telegram.sent(77)) == 1
