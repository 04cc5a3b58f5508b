"""The public sensor list as this process last rendered it, answered again while it is true.

Third parties poll the list of thousands many times a second, and rendering it costs far
more than the request around it. A rendered list stays true until the list's version
changes (every write that may change it renews the version: sensors.models) or until the
first moment a sensor's state changes with nothing written (a deadline passing, a freeze
running out: sensors.status.next_state_change). So a read costs one small query, and still
answers from the current state: what was written before it is in its answer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.http import quote_etag

from sensors.models import SensorListVersion
from sensors.status import next_state_change, public_sensor_states

# However exact the version, a list is rendered afresh at least this often: a write made
# outside the ORM (an operator's SQL, a restored backup) shows within it.
MAX_AGE = timedelta(seconds=30)


@dataclass(frozen=True)
class RenderedList:
    version: int | None
    valid_until: datetime
    body: bytes
    etag: str


_latest: RenderedList | None = None


def render(now: datetime) -> bytes:
    # Rendered here because DRF's generic renderer costs more than the query; the schema
    # test holds the shape to SensorStatusListSerializer.
    sensors = [{"id": pk, "is_up": up} for pk, up in public_sensor_states(now)]
    return json.dumps({"sensors": sensors}, separators=(",", ":")).encode()


def current() -> RenderedList:
    """The list as it is now: the one rendered last if it is still true, else a new one."""
    global _latest
    version = SensorListVersion.current()  # read before the rows: a change after it renews it
    now = timezone.now()
    latest = _latest
    if latest is not None and version is not None and latest.version == version and now < latest.valid_until:
        return latest
    body = render(now)
    valid_until = min(filter(None, (next_state_change(now), now + MAX_AGE)))
    etag = quote_etag(hashlib.md5(body, usedforsecurity=False).hexdigest())
    rendered = RenderedList(version, valid_until, body, etag)
    # Before the list has ever changed there is no version to hold it to: render each time.
    _latest = rendered if version is not None else None
    return rendered
