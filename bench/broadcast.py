"""Delivery of one power change to many subscribers, against the fake Telegram server.

    .venv/bin/python bench/broadcast.py                        # 10,000 subscribers, SQLite
    .venv/bin/python bench/broadcast.py --db postgres --rate 25 --subscribers 2000

On a fresh database: SUBSCRIBERS subscribers of one section, whose sensor falls silent.
The detector records the outage, the event is fanned out and the real sender delivers it
through python-telegram-bot to the fake Bot API server on loopback, which refuses a share
of the calls with 429 (retry_after 1 s). Printed: messages/s against the configured
TELEGRAM_RATE_PER_SEC (also net of the waits Telegram imposed), duplicates, losses,
the time from the event to the first and to the last delivery. Never asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

from benchlib import ROOT, run_on_fresh_database


def child(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerbot.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections
    from django.utils import timezone

    from buildings.models import Building, Section
    from notifications import delivery, outbox
    from notifications.models import Message, Subscriber, Subscription
    from sensors.models import DetectorClock, PowerCause, Sensor
    from sensors.power import detect_offline, record_section_states
    from testsupport.fake_telegram import FakeTelegram

    call_command("migrate", "--noinput", verbosity=0)
    Building.objects.create(id=1, name="Bench House", section_count=1)
    section = Section.objects.get(building_id=1, number=1)
    now = timezone.now()
    sensor = Sensor.objects.create(
        uuid="bench",
        section=section,
        online=True,
        online_since=now - timedelta(hours=2),
        last_heartbeat=now - timedelta(seconds=149),
        offline_after=now + timedelta(seconds=1),
    )
    record_section_states([section.pk], now, PowerCause.HEARTBEAT)  # up: its first state
    Sensor.objects.filter(pk=sensor.pk).update(offline_after=now - timedelta(seconds=1))  # and now silent
    DetectorClock.objects.create(pk=1, last_tick_at=now - timedelta(seconds=5))
    Subscriber.objects.bulk_create(
        (Subscriber(chat_id=10_000_000 + n, name=f"bench {n}", language="uk") for n in range(args.subscribers)),
        batch_size=2000,
    )
    subscribers = list(Subscriber.objects.all())
    Subscription.objects.bulk_create(
        (Subscription(subscriber=s, section=section) for s in subscribers), batch_size=2000
    )

    with FakeTelegram(random_429=args.random_429, random_retry_after=1, latency=args.latency) as telegram:
        from django.conf import settings

        settings.TELEGRAM_API_URL, settings.TELEGRAM_BOT_TOKEN = telegram.url, telegram.token
        settings.TELEGRAM_RATE_PER_SEC = args.rate
        # The sender is a worker of its own, as in production: here a thread that starts
        # a delivery whenever it is told to (the announcement's kick) or finds work.
        kicked = threading.Event()
        finished = threading.Event()

        def sender() -> None:
            while not finished.is_set():
                kicked.wait(0.5)
                kicked.clear()
                delivery.deliver(max_seconds=600)
            connections.close_all()

        thread = threading.Thread(target=sender)
        thread.start()
        started = time.monotonic()
        [event] = detect_offline().events  # the sensor falls silent: power off
        outbox.announce(event.pk, first_batch_queued=kicked.set)
        announced = time.monotonic()
        while Message.objects.filter(state__in=[Message.State.PENDING, Message.State.SENDING]).exists():
            time.sleep(0.5)
        finished.set()
        thread.join()
        done = time.monotonic()
        accepted = [c for c in telegram.calls if c.method == "sendMessage" and c.params.get("_accepted")]
        refused = [c for c in telegram.calls if c.method == "sendMessage" and not c.params.get("_accepted")]

    per_chat = Counter(int(c.params["chat_id"]) for c in accepted)
    duplicates = sum(n - 1 for n in per_chat.values() if n > 1)
    losses = sum(1 for s in subscribers if s.chat_id not in per_chat)
    first, last = min(c.at for c in accepted), max(c.at for c in accepted)
    span = last - first
    waited = len(refused) * 1.0  # each refusal paused the whole sender for retry_after = 1 s
    rate = (len(accepted) - 1) / span if span else float("inf")
    net = (len(accepted) - 1) / max(span - waited, 1e-9)
    states = Counter(Message.objects.values_list("state", flat=True))
    print(f"  {args.subscribers:,} subscribers, configured {args.rate}/s, {len(refused)} calls refused with 429")
    print(
        f"  fan-out of the event: {announced - started:.2f} s;  first message {first - started:.2f} s after "
        f"the detector tick;  last {last - started:.1f} s after it"
    )
    print(
        f"  delivered {len(accepted):,} at {rate:.1f}/s = {100 * rate / args.rate:.1f}% of the limit "
        f"({net:.1f}/s = {100 * net / args.rate:.1f}% net of the {waited:.0f} s Telegram made it wait)"
    )
    print(f"  duplicates {duplicates}  losses {losses}  outbox {dict(states)}  total {done - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=25, help="TELEGRAM_RATE_PER_SEC")
    parser.add_argument("--random-429", type=float, default=0.002, help="share of calls refused with 429")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the fake Telegram takes to answer")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    run_on_fresh_database(__file__, parser.parse_args(), child)


if __name__ == "__main__":
    main()
