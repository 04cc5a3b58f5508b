"""Readiness and metrics: for the orchestrator and for Prometheus, not for residents."""

from __future__ import annotations

import hmac
import ipaddress
import logging
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema, inline_serializer
from prometheus_client import CONTENT_TYPE_LATEST
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from notifications import delivery
from ops import metrics
from powerbot.api import JSONAPIView, presented_key
from powerbot.celery import app
from sensors.power import detector_late, last_tick

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SEC = 3
SENDER_LATE_SEC = 120  # past a long 429 pause or a large broadcast's tail


def _database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return f"cannot query the database ({type(exc).__name__})"
    return None


def _broker() -> str | None:
    try:
        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SEC)
    except Exception as exc:  # kombu raises the transport's own errors, of many kinds
        return f"cannot reach the broker ({type(exc).__name__})"
    return None


def _detector() -> str | None:
    """The offline detector ticks every SENSOR_CHECK_INTERVAL_SEC in a worker: long silent, no
    outage is being found (a worker or beat that is down, or cannot reach the database)."""
    ticked, now = last_tick(), timezone.now()
    if ticked is None or not detector_late(ticked, now):
        return None
    return f"the offline detector has not run for {(now - ticked).total_seconds():.0f} s"


def _sender() -> str | None:
    """Messages due for minutes and still queued, and no sender at work: none is running (or
    it cannot reach the database)."""
    if not settings.TELEGRAM_BOT_TOKEN:
        return None  # messages wait for a token by design
    late = delivery.stalled(timedelta(seconds=SENDER_LATE_SEC))
    return f"{late} message(s) due for over {SENDER_LATE_SEC} s are not sent" if late else None


class ReadyView(JSONAPIView):
    """Readiness of the whole service: the database answers, the broker accepts a connection,
    the offline detector keeps ticking, and queued messages are being sent.

    The failure says which part failed and the kind of error, never a URL (it may hold a password).
    """

    @extend_schema(
        responses={
            (200, "application/json"): inline_serializer(
                "Ready", {"status": serializers.CharField(), "checks": serializers.DictField()}
            ),
            (503, "application/json"): inline_serializer(
                "NotReady", {"status": serializers.CharField(), "checks": serializers.DictField()}
            ),
        }
    )
    def get(self, request: Request) -> Response:
        checks = {"database": _database() or "ok", "broker": _broker() or "ok"}
        if checks["database"] == "ok":
            checks |= {"detector": _detector() or "ok", "sender": _sender() or "ok"}
        if any(check != "ok" for check in checks.values()):
            logger.warning("not ready: %s", checks)
            return Response({"status": "unavailable", "checks": checks}, status=503)
        return Response({"status": "ok", "checks": checks})


def _may_scrape(request: HttpRequest) -> bool:
    key = presented_key(request)
    if settings.METRICS_KEY and key and hmac.compare_digest(key.encode(), settings.METRICS_KEY.encode()):
        return True
    # The connection's own address: X-Forwarded-For is the client's word, and on the sensors'
    # plain port (no proxy in front) anyone could write 127.0.0.1 there.
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_IPS)


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for METRICS_KEY (bearer) or an address in METRICS_ALLOWED_IPS."""
    if not _may_scrape(request):
        return HttpResponse(
            "Forbidden: send METRICS_KEY as `Authorization: Bearer <key>`, or scrape from an address in "
            "METRICS_ALLOWED_IPS.\n",
            status=403,
            content_type="text/plain",
        )
    return HttpResponse(metrics.render(), content_type=CONTENT_TYPE_LATEST)
