"""Security headers on every kind of page (Django's SecurityMiddleware and django-csp), and a
real browser that finds nothing the Content-Security-Policy has to refuse on them."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import READ_KEY
from notifications.models import Broadcast

pytestmark = pytest.mark.django_db

PAGES = {
    "admin login": "/admin/login/",
    "public status page": "/status/",
    "a building's status page": "/status/10/",
    "badge": "/badge/10.svg",
    "API docs": "/api/v1/docs/",
    "read API": "/api/v1/public/buildings",
    "health": "/api/v1/health",
}


def policy(response: Any) -> dict[str, str]:
    """The Content-Security-Policy, directive by directive."""
    return dict(part.strip().partition(" ")[::2] for part in response["Content-Security-Policy"].split(";"))


@pytest.fixture
def public_building(make_building):
    return make_building(id=10, public=True)


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_every_kind_of_page_carries_the_security_headers(client, public_building, path):
    response = client.get(path, HTTP_X_API_KEY=READ_KEY)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    csp = policy(response)
    assert csp["default-src"] == "'self'" and csp["script-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"


def test_the_operators_pages_carry_them_too(admin_client, public_building):
    for path in ("/admin/", "/admin/apps/", "/admin/buildings/building/10/change/"):
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert policy(response)["frame-ancestors"] == "'none'" and response["X-Frame-Options"] == "DENY"


def test_only_telegrams_web_clients_may_frame_the_mini_app(client):
    page = client.get("/app/")
    assert "X-Frame-Options" not in page
    assert policy(page)["frame-ancestors"] == "https://web.telegram.org"
    assert policy(page)["script-src"] == "'self' https://telegram.org"


def test_hsts_is_sent_over_https_behind_the_proxy_only(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31_536_000
    over_https = client.get("/api/v1/health", HTTP_X_FORWARDED_PROTO="https")
    assert over_https["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/api/v1/health")  # plain HTTP: a browser ignores it


@pytest.mark.django_db(transaction=True)
def test_a_browser_finds_nothing_the_policy_refuses(live_server, admin_browser, make_building):
    make_building(id=10, public=True)
    draft = Broadcast.objects.create(text="Water off tomorrow 10:00-12:00")
    browser = admin_browser
    refused: dict[str, list[str]] = {}
    for path in (
        "/admin/",
        "/admin/buildings/building/",
        "/admin/buildings/building/10/change/",
        "/admin/sensors/sensor/",
        f"/admin/notifications/broadcast/{draft.pk}/change/",
        "/status/",
        "/status/10/",
        "/app/",
        "/api/v1/docs/",
    ):
        browser.get(f"{live_server.url}{path}")
        assert "/admin/login/" not in browser.current_url  # still logged in: the page itself was seen
        messages = [entry["message"] for entry in browser.get_log("browser")]
        refused[path] = [text for text in messages if "Content Security Policy" in text]
    assert refused == {path: [] for path in refused}
    assert "swagger-ui" in browser.page_source  # the docs' script ran: it drew the page
