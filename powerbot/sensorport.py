"""The plain-HTTP port the firmware in the field posts to (18081 in the Compose deployment)
serves the sensors' paths only: the admin, the read API and the rest stay behind HTTPS."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class SensorPortMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.port = str(settings.SENSOR_ONLY_PORT)
        self.paths = [re.compile(pattern) for pattern in settings.SENSOR_PATHS]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.port != "0" and request.META.get("SERVER_PORT") == self.port:
            path = request.path_info.lstrip("/")
            if not any(pattern.match(path) for pattern in self.paths):
                return JsonResponse({"status": "error", "message": "Not found"}, status=404)
        return self.get_response(request)
