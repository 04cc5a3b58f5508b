"""The operators' admin, opening on what they need to know first ("Now", ops.dashboard);
Django's list of apps and models stays one click away, at /admin/apps/."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path

from ops.dashboard import now_summary

REFRESH_SEC = 30
# Who sees "Now": operators, who may see the sensors (superusers may see everything).
OPERATOR_PERMISSION = "sensors.view_sensor"


class PowerBotAdminSite(admin.AdminSite):
    site_header = site_title = "PowerBot operators"
    index_title = "Now"

    def get_urls(self) -> list[URLResolver | URLPattern]:
        return [path("apps/", self.admin_view(self.apps_view), name="apps"), *super().get_urls()]

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        if not request.user.has_perm(OPERATOR_PERMISSION):
            return self.apps_view(request)  # staff who may not see the fleet: Django's own index
        context = {
            **self.each_context(request),
            "title": "Now",
            "now": now_summary(),
            "refresh_sec": REFRESH_SEC,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/now.html", context)

    def apps_view(self, request: HttpRequest) -> TemplateResponse:
        """Django's own index: every app and model."""
        return super().index(request, {"title": "Apps and models"})
