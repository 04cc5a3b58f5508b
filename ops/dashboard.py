"""What an operator needs to know first, on one screen: the admin's "Now" page.

Each part is read from the state the apps keep; nothing here decides anything. Lists are
cut to their first rows; the counts and the links behind them are whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from buildings.models import Section
from firmware.models import FirmwareRelease
from firmware.services import with_running_on
from notifications.budget import telegram_paused_until
from notifications.models import Message, NotificationPause
from powerbot.models import SourceHealth
from sensors.models import MappingImport, MassSilence, PowerState, SectionPower, Sensor
from sensors.power import last_tick
from sensors.status import sensor_timeout

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
class Release:
    release: FirmwareRelease
    on_it: int  # enabled sensors of its board reporting its version


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
    releases: list[Release]
    actions: list[LogEntry]
    imports: list[MappingImport]


def now_summary(now: datetime | None = None) -> Now:
    now = now or timezone.now()
    sections = _sections_not_up()
    offline = Sensor.objects.filter(enabled=True, online=False).select_related("section__building")
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
        detector_late=tick is None or now - tick > max(sensor_timeout(), timedelta(minutes=1)),
        sources=list(SourceHealth.objects.order_by("source")),
        releases=_releases(),
        actions=list(LogEntry.objects.select_related("user", "content_type").order_by("-action_time")[:SHOWN]),
        imports=list(MappingImport.objects.all()[:5]),
    )


def silent_boards(now: datetime) -> QuerySet[Sensor]:
    """Enabled sensors silent for OPERATOR_SILENT_SENSOR_HOURS while another sensor of their
    section is online: a board broken or unplugged, the commonest fault in the field. None
    while a mass silence is held: then silence says nothing of a board."""
    if MassSilence.objects.filter(open=True).exists():
        return Sensor.objects.none()
    quiet_since = now - timedelta(hours=settings.OPERATOR_SILENT_SENSOR_HOURS)
    heard_beside = Sensor.objects.filter(section=OuterRef("section"), enabled=True, online=True)
    return Sensor.objects.filter(
        Exists(heard_beside), enabled=True, online=False, last_heartbeat__lt=quiet_since
    ).select_related("section__building")


def _sections_not_up() -> list[SectionLine]:
    """Sections down or unknown, the longest so first; a section never heard from is unknown."""
    recorded = {
        power.section_id: power
        for power in SectionPower.objects.exclude(state=PowerState.UP).select_related("section__building")
    }
    never = Section.objects.filter(power__isnull=True).select_related("building")
    lines = [
        SectionLine(power.section, power.state, power.since, power.get_cause_display()) for power in recorded.values()
    ]
    lines += [SectionLine(section, PowerState.UNKNOWN, None, "no sensor heard yet") for section in never]
    return sorted(lines, key=lambda line: (line.state != PowerState.DOWN, line.since or timezone.now()))


def _sender(now: datetime) -> Sender:
    counts = Message.objects.aggregate(
        queued=Count("pk", filter=Q(state=Message.State.PENDING, not_before__lte=now)),
        sending=Count("pk", filter=Q(state=Message.State.SENDING)),
        failed=Count("pk", filter=Q(state=Message.State.FAILED, created_at__gte=now - RECENT)),
        sent=Count("pk", filter=Q(state=Message.State.SENT, sent_at__gte=now - RECENT)),
    )
    oldest = (
        Message.objects.filter(state=Message.State.PENDING, not_before__lte=now)
        .order_by("not_before")
        .values_list("not_before", flat=True)
        .first()
    )
    return Sender(
        counts["queued"], counts["sending"], counts["failed"], counts["sent"], oldest, telegram_paused_until()
    )


def _releases() -> list[Release]:
    """The active release of each board and channel, with how many boards of its kind report it."""
    releases = with_running_on(FirmwareRelease.objects.filter(active=True)).order_by("board", "channel", "-created_at")
    shown: dict[tuple[str, str], Release] = {}
    for release in releases:
        shown.setdefault((release.board, release.channel), Release(release, release.running_on))
    return list(shown.values())
