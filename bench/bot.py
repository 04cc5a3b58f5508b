"""The bot under a crowd: many users pressing buttons at once, through the fake Telegram.

    .venv/bin/python bench/bot.py                         # 200 users, 5 rounds, SQLite
    .venv/bin/python bench/bot.py --db postgres --users 200 --rounds 10

On a fresh database: 20 buildings of 4 sections with 3 sensors each (heartbeats recorded),
and USERS subscribers, each following one section. `manage.py runbot` runs as its own
process, long polling the fake Bot API server on loopback. Each round, every user presses
one button at the same moment: the status card's Refresh (half of them), the
notifications screen, the building list or the day's chart. Printed: updates handled per
second, time from update to reply (median, p95, max) overall and per button, and the bot
process's memory (RSS now and at its peak). Never asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchlib import POSTGRES_URL, ROOT, postgres_reachable, recreate_postgres_database

sys.path.insert(0, str(ROOT))
BUTTONS = ["st", "st", "st", "st", "st", "n", "n", "b:0", "b:0", "chart"]


def seed(users: int) -> list[int]:
    """Buildings, sensors heard just now, and users following sections; the users' sections."""
    from django.core.management import call_command
    from django.utils import timezone

    from buildings.models import Building, Section
    from notifications.models import Subscriber, Subscription
    from sensors.models import PowerCause, Sensor, uuid_key
    from sensors.power import record_section_states

    call_command("migrate", verbosity=0)
    now = timezone.now()
    for number in range(1, 21):
        Building.objects.create(id=number, name=f"Building {number:02d}", section_count=4)
    sections = list(Section.objects.order_by("pk"))
    Sensor.objects.bulk_create(
        Sensor(uuid=f"s-{section.pk}-{n}", uuid_key=uuid_key(f"s-{section.pk}-{n}"), section=section, last_heartbeat=now, online_since=now,
               offline_after=now + timedelta(minutes=30), online=True)
        for section in sections for n in range(3)
    )
    record_section_states([s.pk for s in sections], now, PowerCause.HEARTBEAT)
    subscribers = Subscriber.objects.bulk_create(
        Subscriber(chat_id=1000 + n, name=f"user {n}", language="uk" if n % 3 else "en") for n in range(users))
    Subscription.objects.bulk_create(Subscription(subscriber=s, section=sections[n % len(sections)])
                                     for n, s in enumerate(subscribers))
    return [sections[n % len(sections)].pk for n in range(users)]


def rss_kib(pid: int) -> tuple[int, int]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="powerbot-bench-bot-"))
    if args.db == "postgres":
        if not postgres_reachable():
            sys.exit("PostgreSQL is not reachable on 127.0.0.1:5432")
        recreate_postgres_database()
        database_url = POSTGRES_URL
    else:
        database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.update({"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "powerbot.settings",
                       "SECRET_KEY": "bench-secret"})
    import django

    django.setup()
    from testsupport.fake_telegram import FakeTelegram

    sections = seed(args.users)
    with FakeTelegram() as telegram:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_URL": telegram.url,
               "LOG_LEVEL": "WARNING"}
        bot = subprocess.Popen([sys.executable, "manage.py", "runbot"], cwd=ROOT, env=env)
        try:
            users = [telegram.user(1000 + n, language_code="uk") for n in range(args.users)]
            users[0].send("/status", timeout=60)  # started and warmed up
            print(f"bot pid {bot.pid}: {args.users} users, {args.rounds} rounds, {args.db}")
            latencies: dict[str, list[float]] = {}
            cpu_before = cpu_seconds(bot.pid)
            started = time.monotonic()
            for _ in range(args.rounds):
                pushed = []
                for n, user in enumerate(users):
                    kind = BUTTONS[n % len(BUTTONS)]
                    data = f"x:{sections[n]}:day" if kind == "chart" else kind
                    before = len(user.replies())
                    at = time.monotonic()
                    telegram.push({"callback_query": {
                        "id": f"cq-{user.id}-{at}", "from": user.profile, "chat_instance": str(user.id),
                        "data": data, "message": {"message_id": 1, "date": 0, "text": "...",
                                                  "chat": {"id": user.id, "type": "private"}},
                    }})
                    pushed.append((user, kind, before, at))
                for user, kind, before, at in pushed:
                    reply = telegram.wait_for(
                        lambda user=user, before=before: user.replies()[before] if len(user.replies()) > before
                        else None, timeout=120)
                    latencies.setdefault(kind, []).append(reply.at - at)
            elapsed = time.monotonic() - started
            cpu = cpu_seconds(bot.pid) - cpu_before
            now_kib, peak_kib = rss_kib(bot.pid)
        finally:
            bot.terminate()
            bot.wait(timeout=30)

    every = [value for values in latencies.values() for value in values]
    print(f"updates handled: {len(every)} in {elapsed:.2f} s = {len(every) / elapsed:.0f} updates/s")
    print(f"update to reply: median {statistics.median(every) * 1000:.0f} ms, "
          f"p95 {percentile(every, 0.95) * 1000:.0f} ms, max {max(every) * 1000:.0f} ms")
    for kind, values in sorted(latencies.items()):
        print(f"  {kind:>5}: {len(values):5d} updates, median {statistics.median(values) * 1000:.0f} ms, "
              f"p95 {percentile(values, 0.95) * 1000:.0f} ms")
    print(f"bot CPU: {cpu / len(every) * 1000:.1f} ms per update ({cpu / elapsed * 100:.0f}% of one core)")
    print(f"bot RSS: {now_kib / 1024:.0f} MB now, {peak_kib / 1024:.0f} MB peak")


if __name__ == "__main__":
    main()
