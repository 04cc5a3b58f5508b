"""PowerBot's metrics in Prometheus' text format, read from the database at scrape time.

Counters come from `powerbot.counters` (every process's events, flushed to the database);
gauges are computed from the current state. Any web process answers for the whole
deployment, so a scrape through a load balancer sees the same figures whichever process
it reaches.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from alerts.models import Region
from alerts.services import shown
from firmware.services import CHECK_RESULTS, refusing_sensors
from notifications import outbox
from notifications.delivery import DELIVERY_RESULTS
from notifications.models import Message
from powerbot import counters
from powerbot.models import SourceHealth
from powerbot.sources import FETCH_RESULTS as SOURCE_FETCH_RESULTS
from powerbot.throttling import KINDS as RATE_LIMIT_KINDS
from schedules.services import FETCH_RESULTS
from sensors.mqtt import MESSAGE_KINDS, WILL_RESULTS
from sensors.power import last_tick
from sensors.reports import fleet_summary

# Counter name -> (help, label name or "" for none). Every name counted anywhere is listed here.
COUNTERS: dict[str, tuple[str, str]] = {
    "heartbeats_accepted": ("Heartbeats accepted.", ""),
    "heartbeats_rejected": ("Heartbeats rejected, by reason.", "reason"),
    "deliveries": ("Telegram deliveries by result: sent, retried, failed, deactivated.", "result"),
    "telegram_rate_limited": ("Telegram answers 429 Too Many Requests.", ""),
    "firmware_checks": ("Firmware update checks by answer: offered (a newer release) or current.", "result"),
    "firmware_downloads": ("Firmware images served.", ""),
    "schedule_fetches": (
        "Planned-outage schedule fetches by result: ok, partial (some groups unreadable), failed.",
        "result",
    ),
    "alert_fetches": ("Air-raid alert source requests by result: ok, failed.", "result"),
    "weather_fetches": ("Weather source requests by result: ok, failed.", "result"),
    "mqtt_messages": ("MQTT messages received, by topic kind: heartbeat, status.", "kind"),
    "mqtt_rejected": ("MQTT messages rejected, by reason.", "reason"),
    "mqtt_wills": ("MQTT last wills by result: taken, ignored, stale (retained), withdrawn.", "result"),
    "rate_limited": (
        "Requests refused over a rate limit (429), by kind: read_api, heartbeat, bad_key, firmware_download.",
        "kind",
    ),
}
# Labels that exist from the start, so a rate() over them works before the first event.
KNOWN_LABELS = {
    "deliveries": DELIVERY_RESULTS,
    "firmware_checks": CHECK_RESULTS,
    "schedule_fetches": FETCH_RESULTS,
    "alert_fetches": SOURCE_FETCH_RESULTS,
    "weather_fetches": SOURCE_FETCH_RESULTS,
    "mqtt_messages": MESSAGE_KINDS,
    "mqtt_wills": WILL_RESULTS,
    "rate_limited": RATE_LIMIT_KINDS,
}


class PowerBotCollector:
    def collect(self) -> Iterator[Metric]:
        yield from self._counters()
        yield from self._gauges()

    def _counters(self) -> Iterator[Metric]:
        counters.flush(force=True)  # this process's own recent events too
        for name, (help_text, label) in COUNTERS.items():
            family = CounterMetricFamily(f"powerbot_{name}", help_text, labels=[label] if label else None)
            values = dict.fromkeys(KNOWN_LABELS.get(name, ()), 0) | counters.totals(name)
            if label:
                for key, value in sorted(values.items()):
                    family.add_metric([key], value)
            else:
                family.add_metric([], values.get("", 0))
            yield family

    def _gauges(self) -> Iterator[Metric]:
        fleet = fleet_summary()
        sensors = GaugeMetricFamily("powerbot_sensors", "Enabled sensors by state.", labels=["state"])
        sensors.add_metric(["online"], fleet.sensors - fleet.sensors_offline)
        sensors.add_metric(["offline"], fleet.sensors_offline)
        yield sensors
        sections = GaugeMetricFamily("powerbot_sections", "Sections by recorded power state.", labels=["state"])
        for state, value in (
            ("up", fleet.sections_up),
            ("down", fleet.sections_down),
            ("unknown", fleet.sections_unknown),
        ):
            sections.add_metric([state], value)
        yield sections
        yield GaugeMetricFamily(
            "powerbot_mass_silence_open",
            "1 while a mass silence holds power-off changes.",
            value=int(fleet.mass_silence is not None),
        )
        ticked = last_tick()
        lag = math.inf if ticked is None else max((timezone.now() - ticked).total_seconds(), 0.0)
        yield GaugeMetricFamily(
            "powerbot_detector_tick_lag_seconds",
            "Seconds since the offline detector last ran (+Inf: never).",
            value=lag,
        )
        refusing = GaugeMetricFamily(
            "powerbot_firmware_refusing_sensors",
            "Enabled sensors whose boards report refusing an offered firmware image, by reason "
            "(unsigned, bad_signature, wrong_size, wrong_checksum).",
            labels=["reason"],
        )
        for reason, count in refusing_sensors().items():
            refusing.add_metric([reason], count)
        yield refusing
        yield from self._sources()
        yield from self._alert_regions()
        depth = outbox.depth()
        family = GaugeMetricFamily(
            "powerbot_outbox_messages", "Messages queued or being sent, by kind.", labels=["kind"]
        )
        for kind in Message.Kind.values:
            family.add_metric([kind], depth.get(kind, 0))
        yield family

    def _sources(self) -> Iterator[Metric]:
        now = timezone.now()
        age = GaugeMetricFamily(
            "powerbot_source_data_age_seconds",
            "Seconds since an outside source (schedules, alerts) last answered well (+Inf: never).",
            labels=["source"],
        )
        failures = GaugeMetricFamily(
            "powerbot_source_failures",
            "Failed fetches of an outside source since its last good one.",
            labels=["source"],
        )
        for health in SourceHealth.objects.order_by("source"):
            ok = health.last_success_at
            age.add_metric([health.source], math.inf if ok is None else max((now - ok).total_seconds(), 0.0))
            failures.add_metric([health.source], health.failures)
        yield age
        yield failures

    def _alert_regions(self) -> Iterator[Metric]:
        now = timezone.now()
        state = GaugeMetricFamily(
            "powerbot_alert_region_state",
            "1 for each watched region's state: active, clear or unknown.",
            labels=["region", "state"],
        )
        disagree = GaugeMetricFamily(
            "powerbot_alert_sources_disagree",
            "1 while fresh alert sources say different things of a region.",
            labels=["region"],
        )
        age = GaugeMetricFamily(
            "powerbot_alert_answer_age_seconds",
            "Seconds since a source last answered well on a region (+Inf: never).",
            labels=["region", "source"],
        )
        for region in Region.objects.filter(watched=True).prefetch_related("readings"):
            state.add_metric([region.uid, shown(region.uid, region).state], 1)
            disagree.add_metric([region.uid], int(region.disagreement))
            for reading in region.readings.all():
                seconds = (
                    math.inf if reading.answered_at is None else max((now - reading.answered_at).total_seconds(), 0)
                )
                age.add_metric([region.uid, reading.source], seconds)
        yield state
        yield disagree
        yield age


def render() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PowerBotCollector())
    return generate_latest(registry)
