from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from firmware import signing


class Command(BaseCommand):
    help = (
        "The release signing key: `create PATH` makes one (kept outside the database, readable by its owner only); "
        "`public` prints its public half as firmware/esp32/include/release_key.h, which the firmware is built with."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Make a new signing key in PATH (never overwrites a file).")
        create.add_argument("path", type=Path)
        public = actions.add_parser("public", help="Print the key's public half as the firmware's release_key.h.")
        public.add_argument(
            "path", type=Path, nargs="?", help="The private key (default: the file FIRMWARE_SIGNING_KEY names)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "create":
                self._create(options["path"])
            else:
                self._public(options["path"])
        except signing.SigningKeyError as exc:
            raise CommandError(str(exc)) from None

    def _create(self, path: Path) -> None:
        key = signing.create_key(path)
        self.stderr.write(
            f"Made the release signing key {signing.key_id(key.public_key())} in {path} (readable by you only).\n"
            f"1. Set FIRMWARE_SIGNING_KEY={path.resolve()} where the web service and release_firmware run.\n"
            f"2. Build the firmware with its public half: manage.py firmware_key public {path} "
            "> firmware/esp32/include/release_key.h\n"
            "3. Keep a copy offline: boards built with it install only releases it signs, for ever."
        )

    def _public(self, path: Path | None) -> None:
        path = path or settings.FIRMWARE_SIGNING_KEY
        if path is None:
            raise CommandError(f"give the key's PATH, or set FIRMWARE_SIGNING_KEY; {signing.HOW_TO_MAKE_ONE}")
        self.stdout.write(signing.firmware_header(signing.load_key(path).public_key()), ending="")
