"""Operators' notification pages: subscribers, the outbox, and broadcasts with preview and progress."""

from __future__ import annotations

import pytest

from buildings.models import Section
from notifications import outbox
from notifications.models import Broadcast, Message, Subscriber, Subscription


@pytest.fixture
def audience(make_building) -> list[Subscriber]:
    make_building(id=10, name="London", sections=2)
    make_building(id=11, name="Paris", sections=1)
    subscribers = []
    for chat_id, building, number in [(1, 10, 1), (2, 10, 2), (3, 11, 1)]:
        subscriber = Subscriber.objects.create(chat_id=chat_id, name=f"chat {chat_id}")
        Subscription.objects.create(
            subscriber=subscriber, section=Section.objects.get(building_id=building, number=number)
        )
        subscribers.append(subscriber)
    Subscriber.objects.create(chat_id=4, name="no broadcasts", broadcasts=False)
    return subscribers


@pytest.mark.django_db(transaction=True)
def test_a_broadcast_is_previewed_then_sent_to_its_audience_once(admin_client, audience, telegram):
    response = admin_client.post(
        "/admin/notifications/broadcast/add/",
        {"text": "Water is off <b>tomorrow</b>", "building": 10, "_continue": "1"},
    )
    broadcast = Broadcast.objects.get()
    page = admin_client.get(f"/admin/notifications/broadcast/{broadcast.pk}/change/").content.decode()
    assert response.status_code == 302 and broadcast.queued_at is None and telegram.sent() == []
    assert "Water is off &lt;b&gt;tomorrow&lt;/b&gt;" in page and "2 subscriber(s): London" in page
    assert 'name="_send"' in page

    admin_client.post(
        f"/admin/notifications/broadcast/{broadcast.pk}/change/", {"text": broadcast.text, "building": 10, "_send": "1"}
    )
    assert sorted(int(p["chat_id"]) for p in telegram.sent()) == [1, 2]
    page = admin_client.get(f"/admin/notifications/broadcast/{broadcast.pk}/change/").content.decode()
    assert "sent 2" in page and 'name="_send"' not in page
    admin_client.post(f"/admin/notifications/broadcast/{broadcast.pk}/change/", {"_send": "1"})
    assert len(telegram.sent()) == 2  # a second "send" queues nothing


@pytest.mark.django_db(transaction=True)
def test_send_now_with_the_broker_down_answers_and_the_sweep_queues_each_message_once(
    admin_client, audience, broker_down
):
    from datetime import timedelta

    broadcast = Broadcast.objects.create(text="Water is off", building_id=10)
    response = admin_client.post(
        f"/admin/notifications/broadcast/{broadcast.pk}/change/", {"text": broadcast.text, "building": 10, "_send": "1"}
    )
    assert response.status_code == 302  # not a 500: the rows are committed, the sweep takes them
    broadcast.refresh_from_db()
    assert broadcast.queued_at is not None and not Message.objects.exists()  # not fanned out in the request
    assert outbox.announce_missed(timedelta(hours=1)) == 1
    assert Message.objects.filter(broadcast=broadcast).count() == 2
    assert outbox.announce_missed(timedelta(hours=1)) == 0 and Message.objects.count() == 2
    Message.objects.update(state=Message.State.FAILED)
    response = admin_client.post(
        "/admin/notifications/message/",
        {"action": "requeue", "_selected_action": list(Message.objects.values_list("pk", flat=True))},
    )
    assert response.status_code == 302 and Message.objects.filter(state=Message.State.PENDING).count() == 2


@pytest.mark.django_db
def test_a_broadcast_fans_out_in_committed_batches(audience, monkeypatch):
    monkeypatch.setattr(outbox, "FANOUT_BATCH", 1)
    broadcast = Broadcast.objects.create(text="Water is off")
    outbox.send_broadcast(broadcast)
    batches: list[int] = []
    assert outbox.queue_broadcast(broadcast.pk, first_batch_queued=lambda: batches.append(Message.objects.count())) == 3
    assert batches == [1]  # the sender may start on the first while the rest are queued
    assert outbox.queue_broadcast(broadcast.pk) == 0  # fanned out: a repeat queues nothing


@pytest.mark.django_db
def test_a_broadcast_to_a_section_or_everyone(audience):
    from notifications.outbox import broadcast_audience

    section = Section.objects.get(building_id=10, number=2)
    assert [s.chat_id for s in broadcast_audience(Broadcast(text="x", section=section))] == [2]
    assert sorted(s.chat_id for s in broadcast_audience(Broadcast(text="x"))) == [1, 2, 3]


@pytest.mark.django_db
def test_subscribers_are_searched_and_deactivated(admin_client, audience):
    listing = admin_client.get("/admin/notifications/subscriber/", {"q": "2"}).content.decode()
    assert "chat 2" in listing and "chat 3" not in listing
    admin_client.post(
        "/admin/notifications/subscriber/", {"action": "deactivate", "_selected_action": [audience[0].pk]}
    )
    audience[0].refresh_from_db()
    assert not audience[0].active and audience[0].deactivated_reason.startswith("deactivated by ")


@pytest.mark.django_db
def test_the_outbox_is_filtered_by_state_and_failed_rows_are_queued_again(admin_client, audience):
    from django.utils import timezone

    failed = Message.objects.create(
        subscriber=audience[0],
        kind=Message.Kind.BROADCAST,
        not_before=timezone.now(),
        state=Message.State.FAILED,
        error="gave up",
    )
    Message.objects.create(
        subscriber=audience[1], kind=Message.Kind.BROADCAST, not_before=timezone.now(), state=Message.State.SENT
    )
    listing = admin_client.get("/admin/notifications/message/", {"state__exact": "failed"})
    assert list(listing.context["cl"].queryset) == [failed]
    admin_client.post("/admin/notifications/message/", {"action": "requeue", "_selected_action": [failed.pk]})
    failed.refresh_from_db()
    assert failed.state == Message.State.PENDING  # no token in tests: it waits in the outbox
    for page in (
        "/admin/notifications/subscription/",
        "/admin/notifications/broadcast/",
        "/admin/notifications/broadcast/add/",
    ):
        assert admin_client.get(page).status_code == 200


def test_only_operators_allowed_to_delete_broadcasts_may_delete_drafts(client, audience, django_user_model):
    from django.contrib.auth.models import Permission

    draft = Broadcast.objects.create(text="Draft")
    editor = django_user_model.objects.create_user("editor", password="x", is_staff=True)
    editor.user_permissions.set(Permission.objects.filter(codename__in=["view_broadcast", "change_broadcast"]))
    client.force_login(editor)
    assert client.get(f"/admin/notifications/broadcast/{draft.pk}/delete/").status_code == 403
    assert client.post(f"/admin/notifications/broadcast/{draft.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Broadcast.objects.filter(pk=draft.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_send_now_to_50000_subscribers_leaves_heartbeats_and_the_detector_writing(
    admin_client, make_building, broker_down, settings
):
    import threading

    from django.db import connection
    from django.test import Client

    from conftest import WRITE_KEY
    from sensors.power import detect_offline

    make_building(id=10, name="London", sections=1)
    # The boards here beat as fast as the loop goes, past HEARTBEAT_RATE once the fan-out takes
    # more than a few seconds: the limit is not what this test is about.
    settings.HEARTBEAT_RATE = None
    Subscriber.objects.bulk_create((Subscriber(chat_id=100_000 + n) for n in range(50_000)), batch_size=5000)
    broadcast = Broadcast.objects.create(text="Water is off on Monday")
    response = admin_client.post(
        f"/admin/notifications/broadcast/{broadcast.pk}/change/", {"text": broadcast.text, "_send": "1"}
    )
    assert response.status_code == 302 and not Message.objects.exists()  # "Send now" answers at once
    fanning_out, seen = threading.Event(), set()
    failures: list[int | Exception] = []

    def heartbeats_and_ticks() -> None:  # a building's boards and the detector, all through the fan-out
        board = Client(raise_request_exception=False)
        try:
            while fanning_out.is_set():
                for number in range(5):
                    response = board.post(
                        "/api/v1/heartbeat",
                        {"api_key": WRITE_KEY, "building_id": 10, "section_id": 1, "sensor_uuid": f"board-{number}"},
                        content_type="application/json",
                    )
                    if response.status_code != 200:
                        failures.append(response.status_code)
                detect_offline()
                seen.add(Message.objects.count())
        except Exception as exc:  # "database is locked" from the detector
            failures.append(exc)
        finally:
            connection.close()

    fanning_out.set()
    writer = threading.Thread(target=heartbeats_and_ticks)
    writer.start()
    try:
        assert outbox.queue_broadcast(broadcast.pk) == 50_000  # the worker's task, in committed batches
    finally:
        fanning_out.clear()
        writer.join(60)
    # The writes landed between the fan-out's batches, not after all of them (a fan-out in one
    # transaction holds SQLite's write lock throughout: they would see none queued, then all).
    between = {queued for queued in seen if 0 < queued < 50_000}
    assert failures == [] and len(between) >= 3, (failures[:3], sorted(seen))
    assert Message.objects.filter(broadcast=broadcast).count() == 50_000
