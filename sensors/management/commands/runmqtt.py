"""`manage.py runmqtt`: the subscriber for boards that keep an MQTT connection."""

from __future__ import annotations

import signal
from types import FrameType

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sensors.subscriber import Subscriber


class Command(BaseCommand):
    help = (
        "Subscribe to MQTT_URL for boards' heartbeats and last wills until SIGINT or SIGTERM. "
        "Several such processes split the messages (a shared subscription, MQTT_SHARE_GROUP)."
    )

    def handle(self, *args: object, **options: object) -> None:
        if settings.MQTT_URL is None:
            raise CommandError("MQTT_URL is not set: e.g. mqtt://user:password@127.0.0.1:1883")
        subscriber = Subscriber(settings.MQTT_URL, settings.MQTT_SHARE_GROUP)

        def stop(signum: int, frame: FrameType | None) -> None:
            subscriber.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        subscriber.run()
