"""The sensor port serves the firmware's paths only; behind the HTTPS proxy, plain HTTP is
redirected, the firmware's paths aside, and cookies are secure."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import WRITE_KEY

pytestmark = pytest.mark.django_db


class SensorPortClient(Client):
    """Requests arriving at port 8001 (the test client says 80 unless told per request)."""

    def generic(self, *args, **extra):
        return super().generic(*args, **{**extra, "SERVER_PORT": "8001"})


@pytest.fixture
def sensor_port(settings):
    settings.SENSOR_ONLY_PORT = 8001
    return SensorPortClient()


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/login/", "/api/v1/public/sensors/status", "/metrics", "/api/v1/docs/", "/api/v1/ready"]
)
def test_the_sensor_port_hides_everything_but_the_firmwares_paths(sensor_port, path):
    response = sensor_port.get(path)
    assert response.status_code == 404 and response.json() == {"status": "error", "message": "Not found"}


def test_the_sensor_port_takes_heartbeats_and_answers_health_and_firmware_checks(sensor_port, make_building):
    make_building(id=10, sections=1)
    heartbeat = sensor_port.post(
        "/api/v1/heartbeat",
        {"api_key": WRITE_KEY, "building_id": 10, "sensor_uuid": "a"},
        content_type="application/json",
    )
    assert heartbeat.status_code == 200
    assert sensor_port.get("/api/v1/health").status_code == 200
    check = sensor_port.get(
        "/api/v1/firmware/check",
        {"sensor_uuid": "a", "current_version": "1.0.0", "board": "wt32-eth01"},
        HTTP_X_API_KEY=WRITE_KEY,
    )
    assert check.json() == {"update_available": False}
    assert Client().get("/admin/login/").status_code == 200  # the other port serves the rest


def test_behind_the_https_proxy_plain_http_is_redirected_but_not_the_sensors(settings, make_building):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_REDIRECT_EXEMPT = [*settings.SENSOR_PATHS, r"^metrics/?$", r"^api/v1/ready/?$"]
    make_building(id=10, sections=1)
    client = Client()
    assert client.get("/admin/login/").status_code == 301
    assert client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert (
        client.post(
            "/api/v1/heartbeat",
            {"api_key": WRITE_KEY, "building_id": 10, "sensor_uuid": "a"},
            content_type="application/json",
        ).status_code
        == 200
    )
