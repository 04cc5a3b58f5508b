"""Operators' view of the engine: current state, history, setting a state, releasing a hold."""

from __future__ import annotations

import pytest
from django.utils import timezone

from buildings.models import Section
from sensors.models import MassSilence, PowerCause, PowerEvent, PowerState, SectionPower

pytestmark = pytest.mark.django_db


@pytest.fixture
def section(make_building) -> Section:
    make_building(id=10, sections=2)
    return Section.objects.get(building_id=10, number=2)


def test_setting_a_section_state_in_the_admin_records_an_operator_event(admin_client, admin_user, section):
    response = admin_client.post(
        "/admin/sensors/powerevent/add/",
        {"section": section.pk, "state": "down", "reason": "planned works"},
        follow=True,
    )
    assert response.status_code == 200
    event = PowerEvent.objects.get()
    assert (event.state, event.cause, event.reason, event.operator) == (
        PowerState.DOWN,
        PowerCause.OPERATOR,
        "planned works",
        admin_user.username,
    )
    assert SectionPower.objects.get(section=section).state == PowerState.DOWN
    listing = admin_client.get("/admin/sensors/powerevent/").content.decode()
    assert "planned works" in listing


def test_a_state_without_a_reason_is_refused_and_records_nothing(admin_client, section):
    response = admin_client.post("/admin/sensors/powerevent/add/", {"section": section.pk, "state": "down"})
    assert response.status_code == 200 and "reason" in response.context["adminform"].form.errors
    assert not PowerEvent.objects.exists()


def test_history_cannot_be_edited_or_deleted(admin_client, section):
    from sensors.power import set_section_state

    event = set_section_state(section, PowerState.UP, "checked on site", operator="alice")
    assert admin_client.post(f"/admin/sensors/powerevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PowerEvent.objects.filter(pk=event.pk).exists()
    assert admin_client.get("/admin/sensors/sectionpower/").status_code == 200


def test_releasing_a_mass_silence_in_the_admin_records_held_sections(admin_client, admin_user, section):
    SectionPower.objects.create(section=section, state=PowerState.UNKNOWN, cause=PowerCause.GUARD)
    silence = MassSilence.objects.create(started_at=timezone.now(), silent_sensors=12, active_sensors=12, buildings=3)
    admin_client.post("/admin/sensors/masssilence/", {"action": "release", "_selected_action": [silence.pk]})
    silence.refresh_from_db()
    assert not silence.open and silence.ended_by == admin_user.username
    # No sensor counts for the section: its true state is unknown, now no longer held.
    assert SectionPower.objects.get(section=section).cause == PowerCause.RESTORED


@pytest.mark.parametrize(
    "page",
    [
        "/admin/sensors/sectionpower/",
        "/admin/sensors/powerevent/",
        "/admin/sensors/powerevent/add/",
        "/admin/sensors/masssilence/",
        "/admin/notifications/notificationpause/",
        "/admin/notifications/notificationpause/add/",
    ],
)
def test_engine_pages_render(admin_client, section, page):
    from sensors.power import set_section_state

    set_section_state(section, PowerState.UP, "checked on site", operator="alice")
    MassSilence.objects.create(started_at=timezone.now(), silent_sensors=12, active_sensors=12, buildings=3)
    response = admin_client.get(page)
    assert response.status_code == 200
    assert b"<form" in response.content
