"""Response shapes of the read-only API, also the source of its OpenAPI schema."""

from datetime import datetime
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alerts.models import Alert
from neighbours.models import Kind
from neighbours.services import Tally
from sensors.history import Period
from sensors.models import PowerEvent, PowerState
from sensors.status import SectionStatus


class SensorStatusSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    is_up = serializers.BooleanField()


# The sensor list is built as plain dicts (it is the hottest read); these two
# serializers describe it for the schema, and a test holds the two together.
class SensorStatusListSerializer(serializers.Serializer[Any]):
    sensors = SensorStatusSerializer(many=True)


class BuildingSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    timezone = serializers.CharField(source="tz.key")
    section_count = serializers.IntegerField()
    default_section = serializers.IntegerField()


class BuildingListSerializer(serializers.Serializer[Any]):
    buildings = BuildingSerializer(many=True)


class TallySerializer(serializers.Serializer[Any]):
    yes = serializers.IntegerField()
    no = serializers.IntegerField()


class NeighbourReportsSerializer(serializers.Serializer[Any]):
    """Residents' answers that count now: since the section's last power change, within
    NEIGHBOUR_REPORT_HOURS."""

    heating = TallySerializer()
    water = TallySerializer()


class SectionStatusSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField(source="section.number")
    name = serializers.CharField(source="section.label")
    state = serializers.ChoiceField(choices=PowerState.choices)
    since = serializers.DateTimeField(allow_null=True)
    sensors_online = serializers.IntegerField()
    sensors_total = serializers.IntegerField()
    reports = serializers.SerializerMethodField()

    @extend_schema_field(NeighbourReportsSerializer)
    def get_reports(self, status: SectionStatus) -> dict[str, Any]:
        answers = self.context["reports"].get(status.section.pk, {})
        return NeighbourReportsSerializer({kind.value: answers.get(kind, Tally()) for kind in Kind}).data


class BuildingStatusSerializer(BuildingSerializer):
    sections = SectionStatusSerializer(many=True, source="statuses")


class PowerEventSerializer(serializers.ModelSerializer[PowerEvent]):
    class Meta:
        model = PowerEvent
        fields = ["sequence", "state", "at", "cause", "previous_state", "reason"]


class AlertRegionSerializer(serializers.Serializer[Any]):
    region = serializers.CharField(help_text="alerts.in.ua's region number (31 is Kyiv).")
    state = serializers.ChoiceField(choices=["active", "clear", "unknown"])
    since = serializers.DateTimeField(allow_null=True, help_text="When this state began (an alert: its start).")


class AlertRegionListSerializer(serializers.Serializer[Any]):
    regions = AlertRegionSerializer(many=True)


class AlertSerializer(serializers.ModelSerializer[Alert]):
    duration_seconds = serializers.SerializerMethodField(help_text="Empty while the alert is under way.")

    class Meta:
        model = Alert
        fields = ["started_at", "ended_at", "duration_seconds", "first_source"]

    def get_duration_seconds(self, alert: Alert) -> int | None:
        return None if alert.duration is None else int(alert.duration.total_seconds())


class BoundedDateTimeField(serializers.DateTimeField):
    """DRF's field, but a time that cannot be placed in the timezone (the year 1 east of
    UTC) is its "out of range" error rather than an OverflowError from its own check."""

    def enforce_timezone(self, value: datetime) -> datetime:
        try:
            return super().enforce_timezone(value)
        except OverflowError:
            self.fail("overflow")


class EventsQuerySerializer(serializers.Serializer[Any]):
    since = BoundedDateTimeField(required=False, help_text="Only events that began at or after this time.")


class StatsQuerySerializer(serializers.Serializer[Any]):
    period = serializers.ChoiceField(choices=[p.value for p in Period], default=Period.DAY.value)


class PlannedVersusActualSerializer(serializers.Serializer[Any]):
    group = serializers.CharField(help_text="The section's planned-outage group.")
    planned_off_seconds = serializers.IntegerField(help_text="Planned off in the period so far.")
    actual_off_seconds = serializers.IntegerField(help_text="Off in the period so far, as the sensors saw it.")
    unplanned_off_seconds = serializers.IntegerField(help_text="Of the time off, the part nothing was planned for.")
    outages_outside_schedule = serializers.IntegerField(help_text="Outages that overlap no planned outage.")


class OffIntervalSerializer(serializers.Serializer[Any]):
    start = serializers.CharField(help_text="HH:MM in the building's time zone.")
    end = serializers.CharField(help_text='HH:MM; "24:00" when it runs to the end of the day.')


class ScheduleDaySerializer(serializers.Serializer[Any]):
    date = serializers.DateField()
    status = serializers.ChoiceField(choices=["applies", "none", "emergency", "unknown"])
    off = OffIntervalSerializer(many=True)


class SectionScheduleSerializer(serializers.Serializer[Any]):
    group = serializers.CharField(allow_null=True, help_text="Null when the section has no group yet.")
    # The contract's name; DRF takes declared fields off the class, so Field.source is not shadowed.
    source = serializers.CharField(  # type: ignore[assignment]
        allow_null=True, help_text="yasno or file; null without data."
    )
    fetched_at = serializers.DateTimeField(allow_null=True, help_text="When the oldest data shown was fetched.")
    days = ScheduleDaySerializer(many=True, help_text="Today and tomorrow in the building's time zone.")


class SectionStatsSerializer(serializers.Serializer[Any]):
    building_id = serializers.IntegerField(source="section.building_id")
    section = serializers.IntegerField(source="section.number")
    period = serializers.ChoiceField(choices=[p.value for p in Period], source="stats.period")
    start = serializers.DateTimeField(
        source="stats.start", help_text="Start of the period, in the building's timezone."
    )
    end = serializers.DateTimeField(source="stats.end")
    uptime_share = serializers.FloatField(
        source="stats.uptime_share",
        allow_null=True,
        help_text="Share of the known time with power, 0..1.",
    )
    up_seconds = serializers.IntegerField(source="stats.up_seconds")
    down_seconds = serializers.IntegerField(source="stats.down_seconds")
    unknown_seconds = serializers.IntegerField(source="stats.unknown_seconds")
    outages = serializers.IntegerField(source="stats.outages")
    total_outage_seconds = serializers.IntegerField(source="stats.total_outage_seconds")
    longest_outage_seconds = serializers.IntegerField(source="stats.longest_outage_seconds")
    current_state = serializers.ChoiceField(choices=PowerState.choices, source="stats.current_state")
    current_since = serializers.DateTimeField(source="stats.current_since", allow_null=True)
    current_seconds = serializers.IntegerField(source="stats.current_seconds", allow_null=True)
    previous_state = serializers.ChoiceField(
        choices=PowerState.choices,
        source="stats.previous_state",
        allow_null=True,
    )
    previous_seconds = serializers.IntegerField(source="stats.previous_seconds", allow_null=True)
    schedule = PlannedVersusActualSerializer(
        allow_null=True,
        help_text="The period held against the planned-outage schedule; null without a group.",
    )
