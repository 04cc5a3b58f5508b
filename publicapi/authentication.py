"""Read keys: from `X-API-Key`, `Authorization: Bearer` or `?api_key=`, first match wins."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework.request import Request

from powerbot.api import KeyPermission, QueryKeyAuthentication, ServiceUnavailable
from powerbot.throttling import RateLimit
from publicapi.models import ReadKey


class ReadKeyAuthentication(QueryKeyAuthentication):
    key_model = ReadKey
    realm = "public"

    def rejection(self) -> APIException:
        if not ReadKey.is_configured():
            return ServiceUnavailable("Public sensor API key is not configured")
        return AuthenticationFailed("Unauthorized")


class HasReadKey(KeyPermission):
    key_model = ReadKey


class ReadKeyRate(RateLimit):
    """Requests per read key (READ_API_RATE): a third party polling in a tight loop cannot take
    the web workers that the boards and the other readers need."""

    kind = "read_api"
    rate_setting = "READ_API_RATE"

    def offender(self, request: HttpRequest | Request) -> str | None:
        key = getattr(request, "auth", None)
        # The key from the environment is an unsaved instance: it has no id.
        return f"#{key.pk or 0} {key}" if isinstance(key, ReadKey) else None


class ReadKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]  # drf-spectacular's hook
    target_class = ReadKeyAuthentication
    name = "readKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "Or `Authorization: Bearer <key>`, or `?api_key=<key>`.",
        }
