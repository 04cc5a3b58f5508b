"""Badges of public buildings: an SVG to embed, and Shields.io's endpoint JSON. No key:
a building the operator has not marked public is 404 here, as if it did not exist."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from web.badges import COLORS, Badge, building_badge, section_badge

# A badge may be a minute old: a chat or a README embedding it does not hammer the server.
BADGE_MAX_AGE = 60

# Verdana at 11 px, as Shields draws it: an average width per character, and the padding.
CHAR_WIDTH, PADDING = 7, 10


def _answer(badge: Badge | None, kind: str) -> HttpResponse:
    if badge is None:
        raise Http404("No such public building or section")
    if kind == "json":  # https://shields.io/badges/endpoint-badge
        return JsonResponse({"schemaVersion": 1, "label": badge.label, "message": badge.message, "color": badge.color})
    label_width = len(badge.label) * CHAR_WIDTH + PADDING
    message_width = len(badge.message) * CHAR_WIDTH + PADDING
    svg = render_to_string(
        "web/badge.svg",
        {
            "badge": badge,
            "fill": COLORS[badge.color],
            "label_width": label_width,
            "message_width": message_width,
            "width": label_width + message_width,
            "label_x": label_width // 2,
            "message_x": label_width + message_width // 2,
        },
    )
    return HttpResponse(svg, content_type="image/svg+xml")


@csrf_exempt  # nothing to protect: without it a POST is CSRF's 403, not the 405 it is
@require_safe
@cache_control(public=True, max_age=BADGE_MAX_AGE)
def section(request: HttpRequest, building_id: str, number: str, kind: str) -> HttpResponse:
    return _answer(section_badge(int(building_id), int(number)), kind)


@csrf_exempt
@require_safe
@cache_control(public=True, max_age=BADGE_MAX_AGE)
def building(request: HttpRequest, building_id: str, kind: str) -> HttpResponse:
    return _answer(building_badge(int(building_id)), kind)
