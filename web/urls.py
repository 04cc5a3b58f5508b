from django.urls import re_path

from web import views

urlpatterns = [
    re_path(
        r"^badge/(?P<building_id>[0-9]{1,10})/(?P<number>[0-9]{1,10})\.(?P<kind>svg|json)$",
        views.section,
        name="section-badge",
    ),
    re_path(r"^badge/(?P<building_id>[0-9]{1,10})\.(?P<kind>svg|json)$", views.building, name="building-badge"),
]
