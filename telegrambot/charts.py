"""The picture of a section's power over a period: one row a day in the building's
timezone, green while on, red while off, grey while unknown; with a schedule, a dark band
over each row marks the planned-off hours. Labels are only dates and hours, so one picture
serves every language (the caption says the rest)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from io import BytesIO

from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from schedules.days import Interval
from sensors.history import Stretch
from sensors.models import PowerState

COLOURS = {PowerState.UP: (46, 160, 67), PowerState.DOWN: (218, 54, 51), PowerState.UNKNOWN: (190, 190, 190)}
NOT_YET = (244, 244, 244)
PLANNED_OFF = (40, 40, 40)
PLANNED_ON = (225, 225, 225)
INK = (60, 60, 60)
WIDTH, LEFT, TOP, RIGHT, BOTTOM = 800, 56, 26, 20, 10


def power_chart(
    stretches: list[Stretch],
    start: datetime,
    now: datetime,
    days: int,
    tz: zoneinfo.ZoneInfo,
    planned: Sequence[Interval] | None = None,
) -> bytes:
    """A PNG of `days` rows from local midnight at `start`; time after `now` is left blank.
    With `planned` (a schedule), each row's upper part shows the planned-off time."""
    row_height = 56 if days <= 3 else 32 if days <= 7 else 16
    image = Image.new("RGB", (WIDTH, TOP + days * row_height + BOTTOM), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=12)
    span = WIDTH - LEFT - RIGHT
    for hour in range(0, 25, 3 if days == 1 else 6):
        x = LEFT + span * hour // 24
        draw.text((x, TOP - 4), f"{hour:02d}", fill=INK, font=font, anchor="md")
    first_day = timezone.localtime(start, tz).date()
    for row in range(days):
        day = first_day + timedelta(days=row)
        # In UTC: aware datetimes sharing a tzinfo subtract as wall clocks.
        row_start = datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
        row_end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
        length = (row_end - row_start).total_seconds()  # 23 or 25 hours on DST days

        def x_of(moment: datetime, row_start: datetime = row_start, length: float = length) -> float:
            offset = min(max((moment - row_start).total_seconds(), 0), length)
            return LEFT + span * offset / length

        top = TOP + row * row_height + 2
        bottom = top + row_height - 4
        if planned is not None:
            band = top + (bottom - top) // 3
            draw.rectangle((LEFT, top, LEFT + span, band), fill=PLANNED_ON)
            for off in planned:
                begin, end = max(off.start, row_start), min(off.end, row_end)
                if begin < end:
                    draw.rectangle((x_of(begin), top, x_of(end), band), fill=PLANNED_OFF)
            top = band + 2
        draw.rectangle((LEFT, top, LEFT + span, bottom), fill=NOT_YET)
        if row_start < now:
            draw.rectangle((LEFT, top, x_of(now), bottom), fill=COLOURS[PowerState.UNKNOWN])
        for stretch in stretches:
            begin, end = max(stretch.start, row_start), min(stretch.end, row_end, now)
            if begin < end:
                draw.rectangle((x_of(begin), top, x_of(end), bottom), fill=COLOURS[stretch.state])
        draw.text((LEFT - 6, (top + bottom) / 2), day.strftime("%d.%m"), fill=INK, font=font, anchor="rm")
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
