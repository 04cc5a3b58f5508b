"""The bot under a crowd: many users pressing buttons at once, through the fake Telegram.

    .venv/bin/python bench/bot.py                         # 200 users, 5 rounds, SQLite, long polling
    .venv/bin/python bench/bot.py --db postgres --webhook 2 --think 4
    .venv/bin/python bench/bot.py --webhook 2 --overlap 10000 --rate 100

On a fresh database: 20 buildings of 4 sections with 3 sensors each (heartbeats recorded),
and USERS subscribers, each following one section. `manage.py runbot` runs as its own
process, long polling the fake Bot API server on loopback; with `--webhook N`, N of them
run in webhook mode behind a round-robin balancer (testsupport.balancer), as behind the
proxy. Each round, every user presses one button: the status card's Refresh (half of
them), the notifications screen, the building list or the day's chart. Two runs: a burst
(every user presses at the same moment, ROUNDS times: the bot's capacity, and the queue a
crowd makes) and a steady crowd (each user presses, reads the reply, waits THINK seconds on
average and presses again). Printed for each: updates handled per second, time from update
to reply (median, p95, max) overall and per button, the bots' CPU per update; and each bot
process's memory (RSS now and at its peak).

`--overlap SUBSCRIBERS` then tells an outage to SUBSCRIBERS more chats through the real
sender (a process of its own) while every user asks /status at once, 3 s in, with
TELEGRAM_RATE_PER_SEC=RATE for all of them: new messages per clock second and per sliding
second against that cap, each notice and reply delivered once, and how soon the crowd was
answered. `--redis URL` keeps the shared budget in Redis. Never asserted.
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
from collections import Counter
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

from benchlib import POSTGRES_URL, ROOT, free_port, postgres_reachable, recreate_postgres_database

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
        Sensor(
            uuid=f"s-{section.pk}-{n}",
            uuid_key=uuid_key(f"s-{section.pk}-{n}"),
            section=section,
            last_heartbeat=now,
            online_since=now,
            offline_after=now + timedelta(minutes=30),
            online=True,
        )
        for section in sections
        for n in range(3)
    )
    record_section_states([s.pk for s in sections], now, PowerCause.HEARTBEAT)
    subscribers = Subscriber.objects.bulk_create(
        Subscriber(chat_id=1000 + n, name=f"user {n}", language="uk" if n % 3 else "en") for n in range(users)
    )
    Subscription.objects.bulk_create(
        Subscription(subscriber=s, section=sections[n % len(sections)]) for n, s in enumerate(subscribers)
    )
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
    parser.add_argument(
        "--webhook",
        type=int,
        default=0,
        metavar="N",
        help="N bot processes in webhook mode behind a balancer (0: one, long polling)",
    )
    parser.add_argument("--redis", default="", metavar="URL", help="REDIS_URL for the bot and the sender (the budget)")
    parser.add_argument(
        "--overlap",
        type=int,
        default=0,
        metavar="SUBSCRIBERS",
        help="also: an outage told to SUBSCRIBERS while every user asks /status at once",
    )
    parser.add_argument("--rate", type=int, default=25, help="TELEGRAM_RATE_PER_SEC for the overlap run")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="powerbot-bench-bot-"))
    if args.db == "postgres":
        if not postgres_reachable():
            sys.exit("PostgreSQL is not reachable on 127.0.0.1:5432")
        recreate_postgres_database()
        database_url = POSTGRES_URL
    else:
        database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "powerbot.settings",
            "SECRET_KEY": "bench-secret",
            "REDIS_URL": args.redis,
            "TELEGRAM_RATE_PER_SEC": str(args.rate),
        }
    )
    import django

    django.setup()
    from testsupport.fake_telegram import FakeTelegram

    sections = seed(args.users)
    with FakeTelegram() as telegram, ExitStack() as stack:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_API_URL": telegram.url,
            "LOG_LEVEL": "WARNING",
        }
        bots = start_bots(stack, env, args.webhook, telegram)
        users = [telegram.user(1000 + n, language_code="uk") for n in range(args.users)]
        users[0].send("/status", timeout=60)  # started and warmed up
        mode = f"{args.webhook} webhook processes" if args.webhook else "long polling"
        print(
            f"bot pids {[bot.pid for bot in bots]} ({mode}): {args.users} users, {args.db}, "
            f"budget in {'Redis' if args.redis else 'the database'}"
        )
        burst = measure(telegram, bots, users, sections, args.rounds, think=None)
        steady = measure(telegram, bots, users, sections, args.seconds, think=args.think)
        memory = [rss_kib(bot.pid) for bot in bots]
        report(f"burst: all {args.users} press at the same moment, {args.rounds} times", *burst)
        report(
            f"steady: each user presses, reads the reply, waits {args.think} s on average, for {args.seconds} s",
            *steady,
        )
        for bot, (now_kib, peak_kib) in zip(bots, memory, strict=True):
            print(f"bot {bot.pid} RSS: {now_kib / 1024:.0f} MB now, {peak_kib / 1024:.0f} MB peak")
        if args.overlap:
            overlap(telegram, env, users, sections[0], args.overlap, args.rate)


def start_bots(stack: ExitStack, env: dict[str, str], webhooks: int, telegram) -> list[subprocess.Popen]:
    """One bot by long polling, or WEBHOOKS of them in webhook mode behind a round-robin balancer."""
    from testsupport.balancer import Balancer

    def started(extra: dict[str, str]) -> subprocess.Popen:
        bot = subprocess.Popen([sys.executable, "manage.py", "runbot"], cwd=ROOT, env={**env, **extra})
        stack.callback(lambda: (bot.terminate(), bot.wait(timeout=30)))
        return bot

    if not webhooks:
        return [started({})]
    ports = [free_port() for _ in range(webhooks)]
    balancer = stack.enter_context(Balancer(ports))
    url = f"http://127.0.0.1:{balancer.port}/telegram/webhook"
    bots = [started({"TELEGRAM_WEBHOOK_URL": url, "TELEGRAM_WEBHOOK_BIND": f"127.0.0.1:{port}"}) for port in ports]
    telegram.wait_for(lambda: len(telegram.calls_to("setWebhook")) >= webhooks, timeout=60)
    time.sleep(1)  # each listens before it registers, or just after
    return bots


def overlap(telegram, env: dict[str, str], users: list, section_id: int, subscribers: int, rate: int) -> None:
    """An outage told to SUBSCRIBERS by the real sender (a process of its own) while every user
    asks /status once: new messages per second against the cap, and each delivered once."""
    from buildings.models import Section
    from notifications.models import Message, Subscriber, Subscription
    from powerbot.celery import app
    from sensors.models import PowerState
    from sensors.power import set_section_state

    section = Section.objects.get(pk=section_id)
    chats = range(50_000_000, 50_000_000 + subscribers)
    Subscriber.objects.bulk_create(
        (Subscriber(chat_id=chat, name="bench", language="uk") for chat in chats), batch_size=2000
    )
    Subscription.objects.bulk_create(
        (
            Subscription(subscriber=subscriber, section=section)
            for subscriber in Subscriber.objects.filter(chat_id__gte=chats[0])
        ),
        batch_size=2000,
    )
    app.conf.task_always_eager = True  # the bench process has no token: the announcement queues, nothing sends
    set_section_state(section, PowerState.DOWN, "bench", "bench")
    queued = Message.objects.filter(state=Message.State.PENDING).count()
    calls_before = len(telegram.calls)
    started = time.monotonic()
    sender = subprocess.Popen([sys.executable, "manage.py", "shell", "-c", SENDER], cwd=ROOT, env=env)
    try:
        time.sleep(3)  # the broadcast is under way
        for user in users:
            user.write("/status")
        deadline = time.monotonic() + subscribers / rate * 2 + 120
        while (
            sender.poll() is None or sum(len(telegram.texts(u.id)) for u in users) < len(users)
        ) and time.monotonic() < deadline:
            time.sleep(1)
    finally:
        sender.terminate()
        sender.wait(timeout=30)
    elapsed = time.monotonic() - started
    sent = [
        c
        for c in telegram.calls[calls_before:]
        if c.method in ("sendMessage", "sendPhoto") and c.params.get("_accepted")
    ]
    per_second = Counter(int(c.at) for c in sent)
    times = sorted(c.at for c in sent)
    window = max((sum(1 for t in times[i : i + rate * 2] if t < start + 1) for i, start in enumerate(times)), default=0)
    notices = Counter(int(c.params["chat_id"]) for c in sent if c.params["text"].startswith("🔌"))
    replies = Counter(int(c.params["chat_id"]) for c in sent if not c.params["text"].startswith("🔌"))
    reply_at = [c.at for c in sent if not c.params["text"].startswith("🔌")]
    states = Counter(Message.objects.values_list("state", flat=True))
    print(f"overlap: {queued} notices queued, {len(users)} users ask /status 3 s in; cap {rate} new messages/s")
    print(
        f"  {len(sent)} new messages in {elapsed:.0f} s; most in one clock second: {max(per_second.values())}, "
        f"in any 1 s window: {window}"
    )
    print(
        f"  notices delivered: {len(notices)} of {queued}, twice: {sum(1 for n in notices.values() if n > 1)} "
        f"(outbox: {dict(states)}); replies: {len(replies)} of {len(users)}, "
        f"twice: {sum(1 for n in replies.values() if n > 1)}"
    )
    if reply_at:
        print(
            f"  the crowd's replies all sent within {max(reply_at) - min(reply_at):.1f} s, "
            f"the broadcast took {max(times) - min(times):.0f} s"
        )


# The sender as the `sender` worker runs it, until the outbox is empty.
SENDER = """
from notifications import delivery, outbox
while outbox.next_due() is not None:
    delivery.deliver(max_seconds=60)
"""


def press(telegram, user, data: str) -> None:
    telegram.push(
        {
            "callback_query": {
                "id": f"cq-{user.id}-{time.monotonic_ns()}",
                "from": user.profile,
                "chat_instance": str(user.id),
                "data": data,
                "message": {"message_id": 1, "date": 0, "text": "...", "chat": {"id": user.id, "type": "private"}},
            }
        }
    )


def measure(
    telegram, bots: list[subprocess.Popen], users: list, sections: list[int], amount: float, think: float | None
) -> tuple[dict[str, list[float]], float, float]:
    """Burst (think None): `amount` rounds of every user pressing at once. Steady: for
    `amount` seconds, each user presses again `think` s (on average) after its reply."""
    rng = random.Random(5)
    latencies: dict[str, list[float]] = {}
    waiting: dict[int, tuple[str, int, float]] = {}  # user index -> (kind, replies before, pressed at)
    cpu_before, started = sum(cpu_seconds(bot.pid) for bot in bots), time.monotonic()
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
    return latencies, elapsed, sum(cpu_seconds(bot.pid) for bot in bots) - cpu_before


def report(title: str, latencies: dict[str, list[float]], elapsed: float, cpu: float) -> None:
    every = [value for values in latencies.values() for value in values]
    print(title)
    print(f"  updates handled: {len(every)} in {elapsed:.1f} s = {len(every) / elapsed:.0f} updates/s")
    print(
        f"  update to reply: median {statistics.median(every) * 1000:.0f} ms, "
        f"p95 {percentile(every, 0.95) * 1000:.0f} ms, max {max(every) * 1000:.0f} ms"
    )
    for kind, values in sorted(latencies.items()):
        print(
            f"    {kind:>5}: {len(values):5d} updates, median {statistics.median(values) * 1000:.0f} ms, "
            f"p95 {percentile(values, 0.95) * 1000:.0f} ms"
        )
    print(f"  bot CPU: {cpu / len(every) * 1000:.1f} ms per update ({cpu / elapsed * 100:.0f}% of one core, all bots)")


if __name__ == "__main__":
    main()
