"""What the rate limits cost: a fleet of SENSORS boards at the firmware's pace (a heartbeat
every 10 s each) and a reader polling the sensor list five times a second, against gunicorn
with the limits off and on (counted in the database's cache table, then in Redis).

    .venv/bin/python bench/limits.py                       # SQLite and, if reachable, PostgreSQL
    .venv/bin/python bench/limits.py --db sqlite --sensors 1000 --seconds 30

For each: latency p50/p99 of heartbeats and reads, and the web workers' CPU time per request
(user + system, from /proc), the figure a limit's cost shows in first. The limits run at
their defaults, which this load never reaches, so every request pays the whole check. Redis:
BENCH_REDIS_URL (default redis://127.0.0.1:6379/14), left out when unreachable. The same
fresh database and seed for each mode; figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import redis
from benchlib import ROOT, each_database, gunicorn, migrated_env, seed

sys.path.insert(0, str(ROOT))
from sensors.simulator import firmware_request, post  # the project's, once on the path

WRITE_KEY = "bench-write-key"
READ_KEY = "bench-read-key"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
OFF = {"HEARTBEAT_RATE": "0", "READ_API_RATE": "0", "BAD_KEY_RATE": "0", "REDIS_URL": ""}
DEFAULTS = {"HEARTBEAT_RATE": "120/min", "READ_API_RATE": "600/min", "BAD_KEY_RATE": "30/min"}
READS_PER_SEC = 5


def redis_reachable() -> bool:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError:
        return False
    return True


def cpu_seconds(master: int) -> float:
    """User and system time of gunicorn's workers (the master's children) so far."""
    total = 0
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat
    return total / os.sysconf("SC_CLK_TCK")


async def fleet(port: int, sensors: int, buildings: int, seconds: float) -> dict[str, list[float]]:
    """Each board posts every 10 s (± 1 s), as the firmware does; a reader polls the list."""
    latencies: dict[str, list[float]] = {"heartbeat": [], "read": [], "refused": []}
    deadline = time.monotonic() + seconds

    async def board(n: int) -> None:
        payload = {
            "api_key": WRITE_KEY,
            "building_id": 1 + n % buildings,
            "section_id": 1 + n % 4,
            "sensor_uuid": f"bench-{n:05d}",
            "firmware_version": "1.0.0",
        }
        request = firmware_request("127.0.0.1", port, payload)
        await asyncio.sleep(random.uniform(0, 10))
        while time.monotonic() < deadline:
            started = time.perf_counter()
            status, _ = await post("127.0.0.1", port, request)
            latencies["heartbeat" if status == 200 else "refused"].append(time.perf_counter() - started)
            await asyncio.sleep(10 + random.uniform(-1, 1))

    async def reader() -> None:
        request = (
            f"GET /api/v1/public/sensors/status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"X-API-Key: {READ_KEY}\r\nConnection: close\r\n\r\n"
        ).encode()
        while time.monotonic() < deadline:
            started = time.perf_counter()
            status, _ = await post("127.0.0.1", port, request)
            latencies["read" if status == 200 else "refused"].append(time.perf_counter() - started)
            await asyncio.sleep(1 / READS_PER_SEC)

    await asyncio.gather(*(board(n) for n in range(sensors)), reader())
    return latencies


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1] * 1000 if len(values) > 1 else float("nan")


def bench(db: str, args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="powerbot-bench-"))
    env = migrated_env(db, work, WRITE_KEY, READ_KEY)
    seed(env, args.buildings, args.sensors)
    modes = {"off": OFF, "on, database": DEFAULTS | {"REDIS_URL": ""}}
    if redis_reachable():
        modes["on, Redis"] = DEFAULTS | {"REDIS_URL": REDIS_URL}
    else:
        print(f"[{db}] Redis not reachable at {REDIS_URL}: its figures are left out")
    try:
        for mode, settings in modes.items():
            with gunicorn(env | settings, args.workers) as (port, server):
                # Every worker hears the fleet once before it is measured, as in production.
                asyncio.run(fleet(port, args.sensors, args.buildings, 12))
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health").close()
                cpu_before = cpu_seconds(server.pid)
                latencies = asyncio.run(fleet(port, args.sensors, args.buildings, args.seconds))
                cpu = cpu_seconds(server.pid) - cpu_before
            beats, reads = latencies["heartbeat"], latencies["read"]
            print(
                f"[{db}] limits {mode}: {len(beats) / args.seconds:.0f} heartbeats/s "
                f"p50 {percentile(beats, 0.5):.1f} ms "
                f"p99 {percentile(beats, 0.99):.1f} ms; reads p50 {percentile(reads, 0.5):.1f} ms "
                f"p99 {percentile(reads, 0.99):.1f} ms; refused {len(latencies['refused'])}; "
                f"worker CPU {cpu * 1000 / (len(beats) + len(reads)):.2f} ms a request"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--sensors", type=int, default=1000)
    parser.add_argument("--buildings", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60, help="seconds measured, after a round to warm up")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()
    each_database(args.db, lambda db: bench(db, args))


if __name__ == "__main__":
    main()
