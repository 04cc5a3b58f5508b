"""A real Celery worker asks the fake Open-Meteo about the buildings' places as it starts, and
the bot's card shows what it found."""

from __future__ import annotations

from decimal import Decimal

import pytest

from weather.models import Place

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_fetches_the_weather_when_it_starts(open_meteo, make_building, worker_until):
    make_building(id=10, name="London", sections=1, latitude=Decimal("49.84"), longitude=Decimal("24.03"))
    open_meteo.set(49.8, 24.0, temperature=-6.3, code=73, hourly=[-7.0, -9.5])
    worker_until(lambda: Place.objects.filter(answered_at__isnull=False).exists(), WEATHER_API_URL=open_meteo.url)
    place = Place.objects.get()
    assert (place.temperature, place.weather_code, place.coldest) == (-6.3, 73, -9.5)
    assert open_meteo.asked == [(49.8, 24.0)]
