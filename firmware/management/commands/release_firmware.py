from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from buildings.models import Building
from firmware import services
from firmware.models import Board, Channel, FirmwareRelease


class Command(BaseCommand):
    help = "Release a firmware image for over-the-air updates, as the admin's upload does (for build pipelines)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("image", type=Path, help="The application image, e.g. .pio/build/wt32-eth01/firmware.bin.")
        parser.add_argument("--board", required=True, choices=Board.values)
        parser.add_argument(
            "--release-version",
            default="",
            metavar="VERSION",
            help="Semantic version; PowerBot's firmware names its own, so it may be left out.",
        )
        parser.add_argument("--channel", choices=Channel.values, default=Channel.STABLE)
        parser.add_argument(
            "--rollout",
            type=int,
            default=100,
            metavar="PERCENT",
            help="Share of the targeted sensors offered it, 1-100 (default 100).",
        )
        parser.add_argument(
            "--building",
            type=int,
            action="append",
            default=[],
            metavar="ID",
            help="Offer it only to sensors in this building (repeat for more).",
        )
        parser.add_argument("--mandatory", action="store_true", help="Installed even with automatic updates off.")
        parser.add_argument("--notes", default="", help="Release notes.")
        parser.add_argument("--inactive", action="store_true", help="Upload it now, offer it once reinstated.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["rollout"] <= 100:
            raise CommandError(f"--rollout {options['rollout']}: give a share between 1 and 100")
        buildings = list(Building.objects.filter(pk__in=options["building"]))
        missing = sorted(set(options["building"]) - {building.pk for building in buildings})
        if missing:
            raise CommandError(f"no building {', '.join(map(str, missing))}")
        try:
            with options["image"].open("rb") as handle:
                data = services.read_image(File(handle))
            upload = services.check_upload(options["board"], options["release_version"], data)
            release = services.publish(
                FirmwareRelease(
                    channel=options["channel"],
                    rollout_percent=options["rollout"],
                    mandatory=options["mandatory"],
                    notes=options["notes"],
                    active=not options["inactive"],
                ),
                upload,
                buildings=buildings,
                created_by="release_firmware",
            )
        except OSError as exc:
            raise CommandError(f"cannot read {options['image']}: {exc.strerror or exc}") from None
        except services.UploadRefused as refused:
            raise CommandError(f"{options['image']} not released: {refused}") from None
        audience = ", ".join(f"building {b.pk}" for b in buildings) or "the whole fleet"
        self.stdout.write(
            f"Released {release} ({release.size:,} bytes, SHA-256 {release.sha256}) on the {release.channel} channel "
            f"to {release.rollout_percent} % of {audience}{'' if release.active else ' (inactive until reinstated)'}."
        )
