"""A schedule poll that finds a change for every group, fanned out to many subscribers.

    .venv/bin/python bench/schedules.py                        # 12 groups, 10,000 subscribers, SQLite
    .venv/bin/python bench/schedules.py --db postgres

On a fresh database: GROUPS buildings, one per planned-outage group, SUBSCRIBERS subscribers
spread over them, and the fake Yasno server on loopback with today's schedule of each group,
fetched once (silently: the first data). Then Yasno publishes tomorrow for every group, and
the real poll fetches and records it; each change is announced as the worker's task would
(outbox.announce_schedule_change, kicking the sender after its first batch) and the real
sender delivers through python-telegram-bot to the fake Bot API server. Printed: the poll's
time, the fan-out's, the first notice's delay after the poll began (goal: under 2 s), the
delivery rate, duplicates and losses. Never asserted.
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
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from django.utils import timezone

    from buildings.models import Building, Section
    from notifications import delivery, outbox
    from notifications.models import Message, Subscriber, Subscription
    from powerbot.celery import app
    from schedules import services
    from testsupport.brokers import use_broker
    from testsupport.fake_telegram import FakeTelegram
    from testsupport.fake_yasno import FakeYasno

    use_broker(app, "memory://")  # the announcements are run below, as the worker would
    call_command("migrate", "--noinput", verbosity=0)
    groups = [f"{n // 2 + 1}.{n % 2 + 1}" for n in range(args.groups)]
    for number, group in enumerate(groups, start=1):
        Building.objects.create(id=number, name=f"Bench {group}", section_count=1, schedule_group=group)
    sections = list(Section.objects.order_by("building_id"))
    Subscriber.objects.bulk_create(
        (
            Subscriber(chat_id=10_000_000 + n, name=f"bench {n}", language=("uk", "en")[n % 2])
            for n in range(args.subscribers)
        ),
        batch_size=2000,
    )
    subscribers = list(Subscriber.objects.order_by("pk"))
    Subscription.objects.bulk_create(
        (Subscription(subscriber=s, section=sections[n % len(sections)]) for n, s in enumerate(subscribers)),
        batch_size=2000,
    )

    with FakeYasno() as yasno, FakeTelegram(latency=args.latency) as telegram:
        today = timezone.localdate()
        settings.YASNO_API_URL, settings.YASNO_REGION_ID, settings.YASNO_DSO_ID = yasno.url, yasno.region, yasno.dso
        settings.TELEGRAM_API_URL, settings.TELEGRAM_BOT_TOKEN = telegram.url, telegram.token
        settings.TELEGRAM_RATE_PER_SEC = args.rate
        yasno.today = today
        for group in groups:
            yasno.set_day(group, today, off=[(18 * 60, 22 * 60)])
        services.poll_yasno()  # the first data: recorded silently
        for n, group in enumerate(groups):
            yasno.set_day(group, today + timedelta(days=1), off=[(n * 60, n * 60 + 240)])

        kicked, finished = threading.Event(), threading.Event()

        def sender() -> None:
            while not finished.is_set():
                kicked.wait(0.2)
                kicked.clear()
                delivery.deliver(max_seconds=1 if args.first_only else 600)
            connections.close_all()

        thread = threading.Thread(target=sender)
        thread.start()
        started = time.monotonic()
        report = services.poll_yasno()
        polled = time.monotonic()
        for change in report.news:
            outbox.announce_schedule_change(change.pk, first_batch_queued=kicked.set)
        fanned_out = time.monotonic()
        while Message.objects.filter(state__in=[Message.State.PENDING, Message.State.SENDING]).exists():
            if args.first_only and any(c.params.get("_accepted") for c in list(telegram.calls)):
                break
            time.sleep(0.2)
        finished.set()
        thread.join()
        accepted = [c for c in telegram.calls if c.method == "sendMessage" and c.params.get("_accepted")]

    per_chat = Counter(int(c.params["chat_id"]) for c in accepted)
    duplicates = sum(n - 1 for n in per_chat.values() if n > 1)
    first = min(c.at for c in accepted)
    print(f"  {len(groups)} groups, {args.subscribers:,} subscribers, {len(report.news)} changes found")
    print(
        f"  poll (fetch and record): {polled - started:.3f} s;  fan-out of every change: "
        f"{fanned_out - polled:.2f} s ({Message.objects.count():,} messages queued)"
    )
    print(f"  first notice {first - started:.2f} s after the poll began (goal: under 2 s)")
    if not args.first_only:
        last = max(c.at for c in accepted)
        losses = sum(1 for s in subscribers if s.chat_id not in per_chat)
        rate = (len(accepted) - 1) / (last - first) if last > first else float("inf")
        print(
            f"  delivered {len(accepted):,} at {rate:.1f}/s (limit {args.rate}/s); last {last - started:.1f} s "
            f"after the poll; duplicates {duplicates}, losses {losses}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--groups", type=int, default=12)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=25, help="TELEGRAM_RATE_PER_SEC")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the fake Telegram takes to answer")
    parser.add_argument(
        "--first-only",
        action="store_true",
        help="stop once the first notice is delivered (delivering 10,000 at 25/s takes 7 minutes)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    run_on_fresh_database(__file__, parser.parse_args(), child)


if __name__ == "__main__":
    main()
