"""Badges: a public section's recorded state as an SVG and as Shields' endpoint JSON."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from sensors.models import PowerState
from sensors.power import set_section_state
from web.badges import ROWS_FRESH_SEC
from web.presenting import short_duration

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def texts(response) -> list[str]:
    """The words an SVG badge shows, after checking it is well-formed SVG."""
    assert response["Content-Type"] == "image/svg+xml"
    root = ET.fromstring(response.content)
    assert root.tag == f"{SVG}svg" and root.get("height") == "20"
    return [text.text or "" for text in root.iter(f"{SVG}text")]


def test_a_section_with_power_says_on_and_for_how_long(client, make_building, beat, time_travel):
    make_building(public=True)
    beat("a")  # power seen in section 1
    time_travel(seconds=3 * 3600 + 20 * 60)
    beat("a")
    response = client.get("/badge/10/1.svg")
    assert response.status_code == 200
    assert texts(response) == ["power", "on · 3 h 20 min"]
    assert "max-age=60" in response["Cache-Control"] and "public" in response["Cache-Control"]
    assert client.get("/badge/10/1.json").json() == {
        "schemaVersion": 1,
        "label": "power",
        "message": "on · 3 h 20 min",
        "color": "brightgreen",
    }


def test_a_section_without_power_is_red_and_one_never_seen_is_unknown(client, make_building, beat):
    building = make_building(public=True)
    beat("a")
    set_section_state(building.sections.get(number=1), PowerState.DOWN, "feeder tripped", "ops")
    off = client.get("/badge/10/1.json").json()
    assert (off["message"], off["color"]) == ("off · 0 min", "red")
    assert texts(client.get("/badge/10/2.svg")) == ["power", "unknown"]
    assert client.get("/badge/10/2.json").json()["color"] == "lightgrey"


def test_a_building_badge_counts_its_sections_with_power(client, make_building, beat):
    make_building(public=True, sections=3)
    beat("a", section=1)
    beat("b", section=2)
    answer = client.get("/badge/10.json").json()
    assert (answer["message"], answer["color"]) == ("2 of 3 on", "orange")
    assert texts(client.get("/badge/10.svg")) == ["power", "2 of 3 on"]


@pytest.mark.parametrize(
    "path",
    ["/badge/11/1.svg", "/badge/11/1.json", "/badge/11.svg", "/badge/10/4.svg", "/badge/12/1.svg", "/badge/12.json"],
)
def test_a_building_not_marked_public_is_404_as_if_it_did_not_exist(client, make_building, beat, path):
    make_building(id=10, public=True)
    make_building(id=11, name="Private")  # not public
    beat("a", building=11)
    response = client.get(path)
    assert response.status_code == 404
    assert b"Private" not in response.content


@pytest.mark.parametrize("path", ["/badge/0/1.svg", "/badge/9999999999/1.svg", "/badge/10/0.svg", "/badge/10/100.json"])
def test_numbers_out_of_range_are_404_not_an_error(client, make_building, path):
    make_building(public=True)
    assert client.get(path).status_code == 404


def test_a_badge_is_read_only(make_building):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # as a browser is treated
    make_building(public=True)
    assert client.post("/badge/10/1.svg").status_code == client.delete("/badge/10.json").status_code == 405
    assert client.head("/badge/10/1.svg").status_code == 200


def test_asking_for_badges_that_do_not_exist_keeps_nothing(client, make_building):
    """Anyone may ask for any number: a "no such badge" kept for each would fill the cache
    the whole process shares. The next ask after the building exists finds it."""
    assert client.get("/badge/99/1.svg").status_code == client.get("/badge/99.json").status_code == 404
    make_building(id=99, public=True)
    assert client.get("/badge/99/1.svg").status_code == client.get("/badge/99.json").status_code == 200


def test_a_badge_stays_well_formed_in_ukrainian(client, make_building, beat):
    make_building(public=True)
    beat("a")
    response = client.get("/badge/10/1.svg", HTTP_ACCEPT_LANGUAGE="uk")
    root = ET.fromstring(response.content)
    numbers = [root.get("width"), *(element.get("x") for element in root.iter(f"{SVG}text"))]
    assert all(number and number.isdigit() for number in numbers), numbers  # no "22,5" from the locale


@pytest.mark.parametrize(
    ("length", "shown"),
    [
        (timedelta(seconds=59), "0 min"),
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=3), "3 h"),
        (timedelta(hours=3, minutes=20), "3 h 20 min"),
        (timedelta(days=2, hours=4, minutes=9), "2 d 4 h"),
        (timedelta(days=1), "1 d"),
        (timedelta(seconds=-5), "0 min"),  # a clock a little behind the record's
    ],
)
def test_durations_are_short(length, shown):
    assert short_duration(length) == shown


def test_the_admin_shows_the_badges_to_copy(admin_client, make_building, settings):
    settings.SITE_URL = "https://power.example.org"
    make_building(sections=2)
    page = admin_client.get("/admin/buildings/building/10/change/").content.decode()
    assert "![power](https://power.example.org/badge/10/2.svg)" in page
    assert "Not public yet" in page


def test_the_admin_links_each_public_buildings_page(admin_client, make_building, settings):
    settings.SITE_URL = "https://power.example.org"
    make_building(id=10, public=True)
    make_building(id=11, name="Hidden")
    page = admin_client.get("/admin/buildings/building/10/change/").content.decode()
    assert '<a href="https://power.example.org/status/10/"' in page
    listing = admin_client.get("/admin/buildings/building/").content.decode()
    assert '<a href="https://power.example.org/status/10/"' in listing
    assert "https://power.example.org/status/11/ answers 404" in listing


def test_public_travels_with_the_mapping_file(make_building):
    from buildings.models import Building
    from sensors.mappings import export_document, import_document

    make_building(id=10, public=True)
    make_building(id=11, name="Private")
    document = export_document()
    assert [entry.get("public") for entry in document["buildings"]] == [True, None]
    Building.objects.update(public=False)
    import_document(document)
    assert list(Building.objects.order_by("id").values_list("public", flat=True)) == [True, False]


def test_a_badge_shows_a_change_within_seconds(client, make_building, beat, time_travel):
    building = make_building(public=True, sections=2)
    beat("a")
    assert client.get("/badge/10/1.json").json()["color"] == "brightgreen"
    assert client.get("/badge/10.json").json()["message"] == "1 of 2 on"
    set_section_state(building.sections.get(number=1), PowerState.DOWN, "feeder tripped", "ops")
    time_travel(seconds=ROWS_FRESH_SEC + 1)
    assert client.get("/badge/10/1.json").json()["color"] == "red"
    assert client.get("/badge/10.json").json()["message"] == "0 of 2 on"


def test_a_building_made_public_gets_its_badges_within_seconds(client, make_building, time_travel):
    building = make_building()
    assert client.get("/badge/10/1.svg").status_code == client.get("/badge/10.svg").status_code == 404
    building.public = True
    building.save()
    time_travel(seconds=ROWS_FRESH_SEC + 1)
    assert client.get("/badge/10/1.svg").status_code == client.get("/badge/10.svg").status_code == 200


def test_a_refused_building_form_lists_the_saved_sections_badges(admin_client, make_building):
    make_building(sections=2, public=True)
    page = admin_client.post(
        "/admin/buildings/building/10/change/",
        {"name": "London", "section_count": 100000, "default_section": 1, "sections-TOTAL_FORMS": 0},
    ).content.decode()
    assert "badge/10/2.svg" in page and "badge/10/3.svg" not in page  # not 100,000 lines
    assert "Not public yet" not in page
