"""Read-only API for third parties. Views only fetch and shape; rules live in sensors.status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from alerts import services as alerts
from alerts.models import Alert, Region
from buildings.models import MAX_BUILDING_ID, Building, Section
from neighbours import services as neighbours
from powerbot.api import ERROR, JSONAPIView
from publicapi import calendar, sensor_list
from publicapi.authentication import HasReadKey, ReadKeyAuthentication, ReadKeyRate
from publicapi.calendar import CalendarRenderer
from publicapi.serializers import (
    AlertRegionListSerializer,
    AlertSerializer,
    BuildingListSerializer,
    BuildingSerializer,
    BuildingStatusSerializer,
    EventsQuerySerializer,
    PowerEventSerializer,
    SectionScheduleSerializer,
    SectionStatsSerializer,
    SensorStatusListSerializer,
    SensorStatusSerializer,
    StatsQuerySerializer,
)
from schedules.services import section_plan
from schedules.versus import planned_versus_actual
from sensors.history import Period, section_events, section_stats
from sensors.models import PowerEvent
from sensors.power import recorded_section_statuses
from sensors.status import public_sensor_state

MAX_ID = 2**63 - 1
SENSOR_LIST_CACHE_KEY = "publicapi:sensor-list"
AUTH_ERRORS = {401: ERROR, 429: ERROR, 503: ERROR}


def positive_id(raw: str, name: str, maximum: int) -> int | None:
    """The path parameter as an id; None when it is too large to exist."""
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise ValidationError(f"{name} must be a positive integer")
    value = int(raw)
    return value if value <= maximum else None


class ReadOnlyView(JSONAPIView):
    authentication_classes = [ReadKeyAuthentication]
    permission_classes = [HasReadKey]
    throttle_classes = [ReadKeyRate]


class SensorStatusListView(ReadOnlyView):
    @extend_schema(
        operation_id="public_sensors_status_list", responses={200: SensorStatusListSerializer, **AUTH_ERRORS}
    )
    def get(self, request: Request) -> HttpResponse:
        """Every active sensor; a silent one stays listed with is_up false."""
        if settings.PUBLIC_API_CACHE_SEC:  # an operator's opt-in: answers may be that many seconds old
            body = cache.get_or_set(
                SENSOR_LIST_CACHE_KEY, lambda: sensor_list.current().body, settings.PUBLIC_API_CACHE_SEC
            )
            return HttpResponse(body, content_type="application/json")
        rendered = sensor_list.current()
        response = HttpResponse(rendered.body, content_type="application/json")
        response["ETag"] = rendered.etag  # computed once per rendering, not per read
        return response


class SensorStatusView(ReadOnlyView):
    @extend_schema(responses={200: SensorStatusSerializer, 400: ERROR, 404: ERROR, **AUTH_ERRORS})
    def get(self, request: Request, sensor_id: str) -> Response:
        pk = positive_id(sensor_id, "sensor_id", MAX_ID)
        state = public_sensor_state(pk) if pk else None
        if state is None:
            raise NotFound("Sensor not found")
        return Response({"id": state[0], "is_up": state[1]})


class BuildingListView(ReadOnlyView):
    @extend_schema(responses={200: BuildingListSerializer, **AUTH_ERRORS})
    def get(self, request: Request) -> Response:
        return Response({"buildings": BuildingSerializer(Building.objects.all(), many=True).data})


class BuildingStatusView(ReadOnlyView):
    @extend_schema(responses={200: BuildingStatusSerializer, 400: ERROR, 404: ERROR, **AUTH_ERRORS})
    def get(self, request: Request, building_id: str) -> Response:
        """The building with the power state of each of its sections."""
        pk = positive_id(building_id, "building_id", MAX_BUILDING_ID)
        building = Building.objects.filter(pk=pk).first() if pk else None
        if building is None:
            raise NotFound("Building not found")
        sections = list(building.sections.all())
        building.statuses = recorded_section_statuses(sections)  # type: ignore[attr-defined]  # serialized
        reports = neighbours.tallies(sections)
        return Response(BuildingStatusSerializer(building, context={"reports": reports}).data)


def find_section(building_id: str, number: str) -> Section:
    pk = positive_id(building_id, "building_id", MAX_BUILDING_ID)
    section_number = positive_id(number, "section", MAX_BUILDING_ID)
    section = Section.objects.filter(building_id=pk, number=section_number).first() if pk and section_number else None
    if section is None:
        raise NotFound("Section not found")
    return section


class Pages(CursorPagination):
    """A history a page at a time; a forged or damaged cursor is refused, not a 500."""

    page_size = 200
    page_size_query_param = "limit"
    max_page_size = 1000

    def paginate_queryset(
        self, queryset: QuerySet[Any] | Sequence[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, ValueError, TypeError, OverflowError):  # its position is no value
            raise NotFound(self.invalid_cursor_message) from None


class EventPages(Pages):
    ordering = "sequence"  # unique per section, so pages never skip or repeat an event


@extend_schema_view(
    get=extend_schema(
        parameters=[EventsQuerySerializer],
        responses={200: PowerEventSerializer(many=True), 400: ERROR, 404: ERROR, **AUTH_ERRORS},
    )
)
class SectionEventsView(ReadOnlyView, ListAPIView[PowerEvent]):
    """The section's power history, oldest first, a page at a time (follow `next`)."""

    serializer_class = PowerEventSerializer
    pagination_class = EventPages

    def get_queryset(self) -> QuerySet[PowerEvent]:
        section = find_section(self.kwargs["building_id"], self.kwargs["section"])
        query = EventsQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return section_events(section, query.validated_data.get("since"))


class SectionStatsView(ReadOnlyView):
    @extend_schema(
        parameters=[StatsQuerySerializer],
        responses={200: SectionStatsSerializer, 400: ERROR, 404: ERROR, **AUTH_ERRORS},
    )
    def get(self, request: Request, building_id: str, section: str) -> Response:
        """Uptime and outages of the current day, week or month in the building's timezone."""
        found = find_section(building_id, section)
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        stats = section_stats(found, Period(query.validated_data["period"]))
        versus = planned_versus_actual(found, stats)
        return Response(SectionStatsSerializer({"section": found, "stats": stats, "schedule": versus}).data)


class SectionScheduleView(ReadOnlyView):
    @extend_schema(responses={200: SectionScheduleSerializer, 400: ERROR, 404: ERROR, **AUTH_ERRORS})
    def get(self, request: Request, building_id: str, section: str) -> Response:
        """Planned outages today and tomorrow in the building's time zone."""
        found = find_section(building_id, section)
        return Response(SectionScheduleSerializer(schedule_document(found)).data)


def schedule_document(section: Section) -> dict[str, Any]:
    now = timezone.now()
    plan = section_plan(section, now)
    if plan is None:
        today = timezone.localtime(now, section.building.tz).date()
        return {
            "group": None,
            "source": None,
            "fetched_at": None,
            "days": [{"date": today + timedelta(days=n), "status": "unknown", "off": []} for n in (0, 1)],
        }
    shown = [day for day in plan.days if day.source is not None]
    return {
        "group": plan.group,
        "source": shown[0].source if shown else None,
        "fetched_at": min((day.fetched_at for day in shown if day.fetched_at is not None), default=None),
        "days": [
            {"date": day.date, "status": day.status, "off": [{"start": start, "end": end} for start, end in day.off]}
            for day in plan.days
        ],
    }


class SectionScheduleCalendarView(ReadOnlyView):
    # Errors answer in JSON; a calendar app asking for text/calendar is not refused with 406.
    renderer_classes = [JSONRenderer, CalendarRenderer]

    @extend_schema(responses={(200, "text/calendar"): OpenApiTypes.STR, 400: ERROR, 404: ERROR, **AUTH_ERRORS})
    def get(self, request: Request, building_id: str, section: str) -> HttpResponse:
        """The section's planned outages (the last week and the days ahead) as an iCalendar feed
        for a phone's calendar; the read key goes in the query: `?api_key=`."""
        found = find_section(building_id, section)
        return HttpResponse(calendar.planned_outages(found), content_type="text/calendar; charset=utf-8")


class AlertRegionsView(ReadOnlyView):
    """Each alert region a building is in, with its state now."""

    @extend_schema(responses={200: AlertRegionListSerializer, **AUTH_ERRORS})
    def get(self, request: Request) -> Response:
        regions = [
            {"region": state.region, "state": state.state, "since": state.since} for state in alerts.watched_states()
        ]
        return Response(AlertRegionListSerializer({"regions": regions}).data)


class AlertPages(Pages):
    ordering = ("started_at", "id")


@extend_schema_view(
    get=extend_schema(
        parameters=[EventsQuerySerializer],
        responses={200: AlertSerializer(many=True), 400: ERROR, 404: ERROR, **AUTH_ERRORS},
    )
)
class AlertHistoryView(ReadOnlyView, ListAPIView[Alert]):
    """A region's alerts, oldest first, a page at a time (follow `next`); `since` keeps
    those that began at or after it."""

    serializer_class = AlertSerializer
    pagination_class = AlertPages

    def get_queryset(self) -> QuerySet[Alert]:
        region = Region.objects.filter(uid=self.kwargs["region"]).first()
        if region is None:
            raise NotFound("Region not found: no building is or was in it")
        query = EventsQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return alerts.history(region, query.validated_data.get("since"))
