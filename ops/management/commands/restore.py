from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from ops import backups


class Command(BaseCommand):
    help = (
        "Replace the database's contents with a backup made by `manage.py backup`. "
        "Stop the service first: web, workers and bot."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The backup file (.sqlite3 or .pgdump).")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args: str, file: Path, yes: bool, **options: Any) -> None:
        where = connection.settings_dict["NAME"]
        if not yes:
            try:
                answer = input(
                    f"This replaces everything in {connection.vendor} database {where} with {file}. "
                    "Type 'yes' to go on: "
                )
            except EOFError:  # no terminal (cron, a pipe): no answer is no
                answer = ""
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing was changed.")
        self.stdout.write(f"Restoring {file} into {where}")
        try:
            backups.restore(file, progress=lambda line: self.stdout.write(f"  {line}"))
        except backups.BackupError as exc:
            raise CommandError(f"{exc}. Nothing was changed.") from None
        self.stdout.write(
            self.style.SUCCESS(
                "Restored. Run `manage.py migrate` if the backup is from an older version, then start the service."
            )
        )
