"""The sensor-facing firmware endpoints: update check and image download, with a sensor key."""

from __future__ import annotations

import io
import logging
from typing import Any
from urllib.parse import urlencode

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed, NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from firmware import services, versions
from firmware.models import Board
from powerbot import counters
from powerbot.api import ERROR, JSONAPIView, QueryKeyAuthentication
from powerbot.logs import log_event
from powerbot.throttling import RateLimit
from sensors.api import HasWriteKey, write_key_of
from sensors.heartbeat import SENSOR_UUID_REQUIRED, clean_sensor_uuid
from sensors.models import WriteKey

logger = logging.getLogger(__name__)


class SensorKeyAuthentication(QueryKeyAuthentication):
    """A sensor (write) key from `X-API-Key`, `Authorization: Bearer` or `?api_key=`."""

    key_model = WriteKey
    realm = "sensors"

    def rejection(self) -> AuthenticationFailed:
        return AuthenticationFailed("Invalid API key")


class SensorKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]  # drf-spectacular's hook
    target_class = SensorKeyAuthentication
    name = "firmwareSensorKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "A sensor (write) key; or `Authorization: Bearer <key>`, or `?api_key=<key>`.",
        }


class FirmwareView(JSONAPIView):
    authentication_classes = [SensorKeyAuthentication]
    permission_classes = [HasWriteKey]

    @staticmethod
    def sensor_uuid(request: Request, *, required: bool) -> str:
        """The board's uuid from `?sensor_uuid=`; a key scoped to one sensor answers for that one only."""
        raw = request.query_params.get("sensor_uuid")
        if raw is None and not required:
            return write_key_of(request).sensor_uuid
        uuid = clean_sensor_uuid(raw)
        if uuid is None:
            raise ValidationError(SENSOR_UUID_REQUIRED)
        if not write_key_of(request).allows(uuid):
            raise AuthenticationFailed("Invalid API key")
        return uuid


UPDATE_CHECK = inline_serializer(
    "FirmwareUpdateCheck",
    {
        "update_available": serializers.BooleanField(),
        "version": serializers.CharField(required=False),
        "url": serializers.URLField(required=False, help_text="Download it from here, with the sensor key."),
        "size": serializers.IntegerField(required=False, help_text="Bytes."),
        "sha256": serializers.CharField(required=False, help_text="Hex SHA-256 of the image: verify before switching."),
        "signature": serializers.CharField(
            required=False,
            help_text="Hex DER ECDSA P-256 signature of the board, version and SHA-256 by the release signing key "
            "(firmware/README.md); absent for a release made before releases were signed.",
        ),
        "mandatory": serializers.BooleanField(required=False, help_text="Install even with automatic updates off."),
    },
)


class UpdateCheckView(FirmwareView):
    @extend_schema(
        operation_id="firmware_check",
        parameters=[
            OpenApiParameter("sensor_uuid", str, required=True),
            OpenApiParameter("current_version", str, required=True, description="The running version, e.g. 1.2.0."),
            OpenApiParameter("board", str, required=True, enum=Board.values),
        ],
        responses={200: UPDATE_CHECK, 400: ERROR, 401: ERROR},
        description="Asked by each board daily: is there a newer release for it? Staged rollouts, channels and "
        "building targets decide which boards are offered a release.",
    )
    def get(self, request: Request) -> Response:
        uuid = self.sensor_uuid(request, required=True)
        board = request.query_params.get("board", "")
        if board not in Board.values:
            raise ValidationError(f"board must be one of: {', '.join(Board.values)}")
        running = request.query_params.get("current_version", "")
        try:
            versions.parse(running)
        except ValueError:
            raise ValidationError(
                f"current_version must be a semantic version such as 1.2.0 (at most {versions.MAX_LENGTH} characters)"
            ) from None

        offer = services.offered_release(uuid, board, running)
        counters.count("firmware_checks", "offered" if offer else "current")  # one of services.CHECK_RESULTS
        if offer is None:
            return Response({"update_available": False})
        release = offer.release
        log_event(logger, "firmware_offered", sensor_uuid=uuid, board=board, running=running, version=release.version)
        path = reverse("firmware-download", args=[release.board, release.version])
        answer = {
            "update_available": True,
            "version": release.version,
            "url": request.build_absolute_uri(f"{path}?{urlencode({'sensor_uuid': uuid})}"),
            "size": release.size,
            "sha256": release.sha256,
            "mandatory": offer.mandatory,
        }
        if release.signature:
            answer["signature"] = release.signature
        return Response(answer)


class DownloadRate(RateLimit):
    """Image downloads per board (FIRMWARE_DOWNLOAD_RATE): a board whose update loop went wrong
    cannot pull megabytes through the web workers again and again. The firmware retries a
    failed update after 30 to 90 minutes, far below the default."""

    kind = "firmware_download"
    rate_setting = "FIRMWARE_DOWNLOAD_RATE"

    def offender(self, request: HttpRequest | Request) -> str | None:
        if request.method == "HEAD" or not isinstance(request, Request):  # HEAD serves no image
            return None
        try:  # the view's own rule: a key of one board never spends another's downloads
            uuid = DownloadView.board_uuid(request)
        except (ValidationError, AuthenticationFailed):
            return None  # the view refuses it, saying why
        return uuid.lower()


class DownloadView(FirmwareView):
    throttle_classes = [DownloadRate]

    @staticmethod
    def board_uuid(request: Request) -> str:
        """The board a download is for: `?sensor_uuid=`, which only a key scoped to one board may leave out."""
        return FirmwareView.sensor_uuid(request, required=not write_key_of(request).sensor_uuid)

    @extend_schema(
        operation_id="firmware_download",
        parameters=[
            OpenApiParameter(
                "sensor_uuid",
                str,
                description=(
                    "The board asking (required unless the key is scoped to one): it is served only what the update "
                    "check would offer it, and the download is recorded for the fleet view."
                ),
            )
        ],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The image; its SHA-256 in the X-Firmware-SHA256 header, its signature (when signed) "
                "in X-Firmware-Signature.",
            ),
            401: ERROR,
            404: ERROR,
            429: ERROR,
        },
    )
    def get(self, request: Request, board: str, version: str) -> FileResponse:
        uuid = self.board_uuid(request)
        release = services.downloadable(board, version, uuid)
        if release is None:
            raise NotFound("Firmware not found")
        if request.method == "GET":
            services.record_download(release, uuid)
            counters.count("firmware_downloads")
            log_event(logger, "firmware_download", sensor_uuid=uuid or "-", board=board, version=version)
        response = FileResponse(
            io.BytesIO(services.image_bytes(release)),
            as_attachment=True,
            filename=f"powerbot-{board}-{version}.bin",
            content_type="application/octet-stream",
        )
        response["X-Firmware-SHA256"] = release.sha256
        response["X-Firmware-Version"] = release.version
        if release.signature:
            response["X-Firmware-Signature"] = release.signature
        response["ETag"] = f'"{release.sha256}"'
        return response
