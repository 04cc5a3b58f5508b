"""The file source: YAML, JSON and CSV, all or nothing, every error listed."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from schedules.files import ScheduleFileError, import_file
from schedules.models import DayStatus, ScheduleChange, ScheduleDay, Source

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
pytestmark = pytest.mark.django_db

YAML = """
timezone: Europe/Kyiv
days:
  - {group: "3.1", date: 2026-12-03, off: ["08:00-12:00", "18:00–24:00"]}
  - {group: "3.1", date: tomorrow, status: none}
  - {group: "3.2", date: today, status: emergency}
"""


@pytest.fixture(autouse=True)
def morning(time_machine):
    time_machine.move_to(datetime(2026, 12, 3, 9, 0, tzinfo=KYIV), tick=False)


def stored() -> list[tuple[str, date, str, list[Any]]]:
    return list(ScheduleDay.objects.order_by("group", "date").values_list("group", "date", "status", "off"))


def test_a_yaml_file_is_imported_with_relative_dates(tmp_path):
    path = tmp_path / "schedule.yaml"
    path.write_text(YAML)
    out = StringIO()
    call_command("import_schedule", str(path), stdout=out)
    assert "3 new days" in out.getvalue()
    assert stored() == [
        ("3.1", date(2026, 12, 3), DayStatus.APPLIES, [[480, 720], [1080, 1440]]),
        ("3.1", date(2026, 12, 4), DayStatus.NONE, []),
        ("3.2", date(2026, 12, 3), DayStatus.EMERGENCY, []),
    ]
    assert set(ScheduleDay.objects.values_list("source", flat=True)) == {Source.FILE}


def test_importing_the_same_file_twice_changes_nothing_and_a_change_is_news(tmp_path):
    import_file(YAML, "yaml")
    assert import_file(YAML, "yaml").unchanged == 3
    report = import_file(YAML.replace('"18:00–24:00"', '"19:00-24:00"'), "yaml")
    assert report.changed == 1
    assert list(ScheduleChange.objects.values_list("kind", flat=True)) == ["changed"]


def test_json_and_csv_say_the_same():
    import_file('{"days": [{"group": "1.1", "date": "2026-12-03", "off": ["00:00-04:00"]}]}', "json")
    import_file("group,date,status,off\n1.2,2026-12-03,,00:00-04:00; 20:00-24:00\n2.1,2026-12-04,none,\n", "csv")
    assert stored() == [
        ("1.1", date(2026, 12, 3), DayStatus.APPLIES, [[0, 240]]),
        ("1.2", date(2026, 12, 3), DayStatus.APPLIES, [[0, 240], [1200, 1440]]),
        ("2.1", date(2026, 12, 4), DayStatus.NONE, []),
    ]


def test_a_bad_file_imports_nothing_and_lists_every_error(tmp_path):
    bad = """
days:
  - {group: 3.1, date: 2026-12-03, off: ["08:00-12:00"]}
  - {group: "3.1", date: someday, off: ["08:00-12:00"]}
  - {group: "3.2", date: 2026-12-03, off: ["12:00-08:00"]}
  - {group: "3.3", date: 2026-12-03, off: ["08:00-25:00"]}
  - {group: "3.4", date: 2026-12-03, status: none, off: ["08:00-09:00"]}
  - {group: "3.5", date: 2026-12-03, status: maybe}
  - {group: "3.6", date: 2026-12-03, colour: red}
  - {group: "3.7", date: 2026-12-03}
  - {group: "3.7", date: 2026-12-03}
"""
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    with pytest.raises(CommandError) as raised:
        call_command("import_schedule", str(path))
    message = str(raised.value)
    assert "nothing imported, 8 error(s)" in message
    for expected in [
        'days[0]: group must be text such as "3.1"',
        "days[1]: date must be YYYY-MM-DD",
        "days[2]: '12:00-08:00' ends before it starts",
        "days[3]: '25:00' is not a time of day",
        "days[4]: status none cannot have off intervals",
        "days[5]: status must be one of",
        "days[6]: unknown field(s) 'colour'",
        "days[8]: group 3.7 on 2026-12-03 is given twice",
    ]:
        assert expected in message
    assert stored() == []


@pytest.mark.parametrize(
    ("text", "fmt", "problem"),
    [
        ("days: [", "yaml", "not valid YAML"),
        ("{}", "json", "a list under 'days'"),
        ("timezone: Mars/Olympus\ndays: [{group: '1', date: today}]", "yaml", "not a known time zone"),
        ("name,when\nx,y\n", "csv", "at least the columns group and date"),
        ("days: []", "yaml", "lists no days"),
    ],
)
def test_files_that_are_not_schedules_are_refused_clearly(text, fmt, problem):
    with pytest.raises(ScheduleFileError, match=problem):
        import_file(text, fmt)


def test_a_dry_run_stores_nothing(tmp_path):
    path = tmp_path / "schedule.yaml"
    path.write_text(YAML)
    out = StringIO()
    call_command("import_schedule", str(path), "--dry-run", stdout=out)
    assert "would import: 3 new days" in out.getvalue()
    assert stored() == []


def test_an_operators_file_wins_over_yasno_for_its_days(yasno):
    from schedules import services

    yasno.today = date(2026, 12, 3)
    yasno.set_day("3.1", date(2026, 12, 3), off=[(0, 60)])
    services.poll_yasno()
    import_file('[{"group": "3.1", "date": "2026-12-03", "off": ["10:00-11:00"]}]', "json")
    assert services.believed_days("3.1", date(2026, 12, 3), date(2026, 12, 3))[date(2026, 12, 3)].off == [[600, 660]]
    assert list(ScheduleChange.objects.values_list("kind", flat=True)) == ["published"]
    yasno.set_day("3.1", date(2026, 12, 3), off=[(0, 120)])
    services.poll_yasno()  # the file's day is believed: Yasno's change is kept, not announced
    assert ScheduleChange.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "fmt", "problem"),
    [
        ('[{"group": "3.1", "date": "2026-12-03", "status": ["applies"]}]', "json", "status must be one of"),
        ('[{"group": "3.1", "date": "9999-12-31"}]', "json", "more than 366 days back or 31 ahead"),
        ('[{"group": "3.1", "date": "2026-02-30"}]', "json", "date must be YYYY-MM-DD"),
        ('[{"group": "3.1\\n", "date": "2026-12-03"}]', "json", 'group must be text such as "3.1"'),
        (
            '[{"group": "3.1", "date": "2026-12-03", "status": "emergency", "off": ["08:00-12:00"]}]',
            "json",
            "status emergency cannot have off intervals",
        ),
        ("group,date,off\n3.1,2026-12-04,08:00-12:00,18:00-22:00\n", "csv", "more values than columns"),
        ("group,date,off,group\n3.1,2026-12-04,08:00-12:00,3.2\n", "csv", "a column is named twice"),
    ],
)
def test_hostile_entries_are_listed_errors(text, fmt, problem):
    with pytest.raises(ScheduleFileError, match=problem):
        import_file(text, fmt)
    assert stored() == []


def test_an_alias_bomb_is_refused_before_it_is_built():
    entries = ["  - {group: &a0 [x, x, x, x, x, x, x, x, x], date: today}"]
    entries += [f"  - {{group: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}], date: today}}" for n in range(1, 8)]
    with pytest.raises(ScheduleFileError) as raised:
        import_file("days:\n" + "\n".join(entries) + "\n", "yaml")  # 9**8 values if written out
    assert raised.value.errors == [
        "not valid YAML: anchors and aliases (&name, *name, <<: *name) are not allowed: write each value out"
    ]


def test_a_spreadsheets_csv_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "schedule.csv"
    path.write_bytes("\ufeffgroup,date,off\n3.1,2026-12-04,08:00-12:00; 18:00-22:00\n".encode())
    call_command("import_schedule", str(path), stdout=StringIO())
    assert stored() == [("3.1", date(2026, 12, 4), DayStatus.APPLIES, [[480, 720], [1080, 1320]])]


def test_standard_input_is_read(monkeypatch):
    monkeypatch.setattr("sys.stdin", StringIO("days: [{group: '3.1', date: today, status: none}]"))
    call_command("import_schedule", "-", stdout=StringIO())
    assert stored() == [("3.1", date(2026, 12, 3), DayStatus.NONE, [])]


def test_importing_again_with_the_corrected_time_zone_corrects_the_day():
    import_file("timezone: Europe/London\ndays: [{group: '3.1', date: today, off: ['08:00-12:00']}]", "yaml")
    report = import_file("timezone: Europe/Kyiv\ndays: [{group: '3.1', date: today, off: ['08:00-12:00']}]", "yaml")
    assert report.changed == 1
    assert ScheduleDay.objects.get().timezone == "Europe/Kyiv"


def test_a_csv_field_over_the_limit_is_a_listed_error():
    with pytest.raises(ScheduleFileError, match="not valid CSV: field larger than field limit"):
        import_file("group,date,status,off\n3.1,today,applies," + "0" * 140_000 + "\n", "csv")


def test_a_merge_key_bomb_is_refused_before_it_is_built():
    levels = ["a0: &a0 {x: 1}"] + [f"a{n}: &a{n} {{<<: [{', '.join([f'*a{n - 1}'] * 9)}]}}" for n in range(1, 9)]
    with pytest.raises(ScheduleFileError, match="anchors and aliases"):
        import_file("\n".join(levels) + "\ndays: []\n", "yaml")


def test_a_file_of_many_errors_lists_the_first_hundred(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("group,date\n" + "x,today\n" * 500)
    with pytest.raises(CommandError) as raised:
        call_command("import_schedule", str(path))
    assert "500 error(s)" in str(raised.value) and "... and 400 more" in str(raised.value)
