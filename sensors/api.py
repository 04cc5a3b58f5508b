"""The heartbeat endpoint: a thin DRF shell around sensors.heartbeat."""

from __future__ import annotations

import functools
import io
import json
import logging
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import (
    APIException,
    AuthenticationFailed,
    MethodNotAllowed,
    NotAuthenticated,
    ParseError,
    PermissionDenied,
)
from rest_framework.request import Request
from rest_framework.response import Response

from powerbot import counters
from powerbot.api import (
    ERROR,
    JSONAPIView,
    JSONObjectParser,
    KeyAuthentication,
    KeyPermission,
    PayloadTooLarge,
    TooManyRequests,
    client_ip,
    error_body,
    presented_key,
)
from powerbot.logs import log_event
from powerbot.throttling import RateLimit
from sensors.heartbeat import HeartbeatAccepted, HeartbeatRejected, clean_sensor_uuid, record_heartbeat
from sensors.models import WriteKey

if TYPE_CHECKING:  # names of the DRF stubs only
    from rest_framework.views import AsView, GenericView

logger = logging.getLogger(__name__)


class WriteKeyAuthentication(KeyAuthentication):
    """A sensor key from `X-API-Key`, `Authorization: Bearer` or the body's `api_key`."""

    key_model = WriteKey
    realm = "sensors"

    def authenticate(self, request: Request) -> tuple[None, WriteKey]:
        # The body is parsed first: "Invalid JSON" outranks "Invalid API key". DRF does
        # not call the parser for an empty body, which is not JSON either.
        if not isinstance(request.data, dict) or request.stream is None:
            raise ParseError("Invalid JSON")
        key = self.write_key(request, request.data)
        if key is None:
            raise self.refusal(request)
        return None, key

    @classmethod
    def write_key(cls, request: HttpRequest | Request, body: dict[str, Any]) -> WriteKey | None:
        """The write key presented in a header or the body, if it may post the body's sensor."""
        return WriteKey.for_sensor(presented_key(request) or body.get("api_key"), body.get("sensor_uuid"))

    def rejection(self) -> AuthenticationFailed:
        return AuthenticationFailed("Invalid API key")


class HeartbeatRate(RateLimit):
    """Heartbeats per sensor uuid (HEARTBEAT_RATE), from the body already parsed: a board whose
    firmware went wrong cannot take the web workers every other board needs."""

    kind = "heartbeat"
    rate_setting = "HEARTBEAT_RATE"

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__()
        self.body = body

    def offender(self, request: HttpRequest | Request) -> str | None:
        uuid = clean_sensor_uuid(self.body.get("sensor_uuid"))
        return uuid.lower() if uuid else None  # uuids match case-insensitively


class HasWriteKey(KeyPermission):
    key_model = WriteKey


def write_key_of(request: Request) -> WriteKey:
    """The write key a view behind HasWriteKey was called with (DRF types it as any token)."""
    return cast(WriteKey, request.auth)


class WriteKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]  # drf-spectacular's hook
    target_class = WriteKeyAuthentication
    name = "sensorKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "Or `Authorization: Bearer <key>`, or `api_key` in the JSON body.",
        }


HEARTBEAT_REQUEST = inline_serializer(
    "HeartbeatRequest",
    {
        "api_key": serializers.CharField(required=False),
        "building_id": serializers.IntegerField(),
        "section_id": serializers.IntegerField(required=False, allow_null=True),
        "sensor_uuid": serializers.CharField(max_length=64),
        "name": serializers.CharField(required=False, max_length=160),
        "comment": serializers.CharField(required=False, max_length=160),
        "firmware_version": serializers.CharField(required=False, max_length=32),
    },
)
HEARTBEAT_RESPONSE = inline_serializer(
    "HeartbeatAccepted",
    {
        "status": serializers.CharField(),
        "timestamp": serializers.DateTimeField(),
        "building": serializers.CharField(),
        "section_id": serializers.IntegerField(),
        "sensor_uuid": serializers.CharField(),
    },
)


# Why DRF refused a heartbeat before our checks ran, for the metrics' reason label.
_REFUSALS: tuple[tuple[type[APIException], str], ...] = (
    (PayloadTooLarge, "too_large"),
    (ParseError, "invalid_json"),
    (AuthenticationFailed, "invalid_key"),
    (NotAuthenticated, "invalid_key"),
    (PermissionDenied, "invalid_key"),
    (MethodNotAllowed, "method_not_allowed"),
)


def _rejected(request: Request, reason: str, status: int, message: str) -> None:
    counters.count("heartbeats_rejected", reason)
    # The uuid only when it is what the contract says it is: the log line stays one short line.
    uuid = request.data.get("sensor_uuid") if isinstance(request.data, dict) else None
    log_event(
        logger,
        "heartbeat_rejected",
        logging.WARNING,
        reason=reason,
        status=status,
        error=message,
        ip=client_ip(request) or "-",
        sensor_uuid=uuid if isinstance(uuid, str) and len(uuid) <= 64 else "-",
    )


def _accepted(accepted: HeartbeatAccepted) -> HttpResponse:
    counters.count("heartbeats_accepted")
    # Rendered here, as DRF's renderer would (compact, UTF-8), for a tenth of the cost of a
    # request that the whole fleet makes every 10 s; the schema test holds the shape.
    return HttpResponse(
        json.dumps(
            {
                "status": "ok",
                "timestamp": accepted.timestamp.isoformat(),
                "building": accepted.building_name,
                "section_id": accepted.section_number,
                "sensor_uuid": accepted.sensor_uuid,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ),
        content_type="application/json",
    )


def _too_many(wait: float | None) -> HttpResponse:
    """DRF's 429 for a limited heartbeat, rendered as _accepted is (the tests hold both paths alike)."""
    refusal = TooManyRequests(wait)
    return HttpResponse(
        json.dumps(error_body(str(refusal.detail)), ensure_ascii=False, separators=(",", ":")),
        status=refusal.status_code,
        content_type="application/json",
        headers={"Retry-After": str(refusal.wait)},
    )


def _accepted_at_once(request: HttpRequest) -> HttpResponse | None:
    """The answer to a heartbeat that passes every check, or to one over its sensor's rate;
    None (nothing written) to let DRF's view decide: a refusal, another method, a body of no
    stated length. Every heartbeat DRF's view could accept passes here first, so its rate is
    checked here alone, once."""
    try:  # as DRF reads it; a length it would take as 0 ("²", 5,000 digits) is its to refuse
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    if request.method != "POST" or not 0 < length <= settings.HEARTBEAT_MAX_BODY_BYTES:
        return None
    try:
        data = JSONObjectParser().parse(io.BytesIO(request.body))
    except APIException:
        return None
    if (key := WriteKeyAuthentication.write_key(request, data)) is None:
        return None
    if not (limit := HeartbeatRate(data)).allow_request(request, None):
        return _too_many(limit.wait())
    try:
        return _accepted(record_heartbeat(data, ip=client_ip(request), bound=bool(key.sensor_uuid)))
    except HeartbeatRejected:
        return None  # record_heartbeat writes nothing before every check has passed


class HeartbeatView(JSONAPIView):
    authentication_classes = [WriteKeyAuthentication]
    permission_classes = [HasWriteKey]
    parser_classes = [JSONObjectParser]

    @extend_schema(
        request=HEARTBEAT_REQUEST,
        responses={200: HEARTBEAT_RESPONSE, 400: ERROR, 401: ERROR, 404: ERROR, 413: ERROR, 429: ERROR},
        examples=[
            OpenApiExample(
                "Firmware heartbeat",
                request_only=True,
                value={
                    "api_key": "…",
                    "building_id": 10,
                    "section_id": 2,
                    "sensor_uuid": "esp32-london-001",
                },
            )
        ],
        description="Posted by each sensor every ~10 s. Extra fields are kept as telemetry.",
    )
    def post(self, request: Request) -> Response | HttpResponse:
        try:
            key = write_key_of(request)
            # A JSON object: JSONObjectParser refuses anything else.
            accepted = record_heartbeat(
                cast(dict[str, Any], request.data), ip=client_ip(request), bound=bool(key.sensor_uuid)
            )
        except HeartbeatRejected as rejected:
            _rejected(request, rejected.reason, rejected.status, rejected.message)
            return Response(error_body(rejected.message), status=rejected.status)
        return _accepted(accepted)

    @classmethod
    def as_view(cls, **initkwargs: Any) -> AsView[GenericView]:
        """DRF's view, behind a path that records an accepted heartbeat without DRF's request
        cycle: the whole fleet posts every 10 s, and that cycle cost a quarter of PostgreSQL's
        heartbeat rate (docs/PERFORMANCE.md). The path runs the same parser, key check and
        record_heartbeat; anything it would not accept, DRF's view answers in full, so every
        refusal, its message and its metrics stay in one place."""
        drf_view = super().as_view(**initkwargs)
        allow = ", ".join(cls(**initkwargs).allowed_methods)

        @functools.wraps(drf_view)  # keeps what the schema and CSRF read from DRF's view
        def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = _accepted_at_once(request)
            if response is None:
                return drf_view(request, *args, **kwargs)
            response["Allow"] = allow
            return response

        return cast("AsView[GenericView]", view)  # wraps() gave it DRF's view's attributes

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if isinstance(exc, TooManyRequests):
            return response  # counted and logged by its limit, once a minute per offender
        reason = next((reason for kind, reason in _REFUSALS if isinstance(exc, kind)), "other")
        _rejected(self.request, reason, response.status_code, str(getattr(exc, "detail", exc)))
        return response
