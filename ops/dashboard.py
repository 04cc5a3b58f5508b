"""What an operator needs to know first, on one screen: the admin's "Now" page.

Each part is read from the state the apps keep; nothing here decides anything. Lists are
cut to their first rows; the counts and the links behind them are whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.db.models import Count, F, Q
from django.utils import timezone

from buildings.models import Section
from firmware.models import FirmwareRelease
from firmware.services import with_running_on
from notifications import outbox
from notifications.budget import telegram_paused_until
from notifications.models import Message, NotificationPause
from powerbot.models import SourceHealth
from sensors.models import MappingImport, MassSilence, PowerState, SectionPower, Sensor
from sensors.power import detector_late, last_tick
from sensors.reports import silent_boards
from sensors.status import with_online

if TYPE_CHECKING:
    from firmware.services import RunningRelease

SHOWN = 20  # rows of each list; the link behind it lists them all
RECENT = timedelta(hours=1)


@dataclass(frozen=True)
class SectionLine:
    section: Section
    state: str
    since: datetime | None
    cause: str


@dataclass(frozen=True)
class Sender:
    queued: int
    sending: int
    failed_last_hour: int  # of the messages queued in the last hour
    sent_last_hour: int
    oldest_due: datetime | None
    telegram_paused_until: datetime | None  # a 429 silences the bot until then


@dataclass(frozen=True)
class Now:
    at: datetime
    sections: list[SectionLine]
    sections_count: int
    offline: list[Sensor]
    offline_count: int
    silent_boards: list[Sensor]
    silent_boards_count: int
    silent_hours: int
    mass_silence: MassSilence | None
    pause: NotificationPause | None
    sender: Sender
    detector_tick: datetime | None
    detector_late: bool
    sources: list[SourceHealth]
    releases: list[RunningRelease]  # each with running_on: boards of its kind on it
    actions: list[LogEntry]
    imports: list[MappingImport]


def now_summary(now: datetime | None = None) -> Now:
    now = now or timezone.now()
    sections = _sections_not_up(now)
    enabled = with_online(Sensor.objects.filter(enabled=True), now)
    offline = enabled.filter(is_up=False).select_related("section__building")  # type: ignore[misc]  # is_up: with_online's annotation
    silent = silent_boards(now)
    tick = last_tick()
    return Now(
        at=now,
        sections=sections[:SHOWN],
        sections_count=len(sections),
        offline=list(offline.order_by(F("last_heartbeat").desc(nulls_last=True))[:SHOWN]),
        offline_count=offline.count(),
        silent_boards=list(silent.order_by("last_heartbeat")[:SHOWN]),
        silent_boards_count=silent.count(),
        silent_hours=settings.OPERATOR_SILENT_SENSOR_HOURS,
        mass_silence=MassSilence.objects.filter(open=True).first(),
        pause=NotificationPause.objects.filter(open=True).first(),
        sender=_sender(now),
        detector_tick=tick,
        detector_late=detector_late(tick, now),
        sources=list(SourceHealth.objects.order_by("source")),
        releases=_releases(),
        actions=list(LogEntry.objects.select_related("user", "content_type").order_by("-action_time")[:SHOWN]),
        imports=list(MappingImport.objects.all()[:5]),
    )


def _sections_not_up(now: datetime) -> list[SectionLine]:
    """Sections down or unknown, down first, the longest first; a section never heard from is unknown."""
    not_up = SectionPower.objects.exclude(state=PowerState.UP).select_related("section__building")
    lines = [SectionLine(power.section, power.state, power.since, power.get_cause_display()) for power in not_up]
    never = Section.objects.filter(power__isnull=True).select_related("building")
    lines += [SectionLine(section, PowerState.UNKNOWN, None, "no sensor heard yet") for section in never]
    return sorted(lines, key=lambda line: (line.state != PowerState.DOWN, line.since or now))


def _sender(now: datetime) -> Sender:
    counts = Message.objects.aggregate(
        queued=Count("pk", filter=Q(state=Message.State.PENDING, not_before__lte=now)),
        sending=Count("pk", filter=Q(state=Message.State.SENDING)),
        failed=Count("pk", filter=Q(state=Message.State.FAILED, created_at__gte=now - RECENT)),
        sent=Count("pk", filter=Q(state=Message.State.SENT, sent_at__gte=now - RECENT)),
    )
    oldest = outbox.next_due()
    return Sender(
        counts["queued"],
        counts["sending"],
        counts["failed"],
        counts["sent"],
        oldest if oldest is not None and oldest <= now else None,
        telegram_paused_until(),
    )


def _releases() -> list[RunningRelease]:
    """The newest active release of each board and channel."""
    releases = with_running_on(FirmwareRelease.objects.filter(active=True)).order_by("board", "channel", "-created_at")
    newest: dict[tuple[str, str], RunningRelease] = {}
    for release in releases:
        newest.setdefault((release.board, release.channel), release)
    return list(newest.values())
