"""Badges under gunicorn, driven by wrk: 1,000 sections of public buildings, each request a
random one of them, as a page of badges in a chat or a wiki would ask.

    .venv/bin/python bench/badges.py                 # SQLite and, if reachable, PostgreSQL
    .venv/bin/python bench/badges.py --db sqlite --duration 20

Needs wrk (`apt-get install wrk`). Prints requests/s, p50/p99 latency and errors for the SVG
badge, the Shields endpoint JSON and the building badge; never asserts them.
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
    """Public buildings of SECTIONS_PER_BUILDING sections each, half of the sections with power."""
    code = f"""
from datetime import timedelta
from django.utils import timezone
from buildings.models import Building, Section
from sensors.models import SectionPower
Building.objects.bulk_create(
    [Building(id=b, name=f"Building {{b}}", section_count={SECTIONS_PER_BUILDING}, public=True)
     for b in range(1, {buildings} + 1)]
)
for building in Building.objects.all():
    building.sync_sections()
since = timezone.now() - timedelta(hours=3, minutes=20)
SectionPower.objects.bulk_create(
    [SectionPower(section=s, state="up" if s.number % 2 else "down", since=since) for s in Section.objects.all()]
)
print(SectionPower.objects.count())
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
