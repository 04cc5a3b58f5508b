"""Heartbeat ingest and read-list throughput under gunicorn, driven by wrk.

    .venv/bin/python bench/ingest.py                 # SQLite and, if reachable, PostgreSQL
    .venv/bin/python bench/ingest.py --db sqlite --duration 20 --connections 64

Needs wrk (`apt-get install wrk`). For each database it starts a fresh database, seeds
buildings and SENSORS known sensors, serves the app under gunicorn and prints
heartbeats/s, p50/p99 latency, errors and the server's RSS; then the same for the read
list of READ_SENSORS sensors, and for a poller whose copy is current (304). Each figure is
set beside the stack's floor, measured the same way: the same gunicorn, middleware and
database answering the same requests with one query each (floor_urls.py). Figures are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from benchlib import gunicorn, migrated_env, rss_mb, run, run_wrk_bench, seed, wrk_parser

WRITE_KEY = "bench-write-key"
READ_KEY = "bench-read-key"

HEARTBEAT_LUA = """
math.randomseed(os.time())
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local n = math.random(0, %(sensors)d - 1)
  local body = string.format(
    '{"api_key":"%(key)s","building_id":%%d,"section_id":%%d,"sensor_uuid":"bench-%%05d","firmware_version":"1.0.0"}',
    1 + n %% %(buildings)d, 1 + n %% 4, n)
  return wrk.format(nil, "/api/v1/heartbeat", nil, body)
end
"""


def wrk(
    url: str,
    duration: int,
    connections: int,
    threads: int,
    script: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, float]:
    args = ["wrk", "--latency", f"-t{threads}", f"-c{connections}", f"-d{duration}s"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    if script:
        args += ["-s", script]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout

    def latency(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": errors + (int(non2xx.group(1)) if non2xx else 0),
    }


def measure(
    base: str,
    args: argparse.Namespace,
    script: str | None = None,
    headers: dict[str, str] | None = None,
    warmup: int = 2,
) -> dict[str, float]:
    """wrk against `base`, after a warm-up of `warmup` seconds."""
    wrk(base, warmup, args.connections, args.threads, script, headers)
    return wrk(base, args.duration, args.connections, args.threads, script, headers)


def line(figures: dict[str, float], floor: dict[str, float] | None = None) -> str:
    text = (
        f"{figures['rps']:.0f}/s  p50 {figures['p50']:.1f} ms  p99 {figures['p99']:.1f} ms  "
        f"errors {figures['errors']:.0f}"
    )
    if floor:
        text += f"  (floor {floor['rps']:.0f}/s, p99 {floor['p99']:.1f} ms: {figures['rps'] / floor['rps']:.0%} of it)"
    return text


def bench(db: str, args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="powerbot-bench-"))
    # One reader at wrk's pace is what READ_API_RATE is there to refuse: it is off here, and what
    # the limits cost is bench/limits.py's to measure. Heartbeats keep theirs (SENSORS boards at
    # this pace stay under it).
    env = migrated_env(db, work, WRITE_KEY, READ_KEY) | {"READ_API_RATE": "0"}
    seed(env, args.buildings, args.sensors)
    script = work / "heartbeat.lua"
    script.write_text(HEARTBEAT_LUA % {"sensors": args.sensors, "buildings": args.buildings, "key": WRITE_KEY})
    heartbeat, sensor_list = "/api/v1/heartbeat", "/api/v1/public/sensors/status"
    headers = {"X-API-Key": READ_KEY}

    try:
        # The floor: the same stack and database answering the same requests with one query each.
        with gunicorn(env, args.workers, settings="floor_settings") as (port, _):
            floor_hb = measure(f"http://127.0.0.1:{port}{heartbeat}", args, str(script))
            floor_rl = measure(f"http://127.0.0.1:{port}{sensor_list}", args, headers=headers)

        with gunicorn(env, args.workers) as (port, server):
            base = f"http://127.0.0.1:{port}"
            # In production each sensor beats every 10 s, so every worker has heard the whole
            # fleet within minutes and writes a quiet heartbeat with one statement; measure that.
            hb = measure(base + heartbeat, args, str(script), warmup=args.warmup)
            rss_after_write = rss_mb(server.pid)

            # The read list is measured on READ_SENSORS enabled sensors.
            run(
                [
                    sys.executable,
                    "manage.py",
                    "shell",
                    "-c",
                    "from sensors.models import Sensor; "
                    "ids = list(Sensor.objects.order_by('id').values_list('id', flat=True));"
                    f"Sensor.objects.filter(id__in=ids[{args.read_sensors}:]).update(enabled=False)",
                ],
                env,
            )
            with urllib.request.urlopen(urllib.request.Request(base + sensor_list, headers=headers)) as response:
                listed, etag = json.load(response), response.headers["ETag"]
            rl = measure(base + sensor_list, args, headers=headers)
            # A poller that already has the list: 304 Not Modified, no body.
            unchanged = measure(base + sensor_list, args, headers=headers | {"If-None-Match": etag})
            rss = max(rss_after_write, rss_mb(server.pid))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"[{db}] heartbeats ({args.sensors} sensors known, {args.connections} connections, "
        f"{args.workers} gunicorn workers): {line(hb, floor_hb)}"
    )
    print(f"[{db}] read list of {len(listed['sensors'])} sensors: {line(rl, floor_rl)}")
    print(f"[{db}] read list unchanged, 304 to If-None-Match: {line(unchanged)}")
    print(f"[{db}] server RSS (master + workers): {rss:.0f} MB")


def main() -> None:
    parser = wrk_parser(__doc__)
    parser.add_argument(
        "--warmup",
        type=int,
        default=30,
        help="seconds of heartbeats before measuring them, for each worker to hear the fleet",
    )
    parser.add_argument("--sensors", type=int, default=5000)
    parser.add_argument("--read-sensors", type=int, default=1000)
    parser.add_argument("--buildings", type=int, default=100)
    run_wrk_bench(parser.parse_args(), bench)


if __name__ == "__main__":
    main()
