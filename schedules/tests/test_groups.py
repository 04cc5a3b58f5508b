"""Each section's schedule group: its own, its building's, or Yasno's address look-up."""

from __future__ import annotations

import pytest

from buildings.models import Section
from powerbot import config
from schedules import groups
from schedules.models import AddressLookup
from sensors.mappings import export_document, import_document

pytestmark = pytest.mark.django_db


def test_a_sections_own_group_wins_over_its_buildings(make_building):
    building = make_building(id=10, sections=3, schedule_group="3.1")
    Section.objects.filter(building=building, number=2).update(schedule_group="3.2")
    found = groups.section_groups(Section.objects.filter(building=building))
    assert sorted(found.values()) == ["3.1", "3.1", "3.2"]
    assert groups.sections_in("3.2") == [Section.objects.get(building=building, number=2)]


def test_the_address_look_up_finds_the_group_from_the_buildings_address(yasno, make_building):
    yasno.add_address("вул. Шевченка", "1", 3, 1)
    make_building(id=10, sections=2, address="вул. Шевченка, 1")
    assert groups.refresh_lookups() == 1
    assert set(groups.section_groups(Section.objects.all()).values()) == {"3.1"}
    assert groups.refresh_lookups() == 0  # cached for SCHEDULE_LOOKUP_HOURS
    streets = [r for r in yasno.requests if "streets" in r]
    assert (
        len(streets) == 1 and "query=%D0%B2%D1%83%D0%BB.+%D0%A8%D0%B5%D0%B2%D1%87%D0%B5%D0%BD%D0%BA%D0%B0" in streets[0]
    )


def test_an_address_that_resolves_to_nothing_is_shown_not_guessed(yasno, make_building):
    make_building(id=10, sections=1, address="Nowhere Lane 5")
    groups.refresh_lookups()
    lookup = AddressLookup.objects.get()
    assert lookup.group == "" and "no street matching 'Nowhere Lane'" in lookup.problem
    assert groups.section_groups(Section.objects.all()) == {}


def test_the_seeds_yasno_building_variables_give_each_sections_queries(yasno, make_building, settings):
    yasno.add_address("хрещатик", "22", 1, 2)
    yasno.add_address("хрещатик", "22а", 4, 1)
    settings.YASNO_BUILDINGS = config.parse_yasno_buildings(
        {
            "YASNO_BUILDING_10_STREET_QUERY": "Хрещатик",
            "YASNO_BUILDING_10_HOUSE_QUERIES": "22|22/1",
            "YASNO_BUILDING_10_HOUSE_QUERIES_SEC_2": "22а",
        }
    )
    make_building(id=10, sections=2)
    groups.refresh_lookups()
    found = groups.section_groups(Section.objects.order_by("number"))
    assert list(found.values()) == ["1.2", "4.1"]


@pytest.mark.parametrize(
    ("environment", "problem"),
    [
        ({"YASNO_BUILDING_10_HOUSE_QUERIES": "1"}, "STREET_QUERY: is needed"),
        ({"YASNO_BUILDING_10_STREET_QUERY": "Main"}, "HOUSE_QUERIES: is needed"),
        ({"YASNO_BUILDING_X_STREET_QUERY": "Main"}, "the name must be"),
        ({"YASNO_BUILDING_10_STREET_QUERY": "Main", "YASNO_BUILDING_10_HOUSE_QUERIES": "||"}, "at least one house"),
    ],
)
def test_bad_yasno_building_variables_stop_the_start_with_the_variables_name(environment, problem):
    with pytest.raises(config.ConfigError, match=problem):
        config.parse_yasno_buildings(environment)


def test_a_yasno_failure_keeps_the_group_found_before(yasno, make_building, time_travel):
    yasno.add_address("шевченка", "1", 3, 1)
    make_building(id=10, sections=1, address="Шевченка 1")
    groups.refresh_lookups()
    time_travel(hours=13)
    yasno.fail_next(times=3, status=503)
    groups.refresh_lookups()
    assert AddressLookup.objects.get().group == "3.1"


def test_the_mapping_file_sets_and_exports_groups(make_building):
    import_document(
        {
            "buildings": [
                {
                    "id": 10,
                    "name": "London",
                    "sections": 3,
                    "schedule_group": "3.1",
                    "section_schedule_groups": {2: "3.2"},
                }
            ]
        }
    )
    assert list(Section.objects.order_by("number").values_list("schedule_group", flat=True)) == ["", "3.2", ""]
    [entry] = export_document()["buildings"]
    assert entry["schedule_group"] == "3.1" and entry["section_schedule_groups"] == {2: "3.2"}
    report = import_document({"buildings": [{"id": 10, "name": "London", "section_schedule_groups": {}}]})
    assert report.counts["buildings"]["updated"] == 1
    assert not Section.objects.exclude(schedule_group="").exists()


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"schedule_group": 3.1}, 'schedule_group must be text such as "3.1"'),
        ({"schedule_group": "three"}, 'schedule_group must be text such as "3.1"'),
        ({"section_schedule_groups": {7: "3.2"}}, "7 is not a section of the building"),
        ({"section_schedule_groups": ["3.2"]}, "must map section numbers to groups"),
    ],
)
def test_bad_groups_in_the_mapping_file_are_refused(entry, problem):
    from sensors.mappings import MappingError

    with pytest.raises(MappingError, match=problem):
        import_document({"buildings": [{"id": 10, "name": "London", "sections": 3, **entry}]})


def test_a_house_yasno_only_nearly_knows_is_not_guessed(yasno, make_building):
    yasno.add_address("вул. Шевченка", "55", 4, 2)
    make_building(id=10, sections=1, address="вул. Шевченка, 5")
    groups.refresh_lookups()
    lookup = AddressLookup.objects.get()
    assert lookup.group == "" and "no house '5'" in lookup.problem


def test_a_street_query_that_matches_several_streets_is_not_guessed(yasno, make_building):
    yasno.add_address("вул. Шевченка", "1", 3, 1)
    yasno.add_address("пров. Шевченка", "1", 5, 1)
    make_building(id=10, sections=1, address="Шевченка 1")
    groups.refresh_lookups()
    assert "matches several streets" in AddressLookup.objects.get().problem


@pytest.mark.parametrize("answer", [(None, None), ("abc", None), (3, "1; DROP"), (123456, 7)])
def test_a_group_yasno_answers_that_is_not_a_group_is_not_stored(yasno, make_building, answer):
    yasno.add_address("вул. Шевченка", "1", *answer)
    make_building(id=10, sections=1, address="вул. Шевченка, 1")
    groups.refresh_lookups()
    lookup = AddressLookup.objects.get()
    assert lookup.group == "" and lookup.problem


def test_a_long_address_is_looked_up_without_breaking_the_others(yasno, make_building):
    yasno.add_address("вул. Шевченка", "1", 3, 1)
    make_building(id=10, sections=1, address="вулиця " + "Дуже Довга Назва " * 14 + ", 7")
    make_building(id=11, sections=1, address="вул. Шевченка, 1")
    assert groups.refresh_lookups() == 2
    assert AddressLookup.objects.get(building_id=11).group == "3.1"


def test_a_json_mapping_file_round_trips_its_section_groups(make_building):
    import json

    import_document({"buildings": [{"id": 10, "name": "London", "sections": 3, "section_schedule_groups": {2: "3.2"}}]})
    document = json.loads(json.dumps(export_document()))  # JSON's keys are text: {"2": "3.2"}
    assert document["buildings"][0]["section_schedule_groups"] == {"2": "3.2"}
    assert import_document(document).counts["buildings"]["unchanged"] == 1
