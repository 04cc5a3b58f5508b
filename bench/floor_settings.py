"""The stack's floor for bench/ingest.py: the project's settings, middleware and database,
with the heartbeat and read-list URLs answered by the least a view can do (floor_urls)."""

from powerbot.settings import *  # noqa: F403

ROOT_URLCONF = "floor_urls"
