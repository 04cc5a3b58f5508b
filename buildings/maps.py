"""Map pictures (a building's, a shelter's): checked to be a picture, and made the size
Telegram shows, so a phone's 12-megapixel photo of a floor plan is stored and sent once as
what residents actually see."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_MAP_BYTES = 5 * 1024 * 1024  # the upload; Telegram takes photos up to 10 MB
MAX_MAP_PIXELS = 50_000_000  # a larger picture is refused before it is decoded (memory)
MAP_SIDE = 1280  # Telegram shows a photo at most this many pixels on its longer side
KINDS = ("PNG", "JPEG", "MPO", "WEBP")  # MPO: a phone's JPEG with a second picture inside


class MapError(Exception):
    """Why an upload cannot be a map, in words for the operator."""


@dataclass(frozen=True)
class Picture:
    data: bytes
    mime: str


def prepared(upload: IO[bytes]) -> Picture:
    """The map to store: at most MAP_SIDE on its longer side, turned as the camera held it;
    a PNG, or a picture with transparency, stays a PNG (a drawn plan keeps its sharp lines and
    its see-through background), a photo becomes a JPEG."""
    try:
        with Image.open(upload) as opened:
            if opened.format not in KINDS:
                raise MapError(f"A {opened.format} picture: use PNG, JPEG or WebP.")
            width, height = opened.size
            if width * height > MAX_MAP_PIXELS:
                raise MapError(
                    f"The picture is {width}×{height} pixels; at most {MAX_MAP_PIXELS // 1_000_000} million."
                )
            lossless = opened.format == "PNG"
            opened.draft("RGB", (MAP_SIDE, MAP_SIDE))  # a JPEG decodes at a fraction of its size
            image = ImageOps.exif_transpose(opened)
            image.load()
    # Pillow's ways of saying a file cannot be read: a truncated or forged one, a text chunk
    # that inflates past its limit (ValueError), a decompression bomb.
    except (UnidentifiedImageError, OSError, ValueError, EOFError, SyntaxError, Image.DecompressionBombError):
        raise MapError("This file is not a picture that can be read: upload a PNG, JPEG or WebP.") from None
    if image.mode in ("P", "PA"):  # scaled as colours, not as palette indexes (thin lines survive)
        image = image.convert("RGBA" if image.mode == "PA" or "transparency" in image.info else "RGB")
    elif image.mode == "1":
        image = image.convert("L")
    transparent = image.mode in ("RGBA", "LA")
    image.thumbnail((MAP_SIDE, MAP_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if lossless or transparent:
        image.save(out, "PNG", optimize=True)
        return Picture(out.getvalue(), "image/png")
    image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    return Picture(out.getvalue(), "image/jpeg")
