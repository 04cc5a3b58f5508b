from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sensors.mappings import Format, dump, export_document


class Command(BaseCommand):
    help = "Write buildings, sensor mappings and aliases as YAML or JSON (the format import_mappings reads)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["yaml", "json"], default="yaml")
        parser.add_argument("--output", "-o", help="File to write; default: standard output.")

    def handle(self, *args: str, format: Format, output: str | None, **options: Any) -> None:
        text = dump(export_document(), format)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {output}")
        else:
            self.stdout.write(text, ending="")
