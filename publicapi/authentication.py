"""Read keys: from `X-API-Key`, `Authorization: Bearer` or `?api_key=`, first match wins."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from powerbot.api import ServiceUnavailable, presented_key
from publicapi.models import ReadKey


class ReadKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[None, ReadKey]:
        key = ReadKey.authenticate(presented_key(request) or request.query_params.get("api_key", ""))
        if key is not None:
            return (None, key)
        if not ReadKey.is_configured():
            raise ServiceUnavailable("Public sensor API key is not configured")
        raise AuthenticationFailed("Unauthorized")

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="public"'


class HasReadKey(BasePermission):
    """Only a read key reads: a sensor's write key is refused here."""

    message = "Unauthorized"

    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.auth, ReadKey)


class ReadKeyScheme(OpenApiAuthenticationExtension):
    target_class = ReadKeyAuthentication
    name = "readKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-API-Key",
                "description": "Or `Authorization: Bearer <key>`, or `?api_key=<key>`."}
