import asyncio
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from buildings.models import Building
from sensors import simulator


class Command(BaseCommand):
    help = (
        "Run virtual sensors that post the firmware's heartbeat to a running PowerBot, "
        "with scripted outages, for demos and trials without hardware."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default=settings.SITE_URL, help="The service's root URL (default: SITE_URL).")
        parser.add_argument("--key", default="", help="The sensor key (default: SENSOR_API_KEY).")
        parser.add_argument(
            "--building",
            type=int,
            action="append",
            dest="buildings",
            metavar="ID",
            help="Simulate this building (repeatable; default: every building in the database).",
        )
        parser.add_argument("--per-section", type=int, default=1, help="Sensors in each section (default 1).")
        parser.add_argument("--interval", type=float, default=10.0, help="Seconds between heartbeats (default 10).")
        parser.add_argument("--jitter", type=float, default=2.0, help="Up to this many seconds off (default 2).")
        parser.add_argument(
            "--outage",
            action="append",
            default=[],
            metavar="B:S@START+LENGTH",
            help="Section S of building B loses power START after the start, for LENGTH "
            "(90s, 2m, or minutes: 1:2@1+3). Repeatable.",
        )
        parser.add_argument(
            "--duration", default="0", help="Stop after this long (90s, 2m; default: run until Ctrl-C)."
        )
        parser.add_argument("--report-every", type=float, default=30.0, help="Seconds between progress lines.")

    def handle(self, *args: str, **options: Any) -> None:
        key = options["key"] or settings.SENSOR_API_KEY
        if not key:
            raise CommandError("no sensor key: pass --key or set SENSOR_API_KEY (the key the firmware sends)")
        if (
            options["per_section"] < 1
            or options["interval"] <= 0
            or options["report_every"] <= 0
            or not 0 <= options["jitter"] < options["interval"]
        ):
            raise CommandError(
                "--per-section must be 1 or more, --interval and --report-every above 0, "
                "and --jitter from 0 to below --interval"
            )
        try:
            outages = [simulator.parse_outage(text) for text in options["outage"]]
            duration = simulator.parse_duration(options["duration"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None

        buildings = Building.objects.order_by("id")
        if options["buildings"]:
            buildings = buildings.filter(id__in=options["buildings"])
            missing = set(options["buildings"]) - set(buildings.values_list("id", flat=True))
            if missing:
                raise CommandError(f"no building {', '.join(map(str, sorted(missing)))} in the database")
        sections = [(building.id, number) for building in buildings for number in range(1, building.section_count + 1)]
        if not sections:
            raise CommandError(
                "no buildings to simulate: add some in the admin, or import demo/buildings.yaml "
                "(manage.py import_mappings demo/buildings.yaml)"
            )
        for outage in outages:
            if (outage.building_id, outage.section) not in sections:
                raise CommandError(f"outage {outage}: no such section among the simulated ones")

        try:
            run = simulator.Simulation(
                simulator.fleet(sections, options["per_section"]),
                outages,
                options["url"],
                key,
                interval=options["interval"],
                jitter=options["jitter"],
                duration=duration,
                report_every=options["report_every"],
                say=self._say,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        asyncio.run(self._until_stopped(run))

    async def _until_stopped(self, run: simulator.Simulation) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, run.stop)
        await run.run()

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
