"""Operators' alerts in Telegram: trouble that needs a person, told once per occurrence.

`check()` runs every minute (a beat task). Each condition it finds is an OperatorAlert row
opened once (a unique constraint among open rows, so two workers checking at once tell it
once) and closed when the condition clears; it comes back as a new row. Messages go through
the outbox as their own kind (notifications.outbox.notify_operators): to ADMIN_TELEGRAM_IDS
only, never held by the notification pause.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications import outbox
from notifications.models import Message
from ops.models import OperatorAlert
from powerbot.models import SourceHealth
from sensors.models import MassSilence
from sensors.power import detector_late, last_tick
from sensors.reports import silent_boards

STUCK_AFTER = timedelta(minutes=5)
SOURCE_STALE_AFTER = timedelta(minutes=30)
STALE_FAILURES = 3


@dataclass(frozen=True)
class Trouble:
    kind: OperatorAlert.Kind
    subject: str
    text: Callable[[], str]  # called in each operator's language


def check(now: datetime | None = None) -> int:
    """Open what is new, close what cleared; how many messages were queued."""
    now = now or timezone.now()
    if not settings.ADMIN_TELEGRAM_IDS:
        return 0
    found: dict[tuple[str, str], Trouble] = {(trouble.kind, trouble.subject): trouble for trouble in troubles(now)}
    queued = 0
    for alert in OperatorAlert.objects.filter(closed_at__isnull=True):
        if (alert.kind, alert.subject) in found:
            found.pop((alert.kind, alert.subject))
        elif OperatorAlert.objects.filter(pk=alert.pk, closed_at__isnull=True).update(closed_at=now):
            queued += _told_cleared(alert, now)
    for trouble in found.values():
        try:
            with transaction.atomic():
                alert = OperatorAlert.objects.create(kind=trouble.kind, subject=trouble.subject, opened_at=now)
        except IntegrityError:
            continue  # another worker opened it first, and tells it
        queued += outbox.notify_operators(f"operator:{alert.pk}", _with_link(trouble.text), now)
    return queued


def troubles(now: datetime) -> list[Trouble]:
    return [*_mass_silence(), *_silent_boards(now), *_sender_stuck(now), *_detector_late(now), *_stale_sources(now)]


def _mass_silence() -> list[Trouble]:
    silence = MassSilence.objects.filter(open=True).first()
    if silence is None:
        return []
    started = timezone.localtime(silence.started_at).strftime("%d.%m %H:%M")
    return [
        Trouble(
            OperatorAlert.Kind.MASS_SILENCE,
            str(silence.pk),
            lambda: (
                _(
                    "⚠️ Mass silence since %(time)s: %(silent)d of %(active)d sensors in %(buildings)d buildings "
                    "fell silent together. Power-off changes are held and nobody is told. Check the server's "
                    "network; the hold ends by itself, or release it in the admin."
                )
                % {
                    "time": started,
                    "silent": silence.silent_sensors,
                    "active": silence.active_sensors,
                    "buildings": silence.buildings,
                }
            ),
        )
    ]


def _silent_boards(now: datetime) -> list[Trouble]:
    hours = settings.OPERATOR_SILENT_SENSOR_HOURS
    return [
        Trouble(
            OperatorAlert.Kind.SILENT_BOARD,
            str(sensor.pk),
            lambda sensor=sensor: (
                _(  # type: ignore[misc]  # bound now, called later
                    "🔧 Sensor %(sensor)s in %(section)s has been silent for %(hours)d h while its section has power "
                    "through other sensors: broken or unplugged?"
                )
                % {"sensor": sensor, "section": sensor.section, "hours": hours}
            ),
        )
        for sensor in silent_boards(now)
    ]


def _sender_stuck(now: datetime) -> list[Trouble]:
    waiting = outbox.overdue(STUCK_AFTER, now)
    sent = Message.objects.filter(state=Message.State.SENT, sent_at__gte=now - STUCK_AFTER).exists()
    if not waiting or sent:
        return []

    def text() -> str:
        return ngettext(
            "📮 %(n)d message has waited over 5 minutes and nothing was sent: is the sender running, "
            "and can it reach Telegram?",
            "📮 %(n)d messages have waited over 5 minutes and nothing was sent: is the sender running, "
            "and can it reach Telegram?",
            waiting,
        ) % {"n": waiting}

    return [Trouble(OperatorAlert.Kind.SENDER_STUCK, "", text)]


def _detector_late(now: datetime) -> list[Trouble]:
    tick = last_tick()
    if tick is None or not detector_late(tick, now):
        return []  # on time, or never ran: a fresh install, which the Now page shows
    return [
        Trouble(
            OperatorAlert.Kind.DETECTOR_LATE,
            "",
            lambda: (
                _(
                    "⏱ The offline detector last ran %(minutes)d minutes ago: outages are not being found. "
                    "Is the worker with beat running?"
                )
                % {"minutes": (now - tick).total_seconds() // 60}
            ),
        )
    ]


def _stale_sources(now: datetime) -> list[Trouble]:
    """Sources failing a few times in a row with no good answer for a while: one failure of a
    source asked hourly is not yet trouble."""
    stale = SourceHealth.objects.filter(failures__gte=STALE_FAILURES).exclude(
        last_success_at__gte=now - SOURCE_STALE_AFTER
    )
    return [
        Trouble(
            OperatorAlert.Kind.SOURCE_STALE,
            source.source,
            lambda source=source: (  # type: ignore[misc]  # bound now, called later
                _(
                    "🛰 %(source)s has not answered well for over 30 minutes (failures in a row: %(failures)d; "
                    "the last: %(error)s). Residents see its last good data with its age."
                )
                % {"source": source.source, "failures": source.failures, "error": source.last_error or "?"}
            ),
        )
        for source in stale
    ]


def _with_link(text: Callable[[], str]) -> Callable[[], str]:
    return lambda: f"{text()}\n{settings.SITE_URL}/admin/"


def _told_cleared(alert: OperatorAlert, now: datetime) -> int:
    """Only a mass silence's end is news: the held sections now get their true state."""
    if alert.kind != OperatorAlert.Kind.MASS_SILENCE:
        return 0
    return outbox.notify_operators(
        f"operator:{alert.pk}:closed",
        _with_link(lambda: _("✅ The mass silence is over: held sections got their true state.")),
        now,
    )
