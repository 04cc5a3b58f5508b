"""The read API per read key (READ_API_RATE): a poller in a tight loop is refused with 429,
every other key still reads."""

from __future__ import annotations

import pytest

from conftest import READ_KEY
from publicapi.models import ReadKey

pytestmark = pytest.mark.django_db

LIST = "/api/v1/public/sensors/status"


def new_key(name: str) -> str:
    key = ReadKey(name=name)
    raw = key.set_new_key()
    key.save()
    return raw


def test_one_key_over_its_rate_is_refused_on_every_read_endpoint(client, settings, make_building):
    settings.READ_API_RATE = "2/min"
    make_building()
    assert client.get(LIST, HTTP_X_API_KEY=READ_KEY).status_code == 200
    assert client.get("/api/v1/public/buildings", HTTP_AUTHORIZATION=f"Bearer {READ_KEY}").status_code == 200
    over = client.get("/api/v1/public/buildings/10/status", {"api_key": READ_KEY})
    assert over.status_code == 429 and over.json()["status"] == "error"


def test_other_keys_read_while_one_is_limited(client, settings):
    settings.READ_API_RATE = "1/min"
    first_key, second_key = (new_key("Poller in a loop"), new_key("City dashboard"))
    client.get(LIST, HTTP_X_API_KEY=first_key)
    assert client.get(LIST, HTTP_X_API_KEY=first_key).status_code == 429
    assert client.get(LIST, HTTP_X_API_KEY=second_key).status_code == 200
    assert client.get(LIST, HTTP_X_API_KEY=READ_KEY).status_code == 200  # the key from the environment


def test_the_default_rate_serves_a_poller_every_tenth_of_a_second(client):
    assert {client.get(LIST, HTTP_X_API_KEY=READ_KEY).status_code for _ in range(100)} == {200}


def test_the_schema_documents_the_429(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    assert "429" in schema["paths"]["/api/v1/public/sensors/status/"]["get"]["responses"]
    assert "429" in schema["paths"]["/api/v1/heartbeat/"]["post"]["responses"]
    assert "429" in schema["paths"]["/api/v1/firmware/download/{board}/{version}/"]["get"]["responses"]
