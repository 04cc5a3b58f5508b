"""The public web under gunicorn, driven by wrk: 1,000 sections of public buildings with 30
days of history, each request a random one of them, as a page of badges in a chat, or the
status pages of a town's lobby screens and phones, would ask.

    .venv/bin/python bench/public_web.py                 # SQLite and, if reachable, PostgreSQL
    .venv/bin/python bench/public_web.py --db sqlite --duration 20

Needs wrk (`apt-get install wrk`). Prints requests/s, p50/p99 latency and errors for the SVG
badge, the Shields endpoint JSON, the building badge and the status page's JSON document
(what each open page polls); never asserts them.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from benchlib import gunicorn, migrated_env, run, run_wrk_bench, wrk_parser
from ingest import line, measure

SECTIONS_PER_BUILDING = 4

RANDOM_BADGE_LUA = """
request = function()
  local b = math.random(1, %(buildings)d)
  local s = math.random(1, %(sections)d)
  return wrk.format("GET", string.format("%(path)s", b, s))  -- extra arguments are ignored
end
"""


def seed(env: dict[str, str], buildings: int) -> None:
    """Public buildings of SECTIONS_PER_BUILDING sections each; each section with an outage
    of four hours every twelve for the last 30 days, half of them off now."""
    code = f"""
from datetime import timedelta
from django.utils import timezone
from buildings.models import Building, Section
from sensors.models import PowerEvent, SectionPower
Building.objects.bulk_create(
    [Building(id=b, name=f"Building {{b}}", section_count={SECTIONS_PER_BUILDING}, public=True)
     for b in range(1, {buildings} + 1)]
)
for building in Building.objects.all():
    building.sync_sections()
now = timezone.now()
changes = [("up" if n % 2 else "down", now - timedelta(days=30) + timedelta(hours=4 * n + 8 * (n // 2)))
           for n in range(0, 120)]
events, powers = [], []
for s in Section.objects.all():
    shifted = [(state if s.number % 2 else ("down" if state == "up" else "up"), at) for state, at in changes]
    past = [change for change in shifted if change[1] < now]
    events += [PowerEvent(section=s, sequence=n + 1, state=state, at=at, cause="timeout")
               for n, (state, at) in enumerate(past)]
    powers.append(SectionPower(section=s, state=past[-1][0], since=past[-1][1], version=len(past)))
PowerEvent.objects.bulk_create(events, batch_size=2000)
SectionPower.objects.bulk_create(powers)
print(SectionPower.objects.count(), PowerEvent.objects.count())
"""
    run([sys.executable, "manage.py", "shell", "-c", code], env)


def bench(db: str, args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="powerbot-bench-"))
    env = migrated_env(db, work, "bench-write-key", "bench-read-key")
    seed(env, args.buildings)
    figures = {}
    try:
        with gunicorn(env, args.workers) as (port, _):
            for label, path in [
                ("section badge (SVG)", "/badge/%d/%d.svg"),
                ("section badge (Shields JSON)", "/badge/%d/%d.json"),
                ("building badge (SVG)", "/badge/%d.svg"),
                ("status page document (JSON)", "/status/%d.json"),
            ]:
                script = work / "badge.lua"
                script.write_text(
                    RANDOM_BADGE_LUA % {"buildings": args.buildings, "sections": SECTIONS_PER_BUILDING, "path": path}
                )
                figures[label] = measure(f"http://127.0.0.1:{port}", args, str(script))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sections = args.buildings * SECTIONS_PER_BUILDING
    for label, measured in figures.items():
        print(f"[{db}] {label}, {sections} sections, {args.connections} connections: {line(measured)}")


def main() -> None:
    parser = wrk_parser(__doc__)
    parser.add_argument("--buildings", type=int, default=250, help="public buildings of 4 sections")
    run_wrk_bench(parser.parse_args(), bench)


if __name__ == "__main__":
    main()
