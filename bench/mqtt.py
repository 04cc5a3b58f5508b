"""MQTT ingest: 5,000 boards connected with their last wills, one `runmqtt` subscriber.

    .venv/bin/python bench/mqtt.py                    # SQLite and, if reachable, PostgreSQL
    .venv/bin/python bench/mqtt.py --db sqlite --boards 2000 --rounds 5

For each database: a fresh database with the boards' sensors (benchlib.seed), a Mosquitto of
the benchmark's own, one subscriber. Prints:
- heartbeats/s the subscriber records: every board publishes `--rounds` heartbeats as fast as
  it can, and the figure is the count over the time until the last is recorded;
- the delay from a board's connection dying (its socket closed, the power gone) to its
  section's power-off being recorded, p50/p99, for the boards of `--cut` buildings; most of
  it is MQTT_WILL_SETTLE_SEC (the default 15 s unless `--settle`), on purpose;
- the subscriber's RSS;
- beside them, heartbeats/s over HTTP for the same fleet (gunicorn, 2 workers, wrk), if wrk
  is installed.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import ROOT, each_database, free_port, gunicorn, migrated_env, rss_mb, run, seed

sys.path.insert(0, str(ROOT))
from testsupport.mqtt import OwnMosquitto

WRITE_KEY = "bench-write-key"
READ_KEY = "bench-read-key"
BUILDINGS = 100  # benchlib.seed: sensor n is in building 1 + n % 100


def query(env: dict[str, str], code: str) -> object:
    """A value computed by `code` (which sets `result`) in the project, as JSON."""
    out = run([sys.executable, "manage.py", "shell", "-c", code + "\nprint(json.dumps(result))"], env)
    return json.loads(out.strip().splitlines()[-1])


def heartbeats_counted(env: dict[str, str]) -> int:
    return int(
        query(
            env,
            "import json\nfrom powerbot import counters\nresult = counters.totals('mqtt_messages').get('heartbeat', 0)",
        )
    )


def connect_boards(port: int, count: int) -> list:
    """`count` boards, each its own connection with its will, as the firmware connects."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    boards = []
    for n in range(count):
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{n:05d}")
        client.will_set(f"powerbot/bench-{n:05d}/status", "offline", qos=1, retain=True)
        client.connect("127.0.0.1", port, keepalive=600)  # no loop runs here: no pings due meanwhile
        client.publish(f"powerbot/bench-{n:05d}/status", "online", retain=True)
        boards.append(client)
        if n % 1000 == 999:
            print(f"  {n + 1} boards connected", flush=True)
    return boards


def heartbeat_body(n: int) -> bytes:
    building, section = 1 + n % BUILDINGS, 1 + n % 4
    return json.dumps(
        {"api_key": WRITE_KEY, "building_id": building, "section_id": section, "sensor_uuid": f"bench-{n:05d}"}
    ).encode()


def bench(db: str, args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="powerbot-bench-"))
    broker = OwnMosquitto(work, free_port())
    env = migrated_env(db, work, WRITE_KEY, READ_KEY)
    env |= {"METRICS_FLUSH_SEC": "1", "MQTT_WILL_SETTLE_SEC": str(args.settle), "LOG_LEVEL": "WARNING"}
    seed(env, BUILDINGS, args.boards)
    # Every section's first state, and the detector's clock (its first tick counts as a restart).
    run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.utils import timezone\nfrom buildings.models import Section\n"
            "from sensors.models import PowerCause\nfrom sensors.power import detect_offline, record_section_states\n"
            "sections = Section.objects.values_list('pk', flat=True)\n"
            "record_section_states(sections, timezone.now(), PowerCause.HEARTBEAT)\n"
            "detect_offline()",
        ],
        env,
    )
    broker.start()
    env["MQTT_URL"] = broker.url
    subscriber = subprocess.Popen([sys.executable, "manage.py", "runmqtt"], cwd=ROOT, env=env)
    try:
        time.sleep(2)
        print(f"[{db}] connecting {args.boards} boards", flush=True)
        boards = connect_boards(broker.port, args.boards)
        sent = 0
        started = time.monotonic()
        for _ in range(args.rounds):
            for n, board in enumerate(boards):
                board.publish(f"powerbot/bench-{n:05d}/heartbeat", heartbeat_body(n))
                sent += 1
        published = time.monotonic() - started
        while (counted := heartbeats_counted(env)) < sent:
            time.sleep(0.5)
            if time.monotonic() - started > 600:
                sys.exit(f"only {counted} of {sent} heartbeats recorded in 10 minutes")
        elapsed = time.monotonic() - started
        rss = rss_mb(subscriber.pid)
        print(
            f"[{db}] MQTT: {sent} heartbeats from {args.boards} boards published in {published:.1f} s, "
            f"recorded in {elapsed:.1f} s: {sent / elapsed:.0f}/s",
            flush=True,
        )

        # The power dies in --cut buildings: their boards' sockets close without a DISCONNECT.
        cut = [n for n in range(args.boards) if n % BUILDINGS < args.cut]
        time.sleep(4)  # a will counts after silence (sensors.power.WILL_AFTER_SILENCE)
        vanished_at = time.time()
        for n in cut:
            boards[n].socket().close()
        sections = list(range(1, args.cut + 1))
        code = (
            "import json\nfrom sensors.models import PowerEvent\n"
            f"result = [e.recorded_at.timestamp() for e in PowerEvent.objects.filter("
            f"section__building_id__in={sections}, state='down', cause='mqtt_will')]"
        )
        deadline = time.monotonic() + args.settle + 120
        while len(recorded := query(env, code)) < len(sections) and time.monotonic() < deadline:
            time.sleep(0.5)
        delays = sorted(at - vanished_at for at in recorded)
        if delays:
            p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
            print(
                f"[{db}] MQTT: {len(cut)} boards of {len(sections)} sections vanish: power-off recorded for "
                f"{len(delays)} sections, will to power event p50 {statistics.median(delays):.1f} s, "
                f"p99 {p99:.1f} s (MQTT_WILL_SETTLE_SEC={args.settle})",
                flush=True,
            )
        else:
            print(f"[{db}] MQTT: no power-off recorded within {args.settle + 120} s", flush=True)
        print(f"[{db}] MQTT subscriber RSS: {max(rss, rss_mb(subscriber.pid)):.0f} MB", flush=True)
        for board in boards:
            if (sock := board.socket()) is not None:
                sock.close()
    finally:
        subscriber.terminate()
        subscriber.wait(timeout=30)
        broker.stop()

    if shutil.which("wrk"):
        http(db, env, args, work)
    else:
        print(f"[{db}] HTTP: skipped, wrk is not installed (apt-get install wrk)")
    shutil.rmtree(work, ignore_errors=True)


def http(db: str, env: dict[str, str], args: argparse.Namespace, work: Path) -> None:
    """The same fleet's heartbeats over HTTP, as bench/ingest.py measures them."""
    from ingest import HEARTBEAT_LUA, measure

    script = work / "heartbeat.lua"
    script.write_text(HEARTBEAT_LUA % {"sensors": args.boards, "buildings": BUILDINGS, "key": WRITE_KEY})
    wrk_args = argparse.Namespace(duration=10, connections=64, threads=2)
    with gunicorn(env, 2) as (port, server):
        figures = measure(f"http://127.0.0.1:{port}/api/v1/heartbeat", wrk_args, str(script), warmup=10)
        print(
            f"[{db}] HTTP: {figures['rps']:.0f} heartbeats/s (gunicorn, 2 workers, 64 connections), "
            f"p99 {figures['p99']:.1f} ms, errors {figures['errors']:.0f}; server RSS {rss_mb(server.pid):.0f} MB",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--boards", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=4, help="heartbeats each board publishes")
    parser.add_argument("--cut", type=int, default=5, help="buildings whose boards vanish")
    parser.add_argument("--settle", type=int, default=15, help="MQTT_WILL_SETTLE_SEC (the default: 15)")
    args = parser.parse_args()
    if OwnMosquitto.binary() is None:
        sys.exit("mosquitto is needed: apt-get install mosquitto")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, args.boards + 1024)), hard))
    os.environ.pop("MQTT_URL", None)
    each_database(args.db, lambda db: bench(db, args))


if __name__ == "__main__":
    main()
