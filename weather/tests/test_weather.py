"""Weather from the fake Open-Meteo: one request per place, the coldest of the next twelve
hours, and the last good answer kept (with its age on the card) whatever fails after it."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from buildings.models import Building
from powerbot.models import SourceHealth
from weather import services
from weather.models import Place

pytestmark = pytest.mark.django_db

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
NOON = datetime(2026, 12, 4, 12, 30, tzinfo=KYIV)  # 10:30 UTC


@pytest.fixture
def kyiv(make_building, time_machine, open_meteo):
    time_machine.move_to(NOON, tick=False)
    make_building(id=10, name="London", sections=1, latitude=Decimal("50.4501"), longitude=Decimal("30.5234"))
    open_meteo.set(50.5, 30.5, temperature=-2.4, code=3, hourly=[-2.0, -4.0, -7.6, -6.0])
    return open_meteo


def test_the_buildings_of_a_town_share_one_request(kyiv, make_building):
    make_building(id=11, name="Paris", sections=1, latitude=Decimal("50.4712"), longitude=Decimal("30.4988"))
    make_building(id=12, name="Lviv", sections=1, latitude=Decimal("49.8397"), longitude=Decimal("24.0297"))
    make_building(id=13, name="Nowhere", sections=1)  # no coordinates: WEATHER_LAT/LON, Kyiv too
    kyiv.set(49.8, 24.0, temperature=1.0, code=61)
    assert services.poll().asked == 2
    assert sorted(kyiv.asked) == [(49.8, 24.0), (50.5, 30.5)]
    assert services.poll().asked == 0 and len(kyiv.asked) == 2  # within WEATHER_POLL_SEC
    weather = services.weather_of(Building.objects.all())
    assert weather[10] == weather[11] == weather[13] and weather[10].temperature == -2.4
    assert (weather[12].temperature, weather[12].code) == (1.0, 61)


def test_the_coldest_of_the_next_twelve_hours_is_kept(kyiv):
    services.poll()
    place = Place.objects.get()
    assert (place.temperature, place.weather_code, place.coldest) == (-2.4, 3, -7.6)
    assert place.coldest_at == datetime(2026, 12, 4, 12, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))  # 10:00 UTC + 2 h


def test_each_place_is_asked_again_after_the_poll_interval(kyiv, time_machine):
    services.poll()
    time_machine.shift(timedelta(seconds=900))
    kyiv.set(50.5, 30.5, temperature=-5.0, code=71)
    services.poll()
    assert len(kyiv.asked) == 2 and Place.objects.get().temperature == -5.0


@pytest.mark.parametrize(
    ("failure", "why"),
    [
        ({"status": 500}, "answered HTTP 500"),
        ({"status": 429, "retry_after": 60}, "HTTP 429"),
        ({"hang": 2.0}, "timed out after 1 s"),
        ({"body": b"<html>Bad gateway</html>"}, "not JSON"),
        ({"body": b'{"current": {"temperature_2m": "cold", "weather_code": 3}}'}, "not a number"),
        ({"body": b'{"current": {"temperature_2m": 4000, "weather_code": 3}}'}, "beyond any on Earth"),
        ({"body": b'{"current": {"temperature_2m": 1, "weather_code": 300}}'}, "not a WMO code"),
        ({"body": b'{"error": true, "reason": "Cannot initialize WeatherVariable"}'}, "not an object with the current"),
        (
            {
                "body": b'{"current": {"temperature_2m": 1, "weather_code": 3}, "hourly": {"time": ["soon"], '
                b'"temperature_2m": [1]}}'
            },
            "not a time",
        ),
        ({"body": b'{"current": {"temperature_2m": 1' + b"0" * 400 + b', "weather_code": 3}}'}, "not a number"),
        (
            {
                "body": b'{"current": {"temperature_2m": 1, "weather_code": 3}, "utc_offset_seconds": 1000000000000, '
                b'"hourly": {"time": ["2026-12-04T10:00"], "temperature_2m": [1]}}'
            },
            "not a time zone's offset",
        ),
        (
            {
                "body": b'{"current": {"temperature_2m": 1, "weather_code": 3}, "utc_offset_seconds": -7200, '
                b'"hourly": {"time": ["9999-12-31T23:00"], "temperature_2m": [1]}}'
            },
            "not a time",
        ),
    ],
)
def test_a_failing_source_leaves_the_last_good_weather(kyiv, time_machine, failure, why):
    services.poll()
    time_machine.shift(timedelta(minutes=40))
    kyiv.fail_next(**failure)
    report = services.poll()
    assert len(report.failed) == 1 and why in report.failed[0]
    place = Place.objects.get()
    assert why in place.error and place.temperature == -2.4  # the last good answer stands
    weather = services.weather_of(Building.objects.all())[10]
    assert weather.answered_at == NOON and weather.stale(NOON + timedelta(minutes=40))
    assert SourceHealth.objects.get(source="open_meteo").failures == 1


def test_a_forecast_hour_with_its_own_offset_is_read_so(kyiv):
    kyiv.fail_next(
        body=b'{"current": {"temperature_2m": 1, "weather_code": 3}, "utc_offset_seconds": 0, '
        b'"hourly": {"time": ["2026-12-04T13:00+02:00"], "temperature_2m": [-9]}}'
    )
    services.poll()
    assert Place.objects.get().coldest_at == datetime(2026, 12, 4, 11, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))


def test_a_place_whose_fetch_failed_once_is_asked_again_the_next_minute(kyiv, time_machine):
    kyiv.fail_next(status=502)
    assert services.poll().failed
    time_machine.shift(timedelta(seconds=60))
    assert services.poll().asked == 1 and Place.objects.get().temperature == -2.4


def test_a_source_that_keeps_failing_is_asked_less_often(kyiv, time_machine):
    services.poll()
    for _ in range(3):
        time_machine.shift(timedelta(seconds=900))
        kyiv.fail_next(status=503)
        services.poll()
    asked = len(kyiv.asked)
    time_machine.shift(timedelta(seconds=60))
    services.poll()
    assert len(kyiv.asked) == asked  # backing off: the failing source is not asked every minute


def test_places_no_building_uses_are_dropped(kyiv):
    services.poll()
    Building.objects.filter(pk=10).update(latitude=Decimal("48.0"), longitude=Decimal("37.8"))
    Place.objects.update(asked_at=NOON - timedelta(hours=1))
    services.poll()
    assert list(Place.objects.values_list("latitude", "longitude")) == [(Decimal("48.0"), Decimal("37.8"))]


def test_weather_off_asks_nothing_and_shows_nothing(kyiv, settings):
    settings.WEATHER_POLL_SEC = 0
    assert services.poll().asked == 0 and kyiv.asked == []
    assert services.weather_of(Building.objects.all()) == {}


def test_the_demo_source_needs_no_network(make_building, settings):
    settings.WEATHER_DEMO = True
    make_building(id=10, sections=1)
    assert services.poll().asked == 1
    weather = services.weather_of(Building.objects.all())[10]
    assert -7 <= weather.temperature <= 1 and weather.coldest is not None and weather.coldest <= weather.temperature + 4


def test_the_beat_task_polls(kyiv):
    from weather.tasks import poll_weather

    poll_weather.delay()
    assert Place.objects.get().temperature == -2.4


def test_the_admin_lists_places_with_their_last_answer(kyiv, admin_client):
    services.poll()
    page = admin_client.get("/admin/weather/place/").content.decode()
    assert "50.5, 30.5" in page and "-2,4" in page  # the admin speaks Ukrainian: a decimal comma
