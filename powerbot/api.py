"""What every PowerBot API shares: the error body and the health check."""

from __future__ import annotations

import ipaddress
import json
import math
from collections.abc import Iterable
from typing import IO, Any, NoReturn

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from powerbot.apikeys import ApiKey
from powerbot.throttling import RateLimit


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "Request body too large"


class ServiceUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = "Service unavailable"


class TooManyRequests(exceptions.Throttled):
    """429, with `Retry-After` always (DRF sends it only for a wait of a second or more) and
    the message in English, as every other API message is, whatever the request's language."""

    def __init__(self, wait: float | None) -> None:
        seconds = max(1, math.ceil(wait or 0))
        exceptions.APIException.__init__(self, f"Too many requests; try again in {seconds} s")
        self.wait = seconds


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


class JSONObjectParser(BaseParser):
    """Parses the body as a JSON object whatever the Content-Type says.

    Field firmware sends no Content-Type, text/plain, or curl's form type; all of them
    carry JSON. Bodies are capped (413); NaN and Infinity, which Python would accept,
    are not JSON.
    """

    media_type = "*/*"

    def parse(
        self, stream: IO[bytes] | None, media_type: str | None = None, parser_context: Any = None
    ) -> dict[str, Any]:
        limit = settings.HEARTBEAT_MAX_BODY_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise PayloadTooLarge(f"Request body too large (max {limit} bytes)")
        try:
            data = json.loads(body, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            raise exceptions.ParseError("Invalid JSON") from None
        if not isinstance(data, dict):
            raise exceptions.ParseError("Invalid JSON")
        return data


class JSONOnlyNegotiation(BaseContentNegotiation):
    """Always JSON, whatever Accept or ?format= say: firmware and scripts send all sorts,
    and a 406 would silently drop a heartbeat."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class JSONAPIView(APIView):
    content_negotiation_class = JSONOnlyNegotiation

    def throttled(self, request: Request, wait: float | None) -> NoReturn:
        raise TooManyRequests(wait)


def presented_key(request: HttpRequest | Request) -> str:
    """The key from `X-API-Key` or `Authorization: Bearer`, else ""."""
    # META, not request.headers, which builds a dict of every header on first use: this runs
    # for every heartbeat.
    key = str(request.META.get("HTTP_X_API_KEY", "")).strip()
    if key:
        return key
    scheme, _, credentials = str(request.META.get("HTTP_AUTHORIZATION", "")).partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


class KeyAuthentication(BaseAuthentication):
    """Authenticates with one kind of key (write or read), from a header or elsewhere."""

    key_model: type[ApiKey]
    realm: str

    def key_elsewhere(self, request: Request) -> Any:
        return ""

    def rejection(self) -> exceptions.APIException:
        raise NotImplementedError

    def refusal(self, request: Request) -> exceptions.APIException:
        """The answer to a request without a valid key: its rejection, or a 429 once its
        address has sent too many (a misconfigured key never goes into the key's store)."""
        rejection = self.rejection()
        limit = BadKeyRate()
        if isinstance(rejection, exceptions.AuthenticationFailed) and not limit.allow_request(request, None):
            return TooManyRequests(limit.wait())
        return rejection

    @classmethod
    def find_key(cls, request: HttpRequest | Request, elsewhere: Any = "") -> ApiKey | None:
        """The active key of this kind the request presents in a header, else `elsewhere`."""
        raw = presented_key(request) or elsewhere
        return cls.key_model.authenticate(raw) if isinstance(raw, str) else None

    def authenticate(self, request: Request) -> tuple[None, ApiKey]:
        key = self.find_key(request, self.key_elsewhere(request))
        if key is None:
            raise self.refusal(request)
        return (None, key)

    def authenticate_header(self, request: Request) -> str:
        return f'Bearer realm="{self.realm}"'


class QueryKeyAuthentication(KeyAuthentication):
    """A key from a header or, for GET requests that have no body, `?api_key=`."""

    def key_elsewhere(self, request: Request) -> str:
        return request.query_params.get("api_key", "")


class KeyPermission(BasePermission):
    """Only a key of `key_model` passes: a write key never reads, a read key never writes."""

    key_model: type[ApiKey]

    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.auth, self.key_model)


def client_ip(request: HttpRequest | Request) -> str | None:
    candidate = request.META.get("REMOTE_ADDR", "")
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.headers.get("X-Forwarded-For", "")
        # The right-most entry was added by our own proxy; the others are client-supplied.
        candidate = forwarded.rsplit(",", 1)[-1].strip() or candidate
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


class BadKeyRate(RateLimit):
    """Requests with a wrong or missing key, per client address (BAD_KEY_RATE): a guesser or a
    misconfigured client cannot flood the log and the key look-ups."""

    kind = "bad_key"
    rate_setting = "BAD_KEY_RATE"

    def offender(self, request: HttpRequest | Request) -> str | None:
        address = client_ip(request)
        if address is None:  # a unix socket, or a forwarded address that is none: all such together
            return "unknown address"
        parsed = ipaddress.ip_address(address)
        if isinstance(parsed, ipaddress.IPv6Address):
            if parsed.ipv4_mapped is not None:
                return str(parsed.ipv4_mapped)
            # One client holds a whole /64: each of its addresses is not another client.
            return str(ipaddress.IPv6Network((int(parsed) >> 64 << 64, 64)))
        return address


def error_body(message: str) -> dict[str, str]:
    """The seed's error shape, which field clients parse: {"status":"error","message":...}."""
    return {"status": "error", "message": message}


def _message(detail: Any) -> str:
    # A ValidationError may carry a list or dict of messages; clients expect one string.
    if isinstance(detail, dict):
        return "; ".join(
            _message(value) if key == api_settings.NON_FIELD_ERRORS_KEY else f"{key}: {_message(value)}"
            for key, value in detail.items()
        )
    if isinstance(detail, list):
        return "; ".join(_message(item) for item in detail)
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        response.data = error_body(_message(exc.detail))
    return response


ERROR = inline_serializer("Error", {"status": serializers.CharField(), "message": serializers.CharField()})


class HealthView(JSONAPIView):
    """Liveness: answers without touching the database, so it stays cheap."""

    @extend_schema(
        responses=inline_serializer(
            "Health",
            {
                "status": serializers.CharField(),
                "timestamp": serializers.DateTimeField(),
                "service": serializers.CharField(),
            },
        )
    )
    def get(self, request: Request) -> Response:
        return Response({"status": "ok", "timestamp": timezone.now().isoformat(), "service": "powerbot-api"})
