"""Firmware updates under gunicorn: a fleet downloading a full-size release, and what slow
boards downloading do to heartbeats meanwhile.

    .venv/bin/python bench/firmware.py                  # SQLite and, if reachable, PostgreSQL
    .venv/bin/python bench/firmware.py --db sqlite --boards 8 --slow 2

For each database it publishes one release of the largest size an upload may be
(FIRMWARE_MAX_BYTES), then:
- `boards` boards at once check for an update and download it as fast as loopback allows,
  verifying its SHA-256, for `duration` seconds: checks and downloads per second, MB/s,
  p50/p99 of a whole update, and the server's RSS;
- heartbeat latency (one board posting in a loop), first alone, then while `slow` boards
  download at `slow_kbps` KB/s as an ESP32 writing to flash does.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from benchlib import ROOT, each_database, gunicorn, migrated_env, rss_mb, run

sys.path.insert(0, str(ROOT))
from firmware.tests.images import esp32_image

WRITE_KEY = "bench-write-key"
BOARD = "wt32-eth01"
MAX_BYTES = 1_966_080  # FIRMWARE_MAX_BYTES's default


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def request(
    port: int, method: str, path: str, body: bytes | None = None, *, read_rate: float | None = None
) -> tuple[int, bytes, dict[str, str]]:
    """One request on a new connection, as boards make them; `read_rate` (bytes/s) reads slowly."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    if read_rate is not None:  # a board's receive window is small (lwIP: 5,744 bytes): the server's writes wait
        connection.sock = socket.socket()
        connection.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        connection.sock.settimeout(120)
        connection.sock.connect(("127.0.0.1", port))
    try:
        connection.request(method, path, body=body, headers={"X-API-Key": WRITE_KEY, "Connection": "close"})
        response = connection.getresponse()
        if read_rate is None:
            return response.status, response.read(), dict(response.getheaders())
        chunks = []
        while chunk := response.read(4096):
            chunks.append(chunk)
            time.sleep(len(chunk) / read_rate)
        return response.status, b"".join(chunks), dict(response.getheaders())
    finally:
        connection.close()


def update(port: int, uuid: str, *, read_rate: float | None = None) -> int:
    """Check, download and verify; the image's size."""
    status, body, _ = request(
        port, "GET", f"/api/v1/firmware/check?sensor_uuid={uuid}&current_version=1.0.0&board={BOARD}"
    )
    offer = json.loads(body)
    if status != 200 or not offer.get("update_available"):
        raise RuntimeError(f"no offer: {status} {body[:200]!r}")
    url = urlsplit(offer["url"])
    status, image, _ = request(port, "GET", f"{url.path}?{url.query}", read_rate=read_rate)
    if status != 200 or hashlib.sha256(image).hexdigest() != offer["sha256"]:
        raise RuntimeError(f"bad download: {status}, {len(image)} bytes")
    return len(image)


def fleet(port: int, boards: int, duration: float) -> dict[str, float]:
    times: list[float] = []
    sizes: list[int] = []
    errors: list[str] = []
    deadline = time.monotonic() + duration

    def board(n: int) -> None:
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                sizes.append(update(port, f"bench-{n:05d}"))
                times.append(time.monotonic() - started)
            except (OSError, RuntimeError, ValueError) as exc:
                errors.append(str(exc))

    started = time.monotonic()
    threads = [threading.Thread(target=board, args=(n,)) for n in range(boards)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "updates": len(times) / elapsed,
        "mbps": sum(sizes) / elapsed / 1e6,
        "p50": percentile(times, 0.5) * 1000,
        "p99": percentile(times, 0.99) * 1000,
        "errors": len(errors),
    }


def heartbeat_latency(port: int, duration: float) -> dict[str, float]:
    body = json.dumps({"api_key": WRITE_KEY, "building_id": 1, "section_id": 1, "sensor_uuid": "bench-hb"}).encode()
    times = []
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        started = time.monotonic()
        status, _, _ = request(port, "POST", "/api/v1/heartbeat", body)
        if status == 200:
            times.append(time.monotonic() - started)
    return {
        "n": len(times),
        "p50": percentile(times, 0.5) * 1000,
        "p99": percentile(times, 0.99) * 1000,
        "max": max(times) * 1000 if times else float("nan"),
    }


def bench(db: str, args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="powerbot-bench-"))
    try:
        # Each board here downloads again and again, and one sensor beats at full speed: what
        # FIRMWARE_DOWNLOAD_RATE and HEARTBEAT_RATE are there to refuse. Both are off here
        # (bench/limits.py measures the limits).
        env = migrated_env(db, work, WRITE_KEY, "bench-read-key") | {
            "FIRMWARE_DOWNLOAD_RATE": "0",
            "HEARTBEAT_RATE": "0",
        }
        run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from buildings.models import Building; from sensors.models import Sensor; "
                "b = Building.objects.create(id=1, name='Bench', section_count=1); "
                f"Sensor.objects.bulk_create([Sensor(uuid=f'bench-{{n:05d}}', uuid_key=f'bench-{{n:05d}}', "
                f"section=b.sections.get()) for n in range({args.boards + args.slow})])",
            ],
            env,
        )
        run([sys.executable, "manage.py", "firmware_key", "create", str(work / "release.pem")], env)
        env = env | {"FIRMWARE_SIGNING_KEY": str(work / "release.pem")}  # releases are signed
        filler = MAX_BYTES - 4096  # the image's headers, description and padding take the rest
        image = esp32_image([os.urandom(filler)], named=(BOARD, "1.1.0"))
        (work / "firmware.bin").write_bytes(image)
        print(
            run(
                [sys.executable, "manage.py", "release_firmware", str(work / "firmware.bin"), "--board", BOARD], env
            ).strip()
        )

        with gunicorn(env, args.workers) as (port, server):
            update(port, "bench-00000")  # warm-up
            downloads = fleet(port, args.boards, args.duration)
            rss = rss_mb(server.pid)
            alone = heartbeat_latency(port, args.duration / 2)
            slow_threads = [
                threading.Thread(
                    target=update,
                    args=(port, f"bench-{args.boards + n:05d}"),
                    kwargs={"read_rate": args.slow_kbps * 1000},
                )
                for n in range(args.slow)
            ]
            for thread in slow_threads:
                thread.start()
            time.sleep(0.5)
            during = heartbeat_latency(port, args.duration / 2)
            for thread in slow_threads:
                thread.join()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"[{db}] fleet of {args.boards} boards updating at once ({len(image):,}-byte image, {args.workers} gunicorn "
        f"workers): {downloads['updates']:.1f} updates/s, {downloads['mbps']:.0f} MB/s, p50 {downloads['p50']:.0f} ms, "
        f"p99 {downloads['p99']:.0f} ms, errors {downloads['errors']:.0f}; server RSS {rss:.0f} MB"
    )
    print(
        f"[{db}] heartbeat latency alone: p50 {alone['p50']:.1f} ms, p99 {alone['p99']:.1f} ms, "
        f"max {alone['max']:.1f} ms ({alone['n']} heartbeats)"
    )
    print(
        f"[{db}] heartbeat latency while {args.slow} boards download at {args.slow_kbps} KB/s: "
        f"p50 {during['p50']:.1f} ms, p99 {during['p99']:.1f} ms, max {during['max']:.1f} ms ({during['n']} heartbeats)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=float, default=10, help="seconds per measurement")
    parser.add_argument("--boards", type=int, default=8, help="boards updating at once, at full speed")
    parser.add_argument("--slow", type=int, default=2, help="boards downloading slowly during the heartbeat test")
    parser.add_argument("--slow-kbps", type=int, default=200, help="how fast a slow board reads, KB/s")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()
    each_database(args.db, lambda db: bench(db, args))


if __name__ == "__main__":
    main()
