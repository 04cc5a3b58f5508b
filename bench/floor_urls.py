"""The least each measured endpoint could do on this stack, to measure ours against.

A heartbeat must at least parse its body and write the sensor's row: one UPDATE by uuid,
committed as a heartbeat is (powerbot.db.no_wait_for_disk).
A read must at least ask the database one question and send a body the size of the list.
Same gunicorn, middleware, database and connections as the project; no DRF, no checks.
"""

from __future__ import annotations

import json

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from powerbot.db import no_wait_for_disk
from sensors.models import Sensor

LIST_BODY = json.dumps({"sensors": [{"id": n, "is_up": True} for n in range(1, 1001)]}, separators=(",", ":")).encode()


@csrf_exempt
def write(request: HttpRequest) -> HttpResponse:
    uuid = json.loads(request.body)["sensor_uuid"]
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{Sensor._meta.db_table}" SET last_heartbeat = %s WHERE uuid_key = %s' + no_wait_for_disk(),
            [connection.ops.adapt_datetimefield_value(timezone.now()), uuid],
        )
    return HttpResponse(b'{"status":"ok"}', content_type="application/json")


def read(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse(LIST_BODY, content_type="application/json")


urlpatterns = [
    path("api/v1/heartbeat", write),
    path("api/v1/public/sensors/status", read),
    path("api/v1/health", read),
]
