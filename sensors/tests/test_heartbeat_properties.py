"""Property-based: no payload, however malformed, reaches a 500 or a partial write."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from conftest import WRITE_KEY
from sensors.models import Sensor

pytestmark = pytest.mark.django_db

DOCUMENTED = {
    200: None,
    400: {
        "Invalid JSON",
        "building_id must be an integer",
        "sensor_uuid is required and must be a string",
        "section_id must be integer 1..3",
        "name must be string",
        "comment must be string",
    },
    401: {"Invalid API key"},
    404: None,  # "Building {id} not found", checked below
    413: None,
}

json_scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | st.text(max_size=80)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)
field_values = {
    "api_key": st.just(WRITE_KEY) | json_values,
    "building_id": st.just(10) | st.integers() | json_values,
    "section_id": st.sampled_from([1, 2, 3]) | json_values,
    "sensor_uuid": st.text(min_size=0, max_size=70) | st.text(alphabet="abc-", min_size=1, max_size=3) | json_values,
    "name": json_values,
    "comment": json_values,
}
payloads = st.fixed_dictionaries({}, optional=field_values) | st.dictionaries(st.text(max_size=12), json_values)
bodies = (
    payloads.map(lambda p: json.dumps(p).encode())
    | st.binary(max_size=200)
    | json_values.map(lambda v: json.dumps(v).encode())
)

property_settings = hypothesis_settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(autouse=True)
def london(make_building):
    make_building(id=10, sections=3)


@pytest.fixture(autouse=True)
def _no_rate_limits(settings) -> None:
    """Hundreds of bodies from one address within a second: the limits would answer most of them
    (their own tests are in test_heartbeat_rate.py and powerbot/tests/test_rate_limits.py)."""
    settings.HEARTBEAT_RATE = settings.BAD_KEY_RATE = None


@property_settings
@given(body=bodies)
def test_any_body_gets_a_documented_answer_and_rejections_write_nothing(post_heartbeat, body):
    before = list(Sensor.objects.order_by("pk").values())
    response = post_heartbeat(raw=body)
    assert response.status_code in DOCUMENTED, (response.status_code, body)
    data = response.json()
    if response.status_code == 200:
        assert data["status"] == "ok"
        return
    assert data["status"] == "error"
    expected = DOCUMENTED[response.status_code]
    if expected is not None:
        assert data["message"] in expected
    elif response.status_code == 404:
        assert data["message"].startswith("Building ") and data["message"].endswith(" not found")
    assert list(Sensor.objects.order_by("pk").values()) == before


@property_settings
@given(building_id=st.integers() | json_values, section_id=json_values)
def test_a_rogue_payload_never_moves_a_canonical_sensor(post_heartbeat, make_sensor, building_id, section_id):
    from sensors.models import Sensor as Model

    pinned = Model.objects.by_uuid("pinned").first() or make_sensor("pinned", section=3, canonical=True)
    post_heartbeat({"building_id": building_id, "section_id": section_id, "sensor_uuid": "PINNED"})
    pinned.refresh_from_db()
    assert (pinned.section.building_id, pinned.section.number) == (10, 3)
