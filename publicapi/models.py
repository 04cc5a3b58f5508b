from powerbot.apikeys import ApiKey


class ReadKey(ApiKey):
    """A key for the read-only API: it never writes anything anywhere."""

    PREFIX = "pbr_"
    ENVIRONMENT_SETTING = "SENSOR_PUBLIC_API_KEY"

    class Meta(ApiKey.Meta):
        verbose_name = "read-only key"
