"""Response shapes of the read-only API, also the source of its OpenAPI schema."""

from rest_framework import serializers

from sensors.models import PowerState


class SensorStatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    is_up = serializers.BooleanField()


# The sensor list is built as plain dicts (it is the hottest read); these two
# serializers describe it for the schema, and a test holds the two together.
class SensorStatusListSerializer(serializers.Serializer):
    sensors = SensorStatusSerializer(many=True)


class BuildingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    timezone = serializers.CharField(source="tz.key")
    section_count = serializers.IntegerField()
    default_section = serializers.IntegerField()


class BuildingListSerializer(serializers.Serializer):
    buildings = BuildingSerializer(many=True)


class SectionStatusSerializer(serializers.Serializer):
    number = serializers.IntegerField(source="section.number")
    name = serializers.CharField(source="section.label")
    state = serializers.ChoiceField(choices=[state.value for state in PowerState])
    since = serializers.DateTimeField(allow_null=True)
    sensors_online = serializers.IntegerField()
    sensors_total = serializers.IntegerField()


class BuildingStatusSerializer(BuildingSerializer):
    sections = SectionStatusSerializer(many=True, source="statuses")
