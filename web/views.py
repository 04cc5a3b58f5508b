"""The public web of public buildings: their status pages and badges (an SVG to embed, and
Shields.io's endpoint JSON). No key: a building the operator has not marked public is 404
here, as if it did not exist."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from csp.decorators import csp_replace, csp_update
from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from buildings.models import Building
from web import presenting, status
from web.badges import COLORS, Badge, building_badge, section_badge

# A badge may be a minute old: a chat or a README embedding it does not hammer the server.
BADGE_MAX_AGE = 60

TELEGRAM_WEB_CLIENTS = "https://web.telegram.org"
TELEGRAM_SCRIPTS = "https://telegram.org"  # telegram-web-app.js, which every Mini App loads from there

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


# --- The public status page ---------------------------------------------------------------


def speaks_asked_language(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """`?lang=en` (the pages' language links, and the Mini App's reload) answers in that
    language and remembers it in Django's language cookie, which LocaleMiddleware reads on the
    next request. A plain link, so the switch needs neither JavaScript nor a CSRF cookie."""

    @wraps(view)
    def speaking(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        asked = request.GET.get("lang", "")
        if asked in dict(settings.LANGUAGES):
            translation.activate(asked)
            request.LANGUAGE_CODE = asked
        response = view(request, *args, **kwargs)
        if asked in dict(settings.LANGUAGES):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, asked, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
            )
        patch_vary_headers(response, ["Cookie"])  # the cookie chooses the language
        return response

    return speaking


@csrf_exempt  # nothing to protect: a POST is the 405 it is, not CSRF's 403
@require_safe
@speaks_asked_language
def status_index(request: HttpRequest) -> HttpResponse:
    return render(request, "web/status_index.html", {"buildings": status.public_buildings()})


@dataclass(frozen=True)
class DrawnSections:
    html: str
    version: str


def drawn_sections(request: HttpRequest, building: Building, current: tuple[int, int]) -> DrawnSections:
    """The building's sections as the page shows them, in the reader's language. Drawn once
    per change of the sections' power (status.fingerprint) and language, and kept up to
    PAGE_MAX_AGE_SEC for the moving timelines: a crowd of pages redrawing after a change, and
    every page opened, cost one drawing."""
    sections, versions = current
    key = f"web.status.part:{building.pk}:{translation.get_language()}:{sections}:{versions}"
    kept: DrawnSections | None = cache.get(key)
    if kept is None:
        page = status.kept_page(building.pk, current)
        if page is None:  # made private a moment ago
            raise Http404("No such public building")
        version = status.version(page)
        context = {
            "page": page,
            "cards": presenting.cards(page),
            "alert": presenting.alert_text(page.alert, building.tz, page.now) if page.alert else None,
            "version": version,
        }
        kept = DrawnSections(render_to_string("web/status_sections.html", context), version)
        cache.set(key, kept, status.PAGE_MAX_AGE_SEC)
    return kept


@csrf_exempt
@require_safe
@speaks_asked_language
def status_building(request: HttpRequest, building_id: str) -> HttpResponse:
    """The building's page; `?part=sections` is its sections alone, which the page's script
    swaps in when the document's version changes."""
    current = status.fingerprint(int(building_id))
    building = status.public_building(int(building_id)) if current is not None else None
    if current is None or building is None:
        raise Http404("No such public building")
    drawn = drawn_sections(request, building, current)
    if request.GET.get("part") == "sections":
        return HttpResponse(drawn.html)
    context = {
        "building": building,
        "sections": mark_safe(drawn.html),  # our own template's output, escaped there
        "version": drawn.version,
        "updated": timezone.localtime(timezone.now(), building.tz).strftime("%H:%M:%S"),
        "refresh_sec": settings.STATUS_REFRESH_SEC,
        "words": presenting.script_words(),
    }
    return render(request, "web/status_building.html", context)


@csrf_exempt
@require_safe
@cache_control(public=True, max_age=status.PAGE_FRESH_SEC)
def status_document(request: HttpRequest, building_id: str) -> HttpResponse:
    found = status.cached_document(int(building_id))
    if found is None:
        raise Http404("No such public building")
    response = HttpResponse(found.body, content_type="application/json")
    # Weak: a copy of the same version says the same (only its timelines have moved on), so a
    # poller gets 304 from whichever process answers, not only the one that built its copy.
    response["ETag"] = f'W/"{found.version}"'
    return response


# --- The Telegram Mini App ------------------------------------------------------------------


@xframe_options_exempt  # Telegram's web clients show a Mini App in a frame: theirs, and only theirs
@csp_replace({"frame-ancestors": [TELEGRAM_WEB_CLIENTS]})
@csp_update({"script-src": [TELEGRAM_SCRIPTS]})
@csrf_exempt
@require_safe
@speaks_asked_language
def mini_app(request: HttpRequest) -> HttpResponse:
    """The Mini App's page; its script asks the API for the resident's data with Telegram's
    initData. It speaks the resident's language: the script reloads it with ?lang= once the
    resident's setting is known, or after they change it."""
    return render(
        request, "web/app.html", {"words": presenting.app_words(), "refresh_sec": settings.STATUS_REFRESH_SEC}
    )
