from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ops import backups


class Command(BaseCommand):
    help = (
        "Back up the database while the service runs: SQLite's online backup API, or pg_dump for "
        "PostgreSQL. Restore with `manage.py restore FILE`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="The file to write (default: var/backups/powerbot-<UTC time>.sqlite3 or .pgdump).",
        )

    def handle(self, *args: str, output: Path | None, **options: Any) -> None:
        target = output or (
            settings.DATA_DIR / "backups" / f"powerbot-{timezone.now():%Y%m%d-%H%M%S}{backups.suffix()}"
        )
        self.stdout.write(f"Backing up to {target}")
        try:
            size = backups.backup(target, progress=lambda line: self.stdout.write(f"  {line}"))
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Backup written: {target} ({size:,} bytes)"))
