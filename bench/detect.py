"""The offline detector: tick cost on a large fleet, and how soon a real worker records power-off.

    .venv/bin/python bench/detect.py                # SQLite and, if reachable, PostgreSQL
    .venv/bin/python bench/detect.py --db sqlite --sensors 10000 --silent 500

For each database, on a fresh database:
1. quiet ticks (nothing changed) with 1,000 and then SENSORS sensors: time and queries;
2. one tick after SILENT sensors (whole buildings) went silent: time, queries, events;
3. one tick after 80% of the fleet went silent at once (the mass-silence guard holds it);
4. end to end: a real Celery worker with beat (SENSOR_TIMEOUT_SEC=5,
   SENSOR_CHECK_INTERVAL_SEC=1) and the embedded broker; a sensor stops and the delay
   from its deadline until power-off is recorded is printed against the budget
   (timeout + check interval + 2 s).
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchlib import POSTGRES_URL, ROOT, postgres_reachable, recreate_postgres_database

SENSORS_PER_BUILDING = 20  # 5 in each of 4 sections
E2E_TIMEOUT, E2E_INTERVAL = 5, 1


# --- Run inside a child process whose environment names the database --------------------


def seed(first: int, count: int) -> None:
    from django.utils import timezone

    from buildings.models import Building, Section
    from sensors.models import Sensor

    buildings = range(first // SENSORS_PER_BUILDING + 1, (first + count) // SENSORS_PER_BUILDING + 1)
    Building.objects.bulk_create([Building(id=b, name=f"Building {b}", section_count=4) for b in buildings])
    for building in Building.objects.filter(id__in=buildings):
        building.sync_sections()
    sections = {(s.building_id, s.number): s for s in Section.objects.filter(building_id__in=buildings)}
    now = timezone.now()
    Sensor.objects.bulk_create(
        [
            Sensor(
                uuid=f"bench-{n:05d}",
                uuid_key=f"bench-{n:05d}",
                section=sections[(n // SENSORS_PER_BUILDING + 1, n % 4 + 1)],
                last_heartbeat=now,
                online_since=now,
                online=True,
                offline_after=now + timedelta(seconds=150),
            )
            for n in range(first, first + count)
        ],
        batch_size=1000,
    )


def timed_tick() -> tuple[float, int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sensors.power import detect_offline

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        report = detect_offline()
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, len(queries), report


def quiet_ticks(label: str, rounds: int = 50) -> None:
    times, counts = [], set()
    for _ in range(rounds):
        elapsed, queries, _ = timed_tick()
        times.append(elapsed)
        counts.add(queries)
    times.sort()
    print(
        f"  quiet tick, {label}: median {statistics.median(times):.2f} ms  "
        f"p95 {times[int(len(times) * 0.95)]:.2f} ms  queries {sorted(counts)}"
    )


def silence(sensor_filter: dict) -> None:
    """Sensors matching the filter were last heard a timeout and a second ago."""
    from django.utils import timezone

    from sensors.models import Sensor

    last = timezone.now() - timedelta(seconds=151)
    Sensor.objects.filter(**sensor_filter).update(last_heartbeat=last, offline_after=last + timedelta(seconds=150))


def ticks(args: argparse.Namespace) -> None:
    from django.core.management import call_command
    from django.utils import timezone

    from buildings.models import Section
    from sensors.models import MassSilence, PowerCause, Sensor
    from sensors.power import record_section_states

    def initialise_sections() -> None:
        record_section_states(Section.objects.values_list("pk", flat=True), timezone.now(), PowerCause.HEARTBEAT)

    call_command("migrate", "--noinput", verbosity=0)
    seed(0, 1000)
    initialise_sections()
    timed_tick()  # the first tick starts the detector's clock
    quiet_ticks("1,000 sensors")
    seed(1000, args.sensors - 1000)
    initialise_sections()
    quiet_ticks(f"{args.sensors:,} sensors")

    silent_buildings = args.silent // SENSORS_PER_BUILDING
    silence({"section__building_id__lte": silent_buildings})
    elapsed, queries, report = timed_tick()
    print(
        f"  tick with {report.went_offline} sensors just silent ({silent_buildings} buildings): {elapsed:.1f} ms  "
        f"queries {queries}  section events {len(report.events)}  held: {report.mass_silence is not None}"
    )
    quiet_ticks(f"{args.sensors:,} sensors, after the outage", rounds=20)

    massive = int(args.sensors * 0.8)
    silence({"pk__in": Sensor.objects.filter(online=True).order_by("pk").values("pk")[:massive]})
    elapsed, queries, report = timed_tick()
    print(
        f"  tick with {report.went_offline} sensors silent at once (mass silence): {elapsed:.1f} ms  "
        f"queries {queries}  section events {len(report.events)}  "
        f"held: {MassSilence.objects.filter(open=True).exists()}"
    )
    quiet_ticks(f"{args.sensors:,} sensors, during the hold", rounds=20)


def end_to_end(work: Path) -> None:
    """A real worker with beat; a sensor falls silent; when is power-off recorded?"""
    from django.core.management import call_command

    from buildings.models import Building
    from sensors.heartbeat import record_heartbeat
    from sensors.models import PowerEvent, PowerState, Sensor

    call_command("migrate", "--noinput", verbosity=0)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "powerbot",
            "-b",
            f"sqla+sqlite:///{work / 'broker.sqlite3'}",
            "worker",
            "--beat",
            "--concurrency",
            "1",
            "-s",
            str(work / "beat-schedule"),
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        from sensors.models import DetectorClock

        deadline = time.monotonic() + 60
        while not DetectorClock.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        if not DetectorClock.objects.exists():
            worker.terminate()
            sys.exit(f"the worker never ran the detector:\n{worker.communicate(timeout=10)[1]}")
        delays = []
        for run in range(1, 6):
            Building.objects.create(id=run, name=f"End to end {run}", section_count=1)
            for _ in range(3):  # a few heartbeats, a second apart, then silence
                record_heartbeat({"building_id": run, "sensor_uuid": f"e2e-{run}"}, ip=None)
                time.sleep(1)
            down = PowerEvent.objects.filter(section__building_id=run, state=PowerState.DOWN)
            give_up = time.monotonic() + 60
            while not down.exists() and time.monotonic() < give_up:
                time.sleep(0.05)
            if not down.exists():
                sys.exit(f"power-off of building {run} was never recorded")
            delays.append(
                (down.get().recorded_at - Sensor.objects.get(uuid=f"e2e-{run}").last_heartbeat).total_seconds()
            )
        budget = E2E_TIMEOUT + E2E_INTERVAL + 2
        print(
            f"  end to end, last heartbeat -> power-off recorded: "
            f"{', '.join(f'{d:.2f}' for d in delays)} s  (timeout {E2E_TIMEOUT} s + interval {E2E_INTERVAL} s; "
            f"budget {budget} s)"
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def child(args: argparse.Namespace) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerbot.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    if args.child == "ticks":
        ticks(args)
    else:
        end_to_end(Path(args.work))


# --- The parent: one fresh database per run -----------------------------------------------


def run_child(db: str, part: str, args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="powerbot-detect-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENSOR_", "REDIS_URL", "MASS_SILENCE"))}
    env |= {"SECRET_KEY": "bench", "LOG_LEVEL": "ERROR"}
    if part == "e2e":  # the worker is started from the child, and inherits these
        env |= {"SENSOR_TIMEOUT_SEC": str(E2E_TIMEOUT), "SENSOR_CHECK_INTERVAL_SEC": str(E2E_INTERVAL)}
    if db == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    else:
        recreate_postgres_database()
        env["DATABASE_URL"] = POSTGRES_URL
    try:
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                part,
                "--work",
                str(work),
                "--sensors",
                str(args.sensors),
                "--silent",
                str(args.silent),
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--sensors", type=int, default=10_000)
    parser.add_argument("--silent", type=int, default=500, help="sensors that go silent in the outage tick")
    parser.add_argument("--skip-e2e", action="store_true", help="only the tick figures")
    parser.add_argument("--child", choices=["ticks", "e2e"], help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    for db in ("sqlite", "postgres"):
        if args.db not in (db, "both"):
            continue
        if db == "postgres" and not postgres_reachable():
            print("[postgres] skipped: PostgreSQL is not reachable on 127.0.0.1:5432")
            continue
        print(f"[{db}]", flush=True)
        run_child(db, "ticks", args)
        if not args.skip_e2e:
            run_child(db, "e2e", args)


if __name__ == "__main__":
    main()
