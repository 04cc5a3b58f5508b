"""Regions in the mapping file and the admin, shelters' maps, and the read API's alerts."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict
from PIL import Image

from alerts import services
from alerts.models import Alert, Region, Source, State
from buildings.admin import ShelterForm
from buildings.models import Building, Shelter
from conftest import READ_KEY, building_form
from sensors.mappings import MappingError, export_document, import_document

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def test_the_mapping_file_sets_and_exports_alert_regions(make_building):
    import_document(
        {
            "buildings": [
                {"id": 10, "name": "London", "alert_region": 27},  # YAML's unquoted 27
                {"id": 11, "name": "Paris", "alert_region": "14", "alert_region_ukrainealarm": "1014"},
            ]
        }
    )
    assert list(Building.objects.values_list("alert_region", "alert_region_ukrainealarm")) == [
        ("27", ""),
        ("14", "1014"),
    ]
    exported = export_document()["buildings"]
    assert exported[0]["alert_region"] == "27" and "alert_region_ukrainealarm" not in exported[0]
    assert exported[1]["alert_region_ukrainealarm"] == "1014"


@pytest.mark.parametrize("value", ["Kyiv", 3.1, True, "1234567", "-1"])
def test_a_bad_alert_region_in_the_mapping_file_is_refused(value):
    with pytest.raises(MappingError, match='alert_region must be a region number such as "31"'):
        import_document({"buildings": [{"id": 10, "name": "London", "alert_region": value}]})


def test_the_admin_edits_a_buildings_region_and_refuses_a_name(admin_client, make_building):
    make_building(id=10, sections=1)
    form = building_form(alert_region="Kyiv")
    page = admin_client.post("/admin/buildings/building/10/change/", form).content.decode()
    assert "is not an alert region: write its number" in page
    response = admin_client.post("/admin/buildings/building/10/change/", {**form, "alert_region": "27"})
    assert response.status_code == 302 and Building.objects.get().alert_region == "27"


def picture(kind: str, size: tuple[int, int] = (40, 30)) -> bytes:
    data = io.BytesIO()
    Image.new("RGB", size, "navy").save(data, kind)
    return data.getvalue()


@pytest.mark.parametrize(
    ("upload", "problem"),
    [
        (SimpleUploadedFile("map.png", b"not a picture", "image/png"), "This file is not a picture that can be read"),
        (SimpleUploadedFile("map.gif", picture("GIF"), "image/gif"), "A GIF picture: use PNG, JPEG or WebP."),
    ],
)
def test_a_shelter_map_that_telegram_cannot_show_as_a_photo_is_refused(make_building, upload, problem):
    make_building(id=10, sections=1)
    form = ShelterForm(
        {"name": "Parking", "building": 10}, MultiValueDict({"map_upload": [upload]}), instance=Shelter(building_id=10)
    )
    assert not form.is_valid() and problem in str(form.errors["map_upload"])


def test_a_shelter_map_can_be_replaced_and_removed(make_building):
    make_building(id=10, sections=1)
    shelter = Shelter.objects.create(building_id=10, name="Parking", telegram_file_id="old")
    form = ShelterForm(
        {"name": "Parking"},
        MultiValueDict({"map_upload": [SimpleUploadedFile("m.jpg", picture("JPEG"))]}),
        instance=shelter,
    )
    assert form.is_valid(), form.errors
    form.save()
    shelter.refresh_from_db()
    assert (shelter.map_type, shelter.telegram_file_id, shelter.map_version) == ("image/jpeg", "", 1)
    form = ShelterForm({"name": "Parking", "remove_map": "on"}, instance=shelter)
    assert form.is_valid()
    form.save()
    shelter.refresh_from_db()
    assert shelter.map_image is None and shelter.map_version == 2


@pytest.fixture
def history(make_building, time_machine):
    time_machine.move_to(NOON, tick=False)
    make_building(id=10, name="London", sections=1)
    make_building(id=11, name="Lviv", sections=1, alert_region="27")
    kyiv = Region.objects.create(uid="31", ukrainealarm_id="31", state=State.ACTIVE, since=NOON)
    Region.objects.create(uid="27", ukrainealarm_id="27", state=State.CLEAR, since=NOON - timedelta(hours=2))
    for hours in range(3, 0, -1):
        start = NOON - timedelta(hours=hours)
        Alert.objects.create(
            region=kyiv, started_at=start, ended_at=start + timedelta(minutes=30), first_source=Source.UKRAINEALARM
        )
    Alert.objects.create(region=kyiv, started_at=NOON, first_source=Source.ALERTS_IN_UA)


def test_the_alerts_endpoint_gives_each_watched_region(client, history):
    Region.objects.create(uid="14", ukrainealarm_id="14", watched=False)
    body = client.get("/api/v1/public/alerts", HTTP_X_API_KEY=READ_KEY).json()
    assert body == {
        "regions": [
            {"region": "27", "state": "clear", "since": "2026-12-03T10:00:00+02:00"},
            {"region": "31", "state": "active", "since": "2026-12-03T12:00:00+02:00"},
        ]
    }


def test_a_regions_history_comes_a_page_at_a_time_oldest_first(client, history):
    first = client.get("/api/v1/public/alerts/31/history", {"limit": 3}, HTTP_X_API_KEY=READ_KEY).json()
    assert [alert["started_at"] for alert in first["results"]] == [
        "2026-12-03T09:00:00+02:00",
        "2026-12-03T10:00:00+02:00",
        "2026-12-03T11:00:00+02:00",
    ]
    assert first["results"][0] == {
        "started_at": "2026-12-03T09:00:00+02:00",
        "ended_at": "2026-12-03T09:30:00+02:00",
        "duration_seconds": 1800,
        "first_source": "ukrainealarm",
    }
    second = client.get(first["next"], HTTP_X_API_KEY=READ_KEY).json()
    assert (
        second["results"]
        == [
            {
                "started_at": "2026-12-03T12:00:00+02:00",
                "ended_at": None,
                "duration_seconds": None,
                "first_source": "alerts_in_ua",
            }
        ]
        and second["next"] is None
    )
    since = client.get(
        "/api/v1/public/alerts/31/history", {"since": "2026-12-03T08:30:00Z"}, HTTP_X_API_KEY=READ_KEY
    ).json()
    assert len(since["results"]) == 2


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/public/alerts", 401),
        ("/api/v1/public/alerts/99/history", 404),
        ("/api/v1/public/alerts/31/history?since=yesterday", 400),
    ],
)
def test_the_alert_endpoints_refuse_as_the_rest_of_the_api(client, history, path, status):
    key = {} if status == 401 else {"HTTP_X_API_KEY": READ_KEY}
    response = client.get(path, **key)
    assert response.status_code == status and response.json()["status"] == "error"


@pytest.mark.parametrize("position", ["zzz", "2026-13-45", "\x00"])
def test_a_forged_cursor_is_refused_not_a_500(client, history, position):
    import base64
    from urllib.parse import urlencode

    cursor = base64.b64encode(urlencode({"p": position, "o": "1"}).encode()).decode()
    for path in ("/api/v1/public/alerts/31/history", "/api/v1/public/sections/10/1/events"):
        response = client.get(path, {"cursor": cursor}, HTTP_X_API_KEY=READ_KEY)
        assert response.status_code == 404 and response.json()["status"] == "error"  # as for a garbled cursor


def test_the_schema_documents_the_alert_endpoints(client):
    paths = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert {"/api/v1/public/alerts/", "/api/v1/public/alerts/{region}/history/"} <= set(paths)


def test_todays_total_counts_only_what_fell_within_the_day(history):
    start, end = NOON - timedelta(hours=2, minutes=45), NOON + timedelta(minutes=10)
    alerts = services.alerts_between("31", start, end)
    assert len(alerts) == 4  # the one from 07:00 ends 07:30, after the start
    assert services.total_length(alerts, start, end) == timedelta(minutes=15 + 30 + 30 + 10)


def test_shelters_in_the_mapping_file_are_matched_by_name_and_keep_their_maps(make_building):
    import_document(
        {
            "buildings": [
                {
                    "id": 10,
                    "name": "London",
                    "shelters": [
                        {"name": "Parking", "distance_m": 80, "opening_hours": "during alerts"},
                        {"name": "Metro"},
                    ],
                }
            ]
        }
    )
    Shelter.objects.filter(name="Parking").update(map_image=b"png", telegram_file_id="f1")
    report = import_document(
        {
            "buildings": [
                {
                    "id": 10,
                    "name": "London",
                    "shelters": [{"name": "Parking", "distance_m": 60, "opening_hours": "during alerts"}],
                }
            ]
        }
    )
    assert report.counts["buildings"]["updated"] == 1
    [parking] = Shelter.objects.all()
    assert (parking.distance_m, bytes(parking.map_image or b""), parking.telegram_file_id) == (60, b"png", "f1")
    assert export_document()["buildings"][0]["shelters"] == [
        {"name": "Parking", "distance_m": 60, "opening_hours": "during alerts"}
    ]
    again = import_document(export_document())
    assert again.counts["buildings"]["unchanged"] == 1


@pytest.mark.parametrize(
    ("shelters", "problem"),
    [
        ("Parking", "shelters must be a list of mappings"),
        ([{"address": "1 Main St"}], "shelters 1: each shelter needs a name of its own"),
        ([{"name": "A"}, {"name": "A"}], "shelters 2: each shelter needs a name of its own"),
        ([{"name": "A", "distance_m": "near"}], "shelters 1: distance_m must be whole metres"),
        ([{"name": "A", "map": "a.png"}], "shelters 1: unknown field(s) map"),
        ([{"name": "A", "description": "x" * 601}], "description"),
        ([{"name": "A\x00"}], "name must not contain a NUL character"),
    ],
)
def test_bad_shelters_in_the_mapping_file_are_refused_and_change_nothing(make_building, shelters, problem):
    make_building(id=10, sections=1)
    Shelter.objects.create(building_id=10, name="Kept")
    with pytest.raises(MappingError, match=re.escape(problem)):
        import_document({"buildings": [{"id": 10, "name": "London", "shelters": shelters}]})
    assert list(Shelter.objects.values_list("name", flat=True)) == ["Kept"]


def test_the_demo_source_sounds_an_alert_the_first_ten_minutes_of_each_half_hour(make_building, time_machine, settings):
    settings.ALERTS_DEMO = True
    make_building(id=10, sections=1)
    time_machine.move_to(datetime(2026, 12, 3, 10, 35, tzinfo=UTC), tick=False)
    services.poll()
    assert Region.objects.get().state == State.ACTIVE
    time_machine.move_to(datetime(2026, 12, 3, 10, 41, tzinfo=UTC), tick=False)
    services.poll()
    assert Region.objects.get().state == State.CLEAR and Alert.objects.get().first_source == Source.DEMO
