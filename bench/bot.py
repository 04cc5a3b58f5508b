"""The bot under a crowd: many users pressing buttons at once, through the fake Telegram.

    .venv/bin/python bench/bot.py                         # 200 users, 5 rounds, SQLite
    .venv/bin/python bench/bot.py --db postgres --users 200 --rounds 10

On a fresh database: 20 buildings of 4 sections with 3 sensors each (heartbeats recorded),
and USERS subscribers, each following one section. `manage.py runbot` runs as its own
process, long polling the fake Bot API server on loopback. Each round, every user presses
one button: the status card's Refresh (half of them), the notifications screen, the
building list or the day's chart. Two runs: a burst (every user presses at the same moment,
ROUNDS times: the bot's capacity, and the queue a crowd makes) and a steady crowd (each
user presses, reads the reply, waits THINK seconds on average and presses again). Printed
for each: updates handled per second, time from update to reply (median, p95, max) overall
and per button, the bot's CPU per update; and the bot process's memory (RSS now and at its
peak). Never asserted.
"""

from __future__ import annotations

import argparse
import os
import random
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
    parser.add_argument("--seconds", type=float, default=20, help="length of the steady run")
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between a reply and the next press")
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
            print(f"bot pid {bot.pid}: {args.users} users, {args.db}")
            burst = measure(telegram, bot.pid, users, sections, args.rounds, think=None)
            steady = measure(telegram, bot.pid, users, sections, args.seconds, think=args.think)
            now_kib, peak_kib = rss_kib(bot.pid)
        finally:
            bot.terminate()
            bot.wait(timeout=30)

    report(f"burst: all {args.users} press at the same moment, {args.rounds} times", *burst)
    report(f"steady: each user presses, reads the reply, waits {args.think} s on average, for {args.seconds} s",
           *steady)
    print(f"bot RSS: {now_kib / 1024:.0f} MB now, {peak_kib / 1024:.0f} MB peak")


def press(telegram, user, data: str) -> None:
    telegram.push({"callback_query": {
        "id": f"cq-{user.id}-{time.monotonic_ns()}", "from": user.profile, "chat_instance": str(user.id),
        "data": data, "message": {"message_id": 1, "date": 0, "text": "...",
                                  "chat": {"id": user.id, "type": "private"}},
    }})


def measure(telegram, pid: int, users: list, sections: list[int], amount: float, think: float | None
            ) -> tuple[dict[str, list[float]], float, float]:
    """Burst (think None): `amount` rounds of every user pressing at once. Steady: for
    `amount` seconds, each user presses again `think` s (on average) after its reply."""
    rng = random.Random(5)
    latencies: dict[str, list[float]] = {}
    waiting: dict[int, tuple[str, int, float]] = {}  # user index -> (kind, replies before, pressed at)
    cpu_before, started = cpu_seconds(pid), time.monotonic()
    # A steady crowd arrives spread over one think time, not all at once.
    next_press = [started + rng.uniform(0, 2 * think) if think is not None else 0.0 for _ in users]
    rounds = 0
    while True:
        now = time.monotonic()
        if think is None and not waiting:
            if rounds == amount:
                break
            rounds += 1
            next_press = [now] * len(users)
        stopping = think is not None and now - started >= amount
        if stopping and not waiting:
            break
        for n, user in enumerate(users):
            if n not in waiting and not stopping and next_press[n] <= now and (think is not None or rounds):
                kind = BUTTONS[(n + rounds) % len(BUTTONS)]
                waiting[n] = (kind, len(user.replies()), time.monotonic())
                press(telegram, user, f"x:{sections[n]}:day" if kind == "chart" else kind)
                next_press[n] = float("inf")
        for n, (kind, before, at) in list(waiting.items()):
            replies = users[n].replies()
            if len(replies) > before:
                latencies.setdefault(kind, []).append(replies[before].at - at)
                del waiting[n]
                next_press[n] = (replies[before].at + rng.uniform(0, 2 * think)) if think is not None else float("inf")
        time.sleep(0.002)
    elapsed = time.monotonic() - started
    return latencies, elapsed, cpu_seconds(pid) - cpu_before


def report(title: str, latencies: dict[str, list[float]], elapsed: float, cpu: float) -> None:
    every = [value for values in latencies.values() for value in values]
    print(title)
    print(f"  updates handled: {len(every)} in {elapsed:.1f} s = {len(every) / elapsed:.0f} updates/s")
    print(f"  update to reply: median {statistics.median(every) * 1000:.0f} ms, "
          f"p95 {percentile(every, 0.95) * 1000:.0f} ms, max {max(every) * 1000:.0f} ms")
    for kind, values in sorted(latencies.items()):
        print(f"    {kind:>5}: {len(values):5d} updates, median {statistics.median(values) * 1000:.0f} ms, "
              f"p95 {percentile(values, 0.95) * 1000:.0f} ms")
    print(f"  bot CPU: {cpu / len(every) * 1000:.1f} ms per update ({cpu / elapsed * 100:.0f}% of one core)")

if __name__ == "__main__":
    main()
