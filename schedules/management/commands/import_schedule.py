from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from schedules.files import ScheduleFileError, import_file

MAX_LISTED = 100  # a file of a million bad lines is said to be bad, not printed back
FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".csv": "csv"}


class Command(BaseCommand):
    help = (
        "Import planned-outage schedules from a YAML, JSON or CSV file (schedules/files.py shows the "
        "format); all or nothing, every error listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the schedule file, or - for standard input")
        parser.add_argument(
            "--format", choices=sorted(set(FORMATS.values())), help="the file's format (by default from its extension)"
        )
        parser.add_argument("--dry-run", action="store_true", help="check and report, store nothing")

    def handle(self, *args: object, **options: object) -> None:
        name = str(options["file"])
        fmt = options["format"] or FORMATS.get(Path(name).suffix.lower(), "yaml" if name == "-" else None)
        if fmt is None:
            raise CommandError(f"say --format yaml, json or csv: {name!r} has no known extension")
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {name}: {exc}") from None
        try:
            report = import_file(text, str(fmt), dry_run=bool(options["dry_run"]))
        except ScheduleFileError as exc:
            listed = exc.errors[:MAX_LISTED] + (
                [f"... and {len(exc.errors) - MAX_LISTED} more"] if len(exc.errors) > MAX_LISTED else []
            )
            raise CommandError(
                f"{name}: nothing imported, {len(exc.errors)} error(s):\n  " + "\n  ".join(listed)
            ) from None
        verb = "would import" if options["dry_run"] else "imported"
        self.stdout.write(
            f"{verb}: {report.created} new days, {report.changed} changed, "
            f"{report.unchanged} unchanged; {len(report.news)} change(s) for residents"
        )
