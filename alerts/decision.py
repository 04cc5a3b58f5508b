"""One truth from several sources: what a region's state is, given what each source said.

*active* when any fresh source says active; *clear* only when every fresh source has said
clear after the last time any source said active; *unknown* when no source is fresh. In
between (a source said active, another said clear before that, and has not answered since)
the alert is not over: a region is cleared only when every source still answering agrees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.models import State


@dataclass(frozen=True)
class Said:
    """A source's last good answer on a region."""

    active: bool | None
    answered_at: datetime | None
    last_active_at: datetime | None = None


def fresh(said: Sequence[Said], now: datetime, freshness: timedelta) -> list[Said]:
    return [s for s in said if s.answered_at is not None and s.active is not None and now - s.answered_at < freshness]


def decide(said: Sequence[Said], now: datetime, freshness: timedelta) -> State:
    current = fresh(said, now, freshness)
    if not current:
        return State.UNKNOWN
    if any(s.active for s in current):
        return State.ACTIVE
    last_active = max((s.last_active_at for s in said if s.last_active_at is not None), default=None)
    if last_active is None or all(s.answered_at is not None and s.answered_at > last_active for s in current):
        return State.CLEAR
    return State.ACTIVE


def disagree(said: Sequence[Said], now: datetime, freshness: timedelta) -> bool:
    """Fresh sources say different things (one active, another clear)."""
    return len({s.active for s in fresh(said, now, freshness)}) > 1
