"""Give a building (or one of its shelters) a map from a picture file, as the admin's upload
does: checked, and made the size Telegram shows. `make demo` uses it; so can a script."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from buildings.maps import MAX_MAP_BYTES, MapError, prepared
from buildings.models import Building, MapPicture, Shelter


class Command(BaseCommand):
    help = "Set the map of a building, or of one of its shelters (--shelter NAME), from a PNG, JPEG or WebP file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("building", type=int, help="The building's id.")
        parser.add_argument("file", type=Path, help="The picture; - removes the map.")
        parser.add_argument("--shelter", help="The shelter's name, when the map is a shelter's.")

    def handle(self, *args: Any, building: int, file: Path, shelter: str | None, **options: Any) -> None:
        owner: MapPicture | None = (
            Shelter.objects.filter(building_id=building, name=shelter).first()
            if shelter is not None
            else Building.objects.filter(pk=building).first()
        )
        if owner is None:
            raise CommandError(f"No building {building}" + (f" with a shelter named {shelter!r}." if shelter else "."))
        if str(file) == "-":
            owner.set_map(None)
        else:
            try:
                if file.stat().st_size > MAX_MAP_BYTES:
                    raise CommandError(f"{file} is larger than {MAX_MAP_BYTES // 1024 // 1024} MB.")
                with file.open("rb") as picture:
                    owner.set_map(prepared(picture))
            except OSError as exc:
                raise CommandError(f"{file}: {exc.strerror or exc}") from None
            except MapError as exc:
                raise CommandError(f"{file}: {exc}") from None
        owner.save(update_fields=["map_image", "map_type", "map_version", "telegram_file_id"])
        what = f"shelter {shelter!r} of building {building}" if shelter else f"building {building}"
        size = f"{len(owner.map_image)} bytes, {owner.map_type}" if owner.map_image else "removed"
        self.stdout.write(f"Map of {what}: {size}.")
