"""What the benchmark scripts share: paths, a free port, the benchmark PostgreSQL database,
manage.py and gunicorn in processes of their own."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/powerbot_bench")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
        return True
    except OSError:
        return False


def recreate_postgres_database() -> None:
    """A fresh, empty benchmark database at POSTGRES_URL."""
    import psycopg

    name = POSTGRES_URL.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")


def run_on_fresh_database(script: str, args: argparse.Namespace, child: Callable[[argparse.Namespace], None]) -> None:
    """In the `--child` process, `child(args)`; otherwise run `script --child` with this command
    line's arguments on a fresh database (SQLite in a temporary folder, or POSTGRES_URL
    recreated) and none of the shell's PowerBot settings."""
    if args.child:
        child(args)
        return
    db = args.db
    work = Path(tempfile.mkdtemp(prefix="powerbot-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENSOR_", "TELEGRAM_", "REDIS_URL", "YASNO_"))}
    env |= {"SECRET_KEY": "bench", "LOG_LEVEL": "ERROR"}
    if db == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    elif postgres_reachable():
        recreate_postgres_database()
        env["DATABASE_URL"] = POSTGRES_URL
    else:
        sys.exit("PostgreSQL is not reachable on 127.0.0.1:5432")
    print(f"[{db}]", flush=True)
    try:
        subprocess.run([sys.executable, script, "--child", *sys.argv[1:]], cwd=ROOT, env=env, check=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: list[str], env: dict[str, str]) -> str:
    """A command in the project folder; exits with its errors if it fails."""
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def rss_mb(pid: int) -> float:
    """RSS of a process (the gunicorn master) and its children (the workers)."""
    pids = [pid] + [
        int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    ]
    total = 0
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except FileNotFoundError:
            continue
        total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    return total / 1024


@contextmanager
def gunicorn(
    env: dict[str, str], workers: int, settings: str = "powerbot.settings"
) -> Iterator[tuple[int, subprocess.Popen]]:
    """The app under gunicorn on a free port, answering health checks; (port, process).

    `settings` other than the project's are looked up in bench/ (floor_settings).
    """
    port = free_port()
    env = env | {"DJANGO_SETTINGS_MODULE": settings, "PYTHONPATH": str(ROOT / "bench")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "powerbot.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield port, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def migrated_env(db: str, work: Path, write_key: str, read_key: str) -> dict[str, str]:
    """This process's environment for the project on a fresh, migrated database of kind `db`
    (a SQLite file in `work`, or POSTGRES_URL made afresh), with the given keys."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENSOR_")}
    env |= {
        "SENSOR_API_KEY": write_key,
        "SENSOR_PUBLIC_API_KEY": read_key,
        "SECRET_KEY": "bench",
        "LOG_LEVEL": "WARNING",
    }
    if db == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    else:
        env["DATABASE_URL"] = POSTGRES_URL
        recreate_postgres_database()
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    return env


def seed(env: dict[str, str], buildings: int, sensors: int) -> None:
    """Buildings with 4 sections each, and `sensors` sensors spread over them."""
    code = f"""
from buildings.models import Building, Section
from sensors.models import Sensor
from django.utils import timezone
from datetime import timedelta
Building.objects.bulk_create(
    [Building(id=b, name=f"Building {{b}}", section_count=4) for b in range(1, {buildings} + 1)]
)
for b in Building.objects.all():
    b.sync_sections()
sections = {{(s.building_id, s.number): s for s in Section.objects.all()}}
now = timezone.now()
Sensor.objects.bulk_create([
    Sensor(uuid=f"bench-{{n:05d}}", uuid_key=f"bench-{{n:05d}}", section=sections[(1 + n % {buildings}, 1 + n % 4)],
           last_heartbeat=now, online_since=now, online=True, offline_after=now + timedelta(seconds=150))
    for n in range({sensors})
], batch_size=1000)
print(Sensor.objects.count())
"""
    run([sys.executable, "manage.py", "shell", "-c", code], env)


def each_database(choice: str, bench: Callable[[str], None]) -> None:
    """`bench("sqlite")` and/or `bench("postgres")` as `--db` chose; PostgreSQL only if reachable."""
    for db in ("sqlite", "postgres"):
        if choice in (db, "both"):
            if db == "postgres" and not postgres_reachable():
                print("[postgres] skipped: PostgreSQL is not reachable on 127.0.0.1:5432")
                continue
            bench(db)


def wrk_parser(description: str | None) -> argparse.ArgumentParser:
    """The options every wrk benchmark takes: databases, duration, load and gunicorn workers."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2 is fastest on 2 cores)")
    return parser


def run_wrk_bench(args: argparse.Namespace, bench: Callable[[str, argparse.Namespace], None]) -> None:
    """`bench(db, args)` on each database `--db` chose, once wrk is known to be there."""
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    each_database(args.db, lambda db: bench(db, args))
