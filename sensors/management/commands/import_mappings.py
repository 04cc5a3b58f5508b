import getpass
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from powerbot.text import storable
from sensors.mappings import Format, MappingError, import_document, parse


def _system_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container's uid with no name
        return "unknown"


class Command(BaseCommand):
    help = "Create or update buildings, sensor mappings and aliases from a YAML or JSON file (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Path to a .yaml/.yml/.json file, or - for standard input.")
        parser.add_argument("--format", choices=["yaml", "json"], help="Default: from the file name (YAML for -).")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report, change nothing.")
        parser.add_argument(
            "--by", default=_system_user(), help="Who imports, for the operators' record (default: the system user)."
        )

    def handle(self, *args: str, file: str, format: Format | None, dry_run: bool, by: str, **options: Any) -> None:
        fmt: Format = format or ("json" if file.lower().endswith(".json") else "yaml")
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        try:
            report = import_document(
                *parse(text, fmt), dry_run=dry_run, by=storable(by).strip() or _system_user(), source=file
            )
        except MappingError as exc:
            lines = "\n".join(f"  - {error}" for error in exc.errors)
            raise CommandError(f"{file}: nothing was changed, {len(exc.errors)} problem(s):\n{lines}") from None
        for line in report.lines():
            self.stdout.write(line)
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was changed."))
        elif not report.changed:
            self.stdout.write(self.style.SUCCESS("Already up to date: nothing changed."))
        else:
            self.stdout.write(self.style.SUCCESS("Imported."))
