"""What the bot says. Called inside `translation.override(language)`; times are shown in
the building's timezone. Messages use Telegram's HTML mode, so names are escaped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alerts.models import Alert, State
from alerts.services import RegionState
from buildings.models import Building, Contact, Section, Shelter
from neighbours.models import Kind
from neighbours.services import Tally
from notifications import texts as notification_texts
from notifications.models import TELEGRAM_TEXT_MAX_LENGTH, Subscriber
from notifications.texts import countdown, day_plan_text, duration
from ops.dashboard import Now
from schedules import days
from schedules.days import Interval
from schedules.models import DayStatus
from schedules.services import PlannedDay, SectionPlan
from schedules.versus import PlannedVersusActual
from sensors.history import Period, SectionStats
from sensors.models import PowerCause, PowerState
from sensors.reports import FleetSummary, SectionReport
from weather.codes import conditions
from weather.services import Weather

BAR_CELLS = 10
CAPTION_MAX = 1024  # Telegram's limit on a photo's caption, as the reader sees it
TEXT_MAX = TELEGRAM_TEXT_MAX_LENGTH  # and on a message's text


def section_name(section: Section) -> str:
    return escape(notification_texts.section_name(section))


def place(section: Section) -> str:
    return f"{escape(section.building.name)}, {section_name(section)}"


def bar(part: int, whole: int) -> str:
    filled = round(BAR_CELLS * part / whole) if whole else 0
    return "▰" * filled + "▱" * (BAR_CELLS - filled)


def clock(moment: datetime, building: Building, now: datetime) -> str:
    """ "14:05" today, "23.11 14:05" another day, in the building's time."""
    local = timezone.localtime(moment, building.tz)
    if local.date() == timezone.localtime(now, building.tz).date():
        return local.strftime("%H:%M")
    return local.strftime("%d.%m %H:%M")


def unknown_why(report: SectionReport) -> str:
    if report.status.sensors_total == 0:
        return _("no sensor is installed in this section yet")
    if report.status.cause == PowerCause.GUARD:
        return _("many sensors across the city fell silent at once; we are checking whether the fault is ours")
    if report.status.cause == PowerCause.OPERATOR:
        return _("set so by an operator")
    return _("not enough data yet")


def total(seconds: int) -> str:
    """A day's total: "0 minutes" rather than "less than a minute" when there was none."""
    if seconds:
        return duration(timedelta(seconds=seconds))
    return ngettext("%(n)d minute", "%(n)d minutes", 0) % {"n": 0}


def state_line(state: PowerState) -> str:
    return {
        PowerState.UP: _("💡 <b>Power is on</b>"),
        PowerState.DOWN: _("🔌 <b>Power is off</b>"),
        PowerState.UNKNOWN: _("❔ <b>Power state unknown</b>"),
    }[state]


def span_text(span: Interval, building: Building, now: datetime) -> str:
    """ "18:00–22:00" today, "04.12 02:00–06:00" another day; one ending at midnight ends at 24:00."""
    return f"{clock(span.start, building, now)}–{days.wall_clock(span, building.tz)[1]}"


def as_of(plan: SectionPlan, building: Building, now: datetime) -> str:
    if not plan.stale or plan.fetched_at is None:
        return ""
    return " " + _("(as of %(time)s)") % {"time": clock(plan.fetched_at, building, now)}


def schedule_line(plan: SectionPlan, building: Building, now: datetime) -> str:
    """The card's line: the next planned change, and today's planned-off total."""
    today = plan.days[0]
    if today.status == DayStatus.EMERGENCY:
        return _("⚠️ Emergency outages today: the schedule does not apply") + as_of(plan, building, now)
    current, upcoming = plan.current(now), plan.upcoming(now)
    if current is not None:
        line = _("📅 Per schedule back at %(time)s, in %(duration)s") % {
            "time": clock(current.end, building, now),
            "duration": countdown(current.end - now),
        }
    elif upcoming is not None:
        line = _("📅 Planned off %(span)s, in %(duration)s") % {
            "span": span_text(upcoming, building, now),
            "duration": countdown(upcoming.start - now),
        }
    elif today.status == DayStatus.UNKNOWN:
        line = _("📅 No schedule for today yet")
    else:
        line = _("📅 No more outages planned today")
    if today.off_seconds:
        line += "; " + _("planned off today: %(total)s") % {"total": duration(timedelta(seconds=today.off_seconds))}
    return line + as_of(plan, building, now)


def status_card(
    report: SectionReport,
    now: datetime,
    plan: SectionPlan | None = None,
    alert: RegionState | None = None,
    weather: Weather | None = None,
    answers: dict[Kind, Tally] | None = None,
) -> str:
    status, today = report.status, report.today
    section = status.section
    building = section.building
    lines = [f"🏠 <b>{place(section)}</b>", state_line(status.state)]
    if status.state == PowerState.UNKNOWN:
        lines[-1] += f": {unknown_why(report)}"
    if status.since is not None and status.state != PowerState.UNKNOWN:
        lines.append(
            _("Since %(time)s (%(duration)s)")
            % {"time": clock(status.since, building, now), "duration": duration(now - status.since)}
        )
    if today.previous_state in (PowerState.UP, PowerState.DOWN) and today.previous_seconds is not None:
        lasted = duration(timedelta(seconds=today.previous_seconds))
        lines.append(
            _("Before that it was on for %(duration)s") % {"duration": lasted}
            if today.previous_state == PowerState.UP
            else _("Before that it was off for %(duration)s") % {"duration": lasted}
        )
    lines.append(
        _("Sensors online in the section: %(online)d/%(total)d %(bar)s")
        % {
            "online": status.sensors_online,
            "total": status.sensors_total,
            "bar": bar(status.sensors_online, status.sensors_total),
        }
    )
    lines.append(
        _("Sensors online in the building: %(online)d/%(total)d %(bar)s")
        % {
            "online": report.building_online,
            "total": report.building_total,
            "bar": bar(report.building_online, report.building_total),
        }
    )
    if today.up_seconds or today.down_seconds:
        lines.append(
            _("Today: on %(on)s, off %(off)s") % {"on": total(today.up_seconds), "off": total(today.down_seconds)}
        )
    if plan is not None:
        lines.append(schedule_line(plan, building, now))
    if alert is not None:
        lines.append(alert_line(alert, building, now))
    if weather is not None:
        lines.append(weather_line(weather, building, now, outage=status.state == PowerState.DOWN))
    lines += [answers_line(kind, tally) for kind, tally in sorted((answers or {}).items())]
    lines.append(_("Updated at %(time)s") % {"time": timezone.localtime(now, building.tz).strftime("%H:%M:%S")})
    return "\n".join(lines)


def degrees(temperature: float) -> str:
    """ "+3 °C", "−7 °C", "0 °C": rounded to a degree, the sign always shown."""
    whole = round(temperature)
    return f"{'+' if whole > 0 else '−' if whole < 0 else ''}{abs(whole)} °C"


def weather_line(weather: Weather, building: Building, now: datetime, *, outage: bool) -> str:
    """ "🌡 −2 °C, ☁️ overcast"; its time when it is old; during an outage, the coldest hour
    of the next twelve (people decide about heating by it)."""
    emoji, words = conditions(weather.code)
    line = _("🌡 %(temperature)s, %(emoji)s %(conditions)s") % {
        "temperature": degrees(weather.temperature),
        "emoji": emoji,
        "conditions": words,
    }
    if weather.stale(now):
        line += " " + _("(as of %(time)s, %(age)s ago)") % {
            "time": clock(weather.answered_at, building, now),
            "age": duration(now - weather.answered_at),
        }
    if (
        outage
        and weather.coldest is not None
        and weather.coldest_at is not None
        and weather.coldest_at > now  # a stale forecast's hour may be past
        and round(weather.coldest) < round(weather.temperature)  # "down to" a warmer one says nothing
    ):
        line += "; " + _("down to %(temperature)s by %(time)s") % {
            "temperature": degrees(weather.coldest),
            "time": timezone.localtime(weather.coldest_at, building.tz).strftime("%H:%M"),
        }
    return line


def answers_line(kind: Kind, tally: Tally) -> str:
    """ "🔥 Heating: 8 yes · 2 no ▓▓▓▓▓▓▓▓░░" (the bar is the share of yes)."""
    line = (
        _("🔥 Heating: %(yes)d yes · %(no)d no %(bar)s")
        if kind == Kind.HEATING
        else _("💧 Water: %(yes)d yes · %(no)d no %(bar)s")
    )
    return line % {"yes": tally.yes, "no": tally.no, "bar": bar(tally.yes, tally.total)}


def ask_answers(section: Section, answers: dict[Kind, Tally]) -> str:
    lines = [
        f"🏠 <b>{place(section)}</b>",
        _("Do you have heating and water? Neighbours see how many say yes and no, until the power changes."),
    ]
    return "\n".join(lines + [answers_line(kind, tally) for kind, tally in sorted(answers.items())])


def choose_section_to_answer() -> str:
    return _("Choose your section first: then you can tell neighbours whether you have heating and water.")


def answer_noted(kind: Kind, available: bool) -> str:
    if kind == Kind.HEATING:
        return _("Thank you: heating, yes.") if available else _("Thank you: no heating.")
    return _("Thank you: water, yes.") if available else _("Thank you: no water.")


def contact_line(contact: Contact) -> str:
    """ "⚡ Electrician (Ivan): +380671234567, @ivan · 8:00–20:00 · note": Telegram makes the
    number a tap to call and the username a tap to write."""
    name = escape(contact.get_role_display())
    if contact.label:
        # "Ivan (Electrician)"; a label that is only the role's name, or an "other", stands alone.
        plain = contact.role == Contact.Role.OTHER or contact.label.casefold() == contact.get_role_display().casefold()
        name = escape(contact.label) if plain else f"{escape(contact.label)} ({name})"
    ways = [contact.phone] if contact.phone else []
    if contact.telegram:
        ways.append(escape(contact.telegram))
    parts = [f"{ROLE_MARKS.get(contact.role, '📞')} <b>{name}</b>: {', '.join(ways)}"]
    parts += [escape(extra) for extra in (contact.hours, contact.note) if extra]
    return " · ".join(parts)


ROLE_MARKS: dict[str, str] = {
    Contact.Role.SECURITY: "🛡",
    Contact.Role.PLUMBER: "🔧",
    Contact.Role.ELECTRICIAN: "⚡",
    Contact.Role.LIFT: "🛗",
    Contact.Role.MANAGEMENT: "🏢",
}


def contacts(building: Building, listed: Sequence[Contact]) -> list[str]:
    """The building's contacts, in as many messages as Telegram's limit asks (one, usually)."""
    lines = [_("📞 <b>Contacts of %(building)s</b>") % {"building": escape(building.name)}]
    lines += [contact_line(contact) for contact in listed] or [
        _("No contacts listed for this building yet: ask its management to add them.")
    ]
    messages = [lines[0]]
    for line in lines[1:]:
        if _telegram_length(f"{messages[-1]}\n{line}") > TEXT_MAX:
            messages.append(line)
        else:
            messages[-1] += f"\n{line}"
    return messages


def within_a_message(cards: Sequence[str], short: Sequence[str]) -> str:
    """Status cards as one message within Telegram's limit: whole cards while they fit, the
    rest as their one-line summaries (ten sections in full, in Ukrainian, with every line, do
    not fit)."""
    for whole in range(len(cards), -1, -1):
        text = "\n\n".join([*cards[:whole], *short[whole:]])
        if _telegram_length(text) <= TEXT_MAX:
            break
    return text


def short_card(report: SectionReport, now: datetime) -> str:
    """ "🏠 London, Section 2: 🔌 Power is off since 14:05"."""
    status = report.status
    line = f"🏠 <b>{place(status.section)}</b>: {state_line(status.state)}"
    if status.since is not None and status.state != PowerState.UNKNOWN:
        line += " " + _("since %(time)s") % {"time": clock(status.since, status.section.building, now)}
    return line


def fits_caption(text: str) -> bool:
    return _telegram_length(text) <= CAPTION_MAX


def _day_lines(day: PlannedDay, plan: SectionPlan, label: str) -> list[str]:
    """A day of the schedule: its off periods with their lengths, and its on periods."""
    heading = f"<b>{label}, {day.date:%d.%m}</b>: "
    if day.status != DayStatus.APPLIES:
        return [heading + day_plan_text(day.status, day.off, timedelta(seconds=day.off_seconds))]
    lines = [heading + _("off %(total)s") % {"total": duration(timedelta(seconds=day.off_seconds))}]
    for part in days.within_day(plan.spans, day.date, plan.tz):
        start, end = days.wall_clock(part, plan.tz)
        lines.append(f"  🔌 {start}–{end} ({duration(part.length)})")
    if on := days.on_day(days.gaps(plan.spans, day.date, plan.tz), day.date, plan.tz):
        lines.append("  💡 " + _("on %(intervals)s") % {"intervals": days.intervals_text(on)})
    return lines


def schedule_caption(section: Section, plan: SectionPlan | None, now: datetime) -> str:
    lines = [_("📅 <b>%(place)s</b>, planned outages") % {"place": place(section)}]
    if plan is None:
        lines.append(_("This section has no schedule group yet: an operator sets it in the admin."))
        return "\n".join(lines)
    lines[0] += ", " + _("group %(group)s") % {"group": escape(plan.group)}
    for day, label in zip(plan.days, (_("Today"), _("Tomorrow")), strict=True):
        lines += _day_lines(day, plan, label)
    if stale := as_of(plan, section.building, now):
        lines.append(_("The schedule could not be fetched lately; this is the last one") + stale)
    lines.append(_("▀ planned off  🟩 on  🟥 off  ⬜ unknown (yesterday, today, tomorrow)"))
    return "\n".join(lines)


def period_name(period: Period) -> str:
    return {Period.DAY: _("today"), Period.WEEK: _("this week"), Period.MONTH: _("this month")}[period]


def stats_caption(section: Section, stats: SectionStats) -> str:
    lines = [f"📊 <b>{place(section)}</b>, {period_name(stats.period)}"]
    if stats.uptime_share is None:
        lines.append(_("No power data for this period yet."))
    else:
        lines.append(_("Power was on %(share)s%% of the time") % {"share": f"{stats.uptime_share * 100:.1f}"})
    lines.append(ngettext("%(n)d outage", "%(n)d outages", stats.outages) % {"n": stats.outages})
    if stats.outages:
        lines.append(
            _("Without power in all: %(total)s, the longest outage: %(longest)s")
            % {
                "total": duration(timedelta(seconds=stats.total_outage_seconds)),
                "longest": duration(timedelta(seconds=stats.longest_outage_seconds)),
            }
        )
    lines.append(_("🟩 on  🟥 off  ⬜ unknown"))
    return "\n".join(lines)


def versus_lines(versus: PlannedVersusActual) -> list[str]:
    """Planned against actual, for the stats caption."""
    return [
        _("📅 Planned off %(planned)s; actually off %(actual)s, of it unplanned %(unplanned)s")
        % {
            "planned": total(versus.planned_off_seconds),
            "actual": total(versus.actual_off_seconds),
            "unplanned": total(versus.unplanned_off_seconds),
        },
        ngettext(
            "%(n)d outage outside the schedule", "%(n)d outages outside the schedule", versus.outages_outside_schedule
        )
        % {"n": versus.outages_outside_schedule},
    ]


def welcome(first_time: bool) -> str:
    if first_time:
        return _(
            "Hello! I tell you whether your building has electricity, and write the moment it goes off "
            "or comes back.\nChoose your building and section below. /language changes the language."
        )
    return _("Welcome back! Choose a building and section to follow, or press 💡 Status.")


def choose_building(page: int, pages: int) -> str:
    text = _("🏠 Choose your building, or type part of its name to search.")
    if pages > 1:
        text += "\n" + _("Page %(page)d of %(pages)d") % {"page": page + 1, "pages": pages}
    return text


def found_buildings(query: str, count: int) -> str:
    if not count:
        return _("No building matches “%(query)s”. Type another part of the name, or choose from the list.") % {
            "query": escape(query)
        }
    return ngettext("%(n)d building matches “%(query)s”:", "%(n)d buildings match “%(query)s”:", count) % {
        "n": count,
        "query": escape(query),
    }


def choose_section(building: Building) -> str:
    return _("🏠 <b>%(building)s</b>\nChoose your section (entrance).") % {"building": escape(building.name)}


def followed(section: Section, new: bool) -> str:
    if new:
        return _("✅ You will be told when power goes off or comes back in %(place)s.") % {"place": place(section)}
    return _("✅ You already follow %(place)s.") % {"place": place(section)}


def nothing_followed() -> str:
    return _("You don't follow any section yet. Choose your building:")


def notifications(subscriber: Subscriber, sections: list[tuple[Section, bool]]) -> str:
    lines = [_("🔔 <b>Notifications</b>")]
    if sections:
        lines.append(_("Sections you follow (tap to switch power notifications, ✖ to stop following):"))
        lines += [f"{'🔔' if power else '🔕'} {place(section)}" for section, power in sections]
    else:
        lines.append(_("You don't follow any section."))
    lines.append(_("Operator announcements: %(state)s") % {"state": on_off(subscriber.broadcasts)})
    lines.append(_("Planned-outage schedule notices: %(state)s") % {"state": on_off(subscriber.schedule_notices)})
    lines.append(reminder_choice(subscriber.schedule_reminder))
    lines.append(quiet_hours(subscriber))
    return "\n".join(lines)


def reminder_choice(minutes: int | None) -> str:
    if minutes is None:
        return _("⏰ Reminder before planned outages: off")
    return _("⏰ Reminder before planned outages: %(duration)s") % {"duration": duration(timedelta(minutes=minutes))}


def on_off(value: bool) -> str:
    return _("on") if value else _("off")


def quiet_hours(subscriber: Subscriber) -> str:
    if subscriber.quiet_start is None or subscriber.quiet_end is None:
        return _("Quiet hours: none. Set them with /quiet 23 7")
    hours = {"start": subscriber.quiet_start.strftime("%H:%M"), "end": subscriber.quiet_end.strftime("%H:%M")}
    if subscriber.hold_in_quiet_hours:
        return _("Quiet hours %(start)s–%(end)s: messages wait until they end.") % hours
    return _("Quiet hours %(start)s–%(end)s: messages come without sound.") % hours


def quiet_usage() -> str:
    return _("Write /quiet START END with hours 0–23, e.g. /quiet 23 7 for 23:00–07:00, or /quiet off.")


def unfollowed_all(count: int) -> str:
    if not count:
        return _("You didn't follow any section. /start to choose one.")
    return ngettext(
        "You no longer follow %(n)d section. /start to follow again.",
        "You no longer follow %(n)d sections. /start to follow again.",
        count,
    ) % {"n": count}


def help_text(operator: bool) -> str:
    text = _(
        "I tell you whether your building has electricity.\n\n"
        "/status: is the power on now\n"
        "/stats [day|week|month]: outages and a chart\n"
        "/schedule: planned outages today and tomorrow\n"
        "/alerts: air-raid alerts and shelters\n"
        "/contacts: whom to call about the building, and its map\n"
        "/report: tell neighbours whether you have heating and water\n"
        "/notifications: what I tell you, and the sections you follow\n"
        "/start: follow a building and section\n"
        "/quiet 23 7: quiet hours (/quiet off to end them)\n"
        "/language: Українська or English\n"
        "/unsubscribe: stop all power notifications\n"
        "/myid: your Telegram id\n"
        "/menu: the main menu"
    )
    if operator:
        text += "\n/admin: " + _("fleet summary and the admin link")
    return text


def menu(alert_lines: Sequence[str] = ()) -> str:
    return "\n".join([_("Main menu. Choose below, or see /help."), *alert_lines])


def alert_line(alert: RegionState, building: Building, now: datetime) -> str:
    """ "🚨 Air-raid alert since 14:05 (35 minutes)", "🟢 No air-raid alert", or unknown."""
    if alert.state == State.ACTIVE and alert.since is not None:
        return _("🚨 Air-raid alert since %(time)s (%(duration)s)") % {
            "time": clock(alert.since, building, now),
            "duration": duration(now - alert.since),
        }
    if alert.state == State.CLEAR:
        return _("🟢 No air-raid alert")
    return _("❔ Air-raid alert state unknown: the alert services do not answer")


def alerts_screen(
    building: Building,
    alert: RegionState,
    today: list[Alert],
    lasted: timedelta,
    shelters: list[Shelter],
    now: datetime,
) -> str:
    """/alerts for one building: the state, today's alerts and their length, its shelters."""
    lines = [f"🏠 <b>{escape(building.name)}</b>", alert_line(alert, building, now)]
    if today:
        lines.append(
            ngettext("Today: %(n)d alert, %(total)s in all", "Today: %(n)d alerts, %(total)s in all", len(today))
            % {"n": len(today), "total": duration(lasted)}
        )
        for alert_today in today:
            start = clock(alert_today.started_at, building, now)
            end = clock(alert_today.ended_at, building, now) if alert_today.ended_at else _("now")
            lines.append(f"  • {start}–{end}")
    else:
        lines.append(_("Today: no alerts"))
    if shelters:
        lines.append(_("Shelters (press one for its card and map):"))
        lines += [f"  🛡 {escape(notification_texts.shelter_line(shelter))}" for shelter in shelters]
    else:
        lines.append(_("No shelters listed for this building yet."))
    return "\n".join(lines)


def shelter_card(shelter: Shelter) -> str:
    """A shelter's card, within a photo caption's limit: its description is shortened when the
    whole would not fit."""
    facts = [shelter.address] if shelter.address else []
    if shelter.distance_m is not None:
        facts.append(
            _("%(metres)d m from %(building)s") % {"metres": shelter.distance_m, "building": shelter.building.name}
        )
    if shelter.opening_hours:
        facts.append(_("Open: %(hours)s") % {"hours": shelter.opening_hours})
    room = CAPTION_MAX - _telegram_length("\n".join([f"🛡 {shelter.name}", *facts, ""]))
    description = shelter.description
    if _telegram_length(description) > room:
        description = description[: max(room - 2, 0)].rstrip() + "…"  # code points ≤ UTF-16 units
        while _telegram_length(description) > room:
            description = description[:-2] + "…"
    lines = [f"🛡 <b>{escape(shelter.name)}</b>", *map(escape, facts)]
    return "\n".join([*lines, escape(description)] if description else lines)


def _telegram_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def my_id(user_id: int, chat_id: int) -> str:
    return _("Your Telegram id: <code>%(user)d</code>\nThis chat: <code>%(chat)d</code>") % {
        "user": user_id,
        "chat": chat_id,
    }


def choose_language() -> str:
    return _("Choose the language:")


def language_set() -> str:
    return _("Done: I will write in English.")


def fleet(summary: FleetSummary, now: Now, admin_url: str) -> str:
    """The admin's "Now" page in short (ops.dashboard)."""

    def when(moment: datetime) -> str:
        return timezone.localtime(moment).strftime("%d.%m %H:%M")

    lines = [
        _("🛠 <b>Fleet</b>"),
        _("Buildings: %(n)d") % {"n": summary.buildings},
        _("Sensors offline: %(offline)d of %(total)d") % {"offline": summary.sensors_offline, "total": summary.sensors},
        _("Sections without power: %(n)d") % {"n": summary.sections_down},
        _("Sections in an unknown state: %(n)d") % {"n": summary.sections_unknown},
        _("Boards silent %(hours)d h or more while their section has power: %(n)d")
        % {"hours": now.silent_hours, "n": now.silent_boards_count},
        _("Messages waiting to be sent: %(n)d; failed in the last hour: %(failed)d")
        % {"n": now.sender.queued, "failed": now.sender.failed_last_hour},
    ]
    if summary.mass_silence is not None:
        lines.append(
            _("⚠️ Mass silence since %(time)s: outages are on hold. Check the server and the uplink.")
            % {"time": when(summary.mass_silence.started_at)}
        )
    if now.pause is not None:
        lines.append(
            _("⏸ Power notifications paused since %(time)s: %(reason)s")
            % {"time": when(now.pause.started_at), "reason": escape(now.pause.reason)}
        )
    if now.detector_tick is None:
        lines.append(_("⏱ The offline detector has never run: is the worker with beat running?"))
    elif now.detector_late:
        lines.append(
            _("⏱ The offline detector last ran %(time)s: is the worker with beat running?")
            % {"time": when(now.detector_tick)}
        )
    lines.append(_("Edit buildings, sensors and messages in the admin: %(url)s") % {"url": escape(admin_url)})
    return "\n".join(lines)


def not_understood() -> str:
    return _("I didn't understand that. Type part of a building's name to find it, or see /help.")


def unknown_command() -> str:
    return _("I don't know that command. See /help.")


def stale_button() -> str:
    return _("This button is out of date. Here is the current view.")


def building_gone() -> str:
    return _("That building is no longer listed. Choose again.")


def place_not_found() -> str:
    return _("The link names a building or section I don't know. Choose yours from the list.")


def bad_period() -> str:
    return _("Write /stats day, /stats week or /stats month.")


def apology() -> str:
    return _("Sorry, something went wrong on our side. Please try again in a minute.")
