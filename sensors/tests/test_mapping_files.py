"""import_mappings / export_mappings: idempotent, validated, all-or-nothing."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from buildings.models import Building, Section
from sensors.models import Sensor, SensorAlias

pytestmark = pytest.mark.django_db

GOOD = """\
buildings:
  - {id: 10, name: "London", address: "1 Baker St", sections: 3, default_section: 2}
  - {id: 11, name: "Paris", sections: 2, latitude: 48.85661, longitude: 2.35222, timezone: Europe/Paris}
sensors:
  - {uuid: esp32-london-001, building: 10, section: 2, canonical: true, name: "Main board"}
  - {uuid: esp32-paris-001, building: 11, section: 1}
aliases:
  - {sensor: esp32-london-001, building: 11, section: 2}
"""


def run(*args: str, stdin: str | None = None) -> str:
    out = StringIO()
    if stdin is not None:
        import sys

        old, sys.stdin = sys.stdin, StringIO(stdin)
        try:
            call_command(*args, stdout=out)
        finally:
            sys.stdin = old
    else:
        call_command(*args, stdout=out)
    return out.getvalue()


def snapshot() -> tuple[Any, ...]:
    return (
        list(Building.objects.values()),
        list(Section.objects.values()),
        list(Sensor.objects.values()),
        list(SensorAlias.objects.values()),
    )


def test_import_creates_everything_the_file_describes(tmp_path):
    (path := tmp_path / "map.yaml").write_text(GOOD)
    output = run("import_mappings", str(path))
    assert "buildings: 2 created" in output and "aliases: 1 created" in output
    london = Building.objects.get(pk=10)
    assert (london.name, london.section_count, london.default_section) == ("London", 3, 2)
    assert london.sections.count() == 3
    sensor = Sensor.objects.select_related("section").get(uuid="esp32-london-001")
    assert (sensor.section.building_id, sensor.section.number, sensor.canonical) == (10, 2, True)
    assert SensorAlias.objects.get().section.building_id == 11


def test_importing_the_same_file_twice_changes_nothing(tmp_path):
    (path := tmp_path / "map.yaml").write_text(GOOD)
    run("import_mappings", str(path))
    before = snapshot()
    output = run("import_mappings", str(path))
    assert "nothing changed" in output
    assert "buildings: 0 created, 0 updated, 2 unchanged" in output
    assert snapshot() == before


def test_a_bad_file_changes_nothing_and_names_every_bad_entry(tmp_path):
    (path := tmp_path / "map.yaml").write_text(GOOD)
    run("import_mappings", str(path))
    before = snapshot()
    bad = GOOD.replace('name: "Paris"', 'name: "Paris-renamed"') + (
        "  - {sensor: nobody, building: 10, section: 1}\n  - {sensor: esp32-paris-001, building: 10, section: 9}\n"
    )
    (path := tmp_path / "bad.yaml").write_text(bad)
    with pytest.raises(CommandError) as raised:
        run("import_mappings", str(path))
    message = str(raised.value)
    assert "nothing was changed" in message
    assert "aliases[1] (line 9): sensor 'nobody' is neither in the database nor in this file" in message
    assert "aliases[2] (line 10): building 10 has no section 9" in message
    assert snapshot() == before


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("- 1\n", "must be a mapping"),
        ("buildings: {id: 1}\n", "buildings: must be a list"),
        ("cars: []\n", "unknown top-level key(s): cars"),
        ("buildings:\n  - {id: 1}\n", "buildings[0] (line 2): missing field(s) name"),
        ("buildings:\n  - {id: 1, name: A, colour: red}\n", "unknown field(s) colour"),
        ("buildings:\n  - {id: one, name: A}\n", "id must be a whole number"),
        ("buildings:\n  - {id: 1, name: A, sections: 2, default_section: 3}\n", "default_section"),
        ("buildings:\n  - {id: 1, name: A, timezone: Mars/Olympus}\n", "not a known time zone"),
        (
            "buildings:\n  - {id: 1, name: A}\n  - {id: 1, name: B}\n",
            "buildings[1] (line 3): duplicate of buildings[0]",
        ),
        (
            "sensors:\n  - {uuid: x, building: 5, section: 1}\n",
            "building 5 is neither in the database nor in this file",
        ),
        (
            "buildings: [{id: 1, name: A}]\nsensors: [{uuid: a, building: 1, section: 1, canonical: maybe}]\n",
            "sensors[0] (line 2): canonical must be true or false",
        ),
        ("buildings: [\n", "not valid YAML"),
        # Out-of-range values are listed errors, never tracebacks.
        ("buildings: [{id: 1, name: A, latitude: .inf}]\n", "latitude must be a number from -90 to 90"),
        ("buildings: [{id: 1, name: A, longitude: 1.0e+30}]\n", "longitude must be a number from -180 to 180"),
        ("buildings: [{id: 99999999999999999999999, name: A}]\n", "id must be between 1 and 2147483647"),
        ("buildings: [{id: 1, name: A, sections: 0}]\n", "sections must be between 1 and 99"),
        ("sensors: [{uuid: a, building: 99999999999999999999999, section: 1}]\n", "building must be between 1 and"),
        ("buildings: " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply"),
    ],
)
def test_invalid_documents_are_refused_with_a_clear_message(tmp_path, document, expected):
    (path := tmp_path / "bad.yaml").write_text(document)
    with pytest.raises(CommandError) as raised:
        run("import_mappings", str(path))
    assert expected in str(raised.value)
    assert snapshot() == ([], [], [], [])


def test_reducing_sections_that_still_have_sensors_is_refused(tmp_path):
    (path := tmp_path / "map.yaml").write_text(GOOD)
    run("import_mappings", str(path))
    (path := tmp_path / "shrink.yaml").write_text(
        "buildings:\n  - {id: 10, name: London, sections: 1, default_section: 1}\n"
    )
    with pytest.raises(CommandError) as raised:
        run("import_mappings", str(path))
    assert "sections [2] still have sensors" in str(raised.value)
    assert Building.objects.get(pk=10).section_count == 3


def test_dry_run_reports_without_changing_anything(tmp_path):
    (path := tmp_path / "map.yaml").write_text(GOOD)
    output = run("import_mappings", str(path), "--dry-run")
    assert "buildings: 2 created" in output and "Dry run" in output
    assert snapshot() == ([], [], [], [])


def test_omitted_fields_keep_their_current_values(tmp_path, make_building):
    make_building(id=10, name="London", sections=3, address="1 Baker St")
    (path := tmp_path / "map.yaml").write_text("buildings:\n  - {id: 10, name: London Central}\n")
    run("import_mappings", str(path))
    london = Building.objects.get(pk=10)
    assert (london.name, london.address, london.section_count) == ("London Central", "1 Baker St", 3)


def test_export_then_import_into_an_empty_database_round_trips(tmp_path, django_db_blocker):
    (path := tmp_path / "map.yaml").write_text(GOOD)
    run("import_mappings", str(path))
    for fmt in ("yaml", "json"):
        exported = run("export_mappings", "--format", fmt)
        SensorAlias.objects.all().delete()
        Sensor.objects.all().delete()
        Building.objects.all().delete()
        (again := tmp_path / f"again.{fmt}").write_text(exported)
        run("import_mappings", str(again))
        assert run("export_mappings", "--format", fmt) == exported


def test_export_lists_buildings_sensors_and_aliases(tmp_path):
    (path := tmp_path / "map.yaml").write_text(GOOD)
    run("import_mappings", str(path))
    document = json.loads(run("export_mappings", "--format", "json"))
    assert document["buildings"][1] == {
        "id": 11,
        "name": "Paris",
        "address": "",
        "sections": 2,
        "default_section": 1,
        "latitude": 48.85661,
        "longitude": 2.35222,
        "timezone": "Europe/Paris",
    }
    assert document["aliases"] == [{"sensor": "esp32-london-001", "building": 11, "section": 2}]


def test_import_reads_standard_input_and_json(tmp_path):
    output = run(
        "import_mappings", "-", "--format", "json", stdin=json.dumps({"buildings": [{"id": 3, "name": "Rome"}]})
    )
    assert "buildings: 1 created" in output
    assert Building.objects.get(pk=3).sections.count() == 1


def test_missing_file_is_a_clear_error():
    with pytest.raises(CommandError, match=r"cannot read /nonexistent\.yaml"):
        run("import_mappings", "/nonexistent.yaml")


def test_uuids_are_trimmed_everywhere_in_a_file(tmp_path):
    document = GOOD + "  - {sensor: ' ESP32-LONDON-001 ', building: 10, section: 1}\n"
    (path := tmp_path / "map.yaml").write_text(document)
    run("import_mappings", str(path))
    assert SensorAlias.objects.count() == 2
    twice = (
        "buildings: [{id: 1, name: A, sections: 2}]\nsensors:\n  - {uuid: d1, building: 1, section: 1}\n"
        "  - {uuid: ' D1 ', building: 1, section: 2}\n"
    )
    (dup := tmp_path / "dup.yaml").write_text(twice)
    with pytest.raises(CommandError, match=r"sensors\[1\] \(line 4\): duplicate of sensors\[0\]"):
        run("import_mappings", str(dup))


def test_import_writes_only_the_files_fields(make_building, make_sensor):
    make_building(id=10, sections=3)
    sensor = make_sensor("a", section=1)
    stale = Sensor.objects.get(pk=sensor.pk)  # what the importer reads before a heartbeat lands
    Sensor.objects.filter(pk=sensor.pk).update(last_ip="192.0.2.7", frozen_is_up=True)
    from sensors.mappings import _save_if_changed

    assert _save_if_changed(stale, {"name": "renamed"}, created=False) == "updated"
    sensor.refresh_from_db()
    assert (sensor.name, sensor.last_ip, sensor.frozen_is_up) == ("renamed", "192.0.2.7", True)


def test_alias_to_the_sensors_own_section_reads_plainly(tmp_path):
    document = GOOD + "  - {sensor: esp32-paris-001, building: 11, section: 1}\n"
    (path := tmp_path / "map.yaml").write_text(document)
    with pytest.raises(CommandError) as raised:
        run("import_mappings", str(path))
    assert "aliases[1] (line 9): The sensor is already in this section" in str(raised.value)
    assert "__all__" not in str(raised.value)


def test_a_mapping_file_with_aliases_is_refused_before_they_are_built():
    from sensors.mappings import MappingError, parse

    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"] + [
        f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 9)
    ]
    with pytest.raises(MappingError, match="anchors and aliases"):
        parse("\n".join(levels) + "\nbuildings: [{id: 1, name: x, schedule_group: *a8}]\n", "yaml")
