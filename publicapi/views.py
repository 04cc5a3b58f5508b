"""Read-only API for third parties. Views only fetch and shape; rules live in sensors.status."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from buildings.models import MAX_BUILDING_ID, Building
from powerbot.api import ERROR, JSONAPIView
from publicapi.authentication import HasReadKey, ReadKeyAuthentication
from publicapi.serializers import (
    BuildingListSerializer,
    BuildingSerializer,
    BuildingStatusSerializer,
    SensorStatusListSerializer,
    SensorStatusSerializer,
)
from sensors.status import public_sensor_state, public_sensor_states, section_statuses

MAX_ID = 2**63 - 1
SENSOR_LIST_CACHE_KEY = "publicapi:sensor-list"


def render_sensor_list() -> bytes:
    sensors = [{"id": pk, "is_up": up} for pk, up in public_sensor_states()]
    return json.dumps({"sensors": sensors}, separators=(",", ":")).encode()
AUTH_ERRORS = {401: ERROR, 503: ERROR}


def positive_id(raw: str, name: str, maximum: int) -> int | None:
    """The path parameter as an id; None when it is too large to exist."""
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise ValidationError(f"{name} must be a positive integer")
    value = int(raw)
    return value if value <= maximum else None


class ReadOnlyView(JSONAPIView):
    authentication_classes = [ReadKeyAuthentication]
    permission_classes = [HasReadKey]


class SensorStatusListView(ReadOnlyView):
    @extend_schema(responses={200: SensorStatusListSerializer, **AUTH_ERRORS})
    def get(self, request: Request) -> Response:
        """Every active sensor; a silent one stays listed with is_up false."""
        # Third parties poll this list of thousands many times a second: the rendered
        # body is shared for PUBLIC_API_CACHE_SEC (a second by default, far below the
        # sensor timeout), and rendered here because DRF's generic renderer costs more
        # than the query. The schema test holds the shape to SensorStatusListSerializer.
        body = cache.get_or_set(SENSOR_LIST_CACHE_KEY, render_sensor_list, settings.PUBLIC_API_CACHE_SEC)
        return HttpResponse(body, content_type="application/json")


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
        building.statuses = section_statuses(building.sections.all())
        return Response(BuildingStatusSerializer(building).data)
