"""WMO weather codes (what Open-Meteo answers) in words and an emoji, in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext as _


def conditions(code: int) -> tuple[str, str]:
    """(emoji, words) for a WMO code; a code outside the table is said plainly."""
    if code == 0:
        return "☀️", _("clear sky")
    if code == 1:
        return "🌤", _("mainly clear")
    if code == 2:
        return "⛅", _("partly cloudy")
    if code == 3:
        return "☁️", _("overcast")
    if code in (45, 48):
        return "🌫", _("fog")
    if code in (51, 53, 55):
        return "🌦", _("drizzle")
    if code in (56, 57):
        return "🌧", _("freezing drizzle")
    if code in (61, 63, 65):
        return "🌧", _("rain")
    if code in (66, 67):
        return "🌧", _("freezing rain")
    if code in (71, 73, 75, 77):
        return "🌨", _("snow")
    if code in (80, 81, 82):
        return "🌦", _("rain showers")
    if code in (85, 86):
        return "🌨", _("snow showers")
    if code in (95, 96, 99):
        return "⛈", _("thunderstorm")
    return "🌡", _("weather code %(code)d") % {"code": code}
