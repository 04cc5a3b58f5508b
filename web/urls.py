from django.urls import path, re_path

from web import views, webapp

BUILDING = r"(?P<building_id>[0-9]{1,10})"

urlpatterns = [
    re_path(rf"^badge/{BUILDING}/(?P<number>[0-9]{{1,10}})\.(?P<kind>svg|json)$", views.section, name="section-badge"),
    re_path(rf"^badge/{BUILDING}\.(?P<kind>svg|json)$", views.building, name="building-badge"),
    path("status/", views.status_index, name="status-index"),
    re_path(rf"^status/{BUILDING}/$", views.status_building, name="status-building"),
    re_path(rf"^status/{BUILDING}\.json$", views.status_document, name="status-document"),
]

# The Telegram Mini App: its page, and its API (initData in X-Telegram-Init-Data).
urlpatterns += [
    path("app/", views.mini_app, name="mini-app"),
    re_path(r"^api/v1/webapp/me/?$", webapp.MeView.as_view(), name="webapp-me"),
    re_path(r"^api/v1/webapp/buildings/?$", webapp.BuildingsView.as_view(), name="webapp-buildings"),
    re_path(
        rf"^api/v1/webapp/sections/{BUILDING}/(?P<number>[0-9]{{1,10}})/?$",
        webapp.FollowedSectionView.as_view(),
        name="webapp-section",
    ),
]
