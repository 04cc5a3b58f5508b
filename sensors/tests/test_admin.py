"""The operators' admin: sensor list, filters, mapping and freeze actions, keys shown once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from powerbot import counters
from publicapi.models import ReadKey
from sensors.models import Sensor, SensorAlias, WriteKey

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/sensors/sensor/"


@pytest.fixture
def sensors(make_building, make_sensor):
    make_building(id=10, sections=2)
    now = timezone.now()
    online = make_sensor("online-1", section=1, last_heartbeat=now)
    offline = make_sensor("offline-1", section=2, last_heartbeat=now - timedelta(hours=1))
    return online, offline


def act(admin_client, action: str, *sensors: Sensor):
    return admin_client.post(CHANGELIST, {"action": action, "_selected_action": [s.pk for s in sensors]}, follow=True)


def test_sensor_list_shows_online_state_and_filters_by_it(admin_client, sensors):
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert b"online-1" in response.content and b"offline-1" in response.content
    online_only = admin_client.get(CHANGELIST, {"online": "yes"}).content
    assert b"online-1" in online_only and b"offline-1" not in online_only
    offline_only = admin_client.get(CHANGELIST, {"online": "no"}).content
    assert b"offline-1" in offline_only and b"online-1" not in offline_only


def test_newly_seen_sensors_are_listed_first_and_filterable(admin_client, sensors):
    old = sensors[1]
    Sensor.objects.filter(pk=old.pk).update(first_seen_at=timezone.now() - timedelta(days=3))
    content = admin_client.get(CHANGELIST, {"new": "day"}).content
    assert b"online-1" in content and b"offline-1" not in content
    listing = admin_client.get(CHANGELIST).content
    assert listing.index(b"online-1") < listing.index(b"offline-1")


def test_sensor_list_shows_each_sensors_transport_and_last_will_and_filters_by_transport(admin_client, sensors):
    online = sensors[0]
    will = timezone.now() - timedelta(minutes=5)
    Sensor.objects.filter(pk=online.pk).update(transport="mqtt", last_will_at=will)
    listing = admin_client.get(CHANGELIST).content.decode()
    rows = {uuid: next(row for row in listing.split("<tr") if uuid in row) for uuid in ("online-1", "offline-1")}
    empty_will = 'field-last_will_at nowrap">-</td>'
    assert '<td class="field-transport">MQTT</td>' in rows["online-1"] and empty_will not in rows["online-1"]
    assert '<td class="field-transport">HTTP</td>' in rows["offline-1"] and empty_will in rows["offline-1"]
    mqtt_only = admin_client.get(CHANGELIST, {"transport__exact": "mqtt"}).content
    assert b"online-1" in mqtt_only and b"offline-1" not in mqtt_only
    page = admin_client.get(f"{CHANGELIST}{online.pk}/change/").content.decode()
    assert "Last will" in page and "MQTT" in page


def test_search_finds_a_sensor_by_uuid(admin_client, sensors):
    content = admin_client.get(CHANGELIST, {"q": "OFFLINE"}).content
    assert b"offline-1" in content and b"online-1" not in content


def test_pin_and_unpin_actions(admin_client, sensors):
    online, offline = sensors
    act(admin_client, "pin", online, offline)
    assert set(Sensor.objects.values_list("canonical", flat=True)) == {True}
    act(admin_client, "unpin", offline)
    assert Sensor.objects.get(pk=offline.pk).canonical is False


@pytest.mark.parametrize(
    ("action", "duration"),
    [
        ("freeze_for_15_min", timedelta(minutes=15)),
        ("freeze_for_1_h", timedelta(hours=1)),
        ("freeze_for_6_h", timedelta(hours=6)),
        ("freeze_until_unfrozen", None),
    ],
)
def test_freeze_actions_hold_the_current_value(admin_client, sensors, action, duration):
    online, offline = sensors
    before = timezone.now()
    act(admin_client, action, online, offline)
    online.refresh_from_db()
    offline.refresh_from_db()
    assert (online.frozen_is_up, offline.frozen_is_up) == (True, False)
    if duration is None:
        assert online.frozen_until is None
    else:
        assert before + duration <= online.frozen_until <= timezone.now() + duration
    act(admin_client, "unfreeze", online, offline)
    assert list(Sensor.objects.values_list("frozen_is_up", flat=True)) == [None, None]


def test_sensor_edit_page_moves_a_sensor_and_adds_an_alias(admin_client, sensors):
    online, _ = sensors
    page = admin_client.get(f"{CHANGELIST}{online.pk}/change/")
    assert page.status_code == 200
    target = online.section.building.sections.get(number=2)
    response = admin_client.post(
        f"{CHANGELIST}{online.pk}/change/",
        {
            "uuid": online.uuid,
            "name": "",
            "comment": "",
            "enabled": "on",
            "section": target.pk,
            "canonical": "on",
            "frozen_is_up": "",
            "frozen_until_0": "",
            "frozen_until_1": "",
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content
    online.refresh_from_db()
    assert (online.section_id, online.canonical) == (target.pk, True)


def test_alias_to_the_sensors_own_section_is_refused(sensors):
    from django.core.exceptions import ValidationError

    online, _ = sensors
    with pytest.raises(ValidationError):
        SensorAlias(sensor=online, section=online.section).full_clean()


@pytest.mark.parametrize(
    ("model", "url"), [(WriteKey, "/admin/sensors/writekey/add/"), (ReadKey, "/admin/publicapi/readkey/add/")]
)
def test_new_key_is_shown_once_and_stored_hashed(admin_client, model, url):
    response = admin_client.post(url, {"name": "board 7", "sensor_uuid": ""})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    shown = re.search(rf'id="new-api-key"[^>]*>({model.PREFIX}[\w-]+)<', response.content.decode())
    assert shown is not None
    raw = shown.group(1)
    assert not list(get_messages(response.wsgi_request))  # never carried in a cookie or the session
    assert raw not in response.cookies.output()
    key = model.objects.get()
    assert key.key_hash != raw and raw not in str(list(model.objects.values().get().values()))
    assert model.authenticate(raw) == key
    assert raw not in admin_client.get(f"{url.removesuffix('add/')}{key.pk}/change/").content.decode()


def test_revoke_action_stops_a_key(admin_client):
    key = WriteKey(name="leaked")
    raw = key.set_new_key()
    key.save()
    admin_client.post("/admin/sensors/writekey/", {"action": "revoke", "_selected_action": [key.pk]})
    assert WriteKey.authenticate(raw) is None


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/buildings/building/",
        "/admin/buildings/building/add/",
        "/admin/sensors/sensoralias/",
        "/admin/sensors/writekey/",
        "/admin/publicapi/readkey/",
    ],
)
def test_admin_pages_render(admin_client, sensors, url):
    response = admin_client.get(url)
    assert response.status_code == 200
    assert b"PowerBot operators" in response.content


def test_alias_form_lists_sections_with_one_query(admin_client, sensors, django_assert_max_num_queries):
    from buildings.models import Building

    for n in range(11, 21):
        Building.objects.create(id=n, name=f"B{n}", section_count=4)
    counters.flush(force=True)  # what earlier tests counted is not written inside the measured request
    with django_assert_max_num_queries(12):  # session, user, and the choices: not one per section
        response = admin_client.get("/admin/sensors/sensoralias/add/")
    assert response.content.count(b"<option") >= 42


@pytest.mark.parametrize("uuid", ["ONLINE-1", " Online-1 "])
def test_a_uuid_that_is_another_sensors_in_other_letters_is_refused_not_a_500(admin_client, sensors, uuid):
    _, offline = sensors
    form = {
        "uuid": uuid,
        "name": "",
        "comment": "",
        "enabled": "on",
        "section": offline.section_id,
        "frozen_is_up": "",
        "frozen_until_0": "",
        "frozen_until_1": "",
        "aliases-TOTAL_FORMS": "0",
        "aliases-INITIAL_FORMS": "0",
    }
    for url in (f"{CHANGELIST}{offline.pk}/change/", f"{CHANGELIST}add/"):  # renamed, or added
        response = admin_client.post(url, form)
        assert response.status_code == 200 and "already has this uuid (online-1)" in response.content.decode()
    assert Sensor.objects.count() == 2
