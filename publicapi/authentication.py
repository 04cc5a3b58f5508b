"""Read keys: from `X-API-Key`, `Authorization: Bearer` or `?api_key=`, first match wins."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.exceptions import APIException, AuthenticationFailed

from powerbot.api import KeyPermission, QueryKeyAuthentication, ServiceUnavailable
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
