from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from firmware import api as firmware
from ops import views as ops
from powerbot.api import HealthView
from publicapi import views as public
from sensors.api import HeartbeatView

# Field clients call these paths with and without a trailing slash; both must work
# without a redirect (firmware does not follow one).
urlpatterns = [
    re_path(r"^api/v1/heartbeat/?$", HeartbeatView.as_view(), name="heartbeat"),
    re_path(r"^api/v1/health/?$", HealthView.as_view(), name="health"),
    re_path(r"^api/v1/ready/?$", ops.ReadyView.as_view(), name="ready"),
    re_path(r"^metrics/?$", ops.metrics_view, name="metrics"),
    re_path(r"^api/v1/public/sensors/status/?$", public.SensorStatusListView.as_view(), name="public-sensors"),
    re_path(
        r"^api/v1/public/sensors/(?P<sensor_id>[^/]+)/status/?$",
        public.SensorStatusView.as_view(),
        name="public-sensor",
    ),
    re_path(r"^api/v1/public/alerts/?$", public.AlertRegionsView.as_view(), name="public-alerts"),
    re_path(
        r"^api/v1/public/alerts/(?P<region>[0-9]{1,6})/history/?$",
        public.AlertHistoryView.as_view(),
        name="public-alert-history",
    ),
    re_path(r"^api/v1/public/buildings/?$", public.BuildingListView.as_view(), name="public-buildings"),
    re_path(
        r"^api/v1/public/buildings/(?P<building_id>[^/]+)/status/?$",
        public.BuildingStatusView.as_view(),
        name="public-building",
    ),
    re_path(
        r"^api/v1/public/sections/(?P<building_id>[^/]+)/(?P<section>[^/]+)/events/?$",
        public.SectionEventsView.as_view(),
        name="public-section-events",
    ),
    re_path(
        r"^api/v1/public/sections/(?P<building_id>[^/]+)/(?P<section>[^/]+)/stats/?$",
        public.SectionStatsView.as_view(),
        name="public-section-stats",
    ),
    re_path(
        r"^api/v1/public/sections/(?P<building_id>[^/]+)/(?P<section>[^/]+)/schedule/?$",
        public.SectionScheduleView.as_view(),
        name="public-section-schedule",
    ),
    re_path(
        r"^api/v1/public/sections/(?P<building_id>[^/]+)/(?P<section>[^/]+)/schedule\.ics/?$",
        public.SectionScheduleCalendarView.as_view(),
        name="public-section-schedule-ics",
    ),
    re_path(r"^api/v1/firmware/check/?$", firmware.UpdateCheckView.as_view(), name="firmware-check"),
    re_path(
        r"^api/v1/firmware/download/(?P<board>[^/]+)/(?P<version>[^/]+)/?$",
        firmware.DownloadView.as_view(),
        name="firmware-download",
    ),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script as a file: the page needs no inline script (CSP).
    path("api/v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("admin/", admin.site.urls),
    path("", include("web.urls")),
]
