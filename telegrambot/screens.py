"""What the bot shows for each command and button: synchronous functions that read and
change the database through the apps' services and return the screens to show. The
handlers run them in the database thread and only send what they return."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from functools import cache, lru_cache, partial, wraps
from html import escape
from typing import Concatenate, ParamSpec, TypeVar

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from alerts import services as alerts
from buildings.models import Building, MapPicture, Section, Shelter
from neighbours import services as neighbours
from neighbours.models import Kind
from notifications import services
from notifications.models import Subscriber
from ops.dashboard import now_summary
from schedules.days import Interval, local_midnight
from schedules.services import section_plan, section_plans
from schedules.versus import planned_versus_actual
from sensors.history import Period, period_days, section_stats, stretches_from, timeline
from sensors.models import PowerState
from sensors.reports import fleet_summary, section_reports
from telegrambot import callbacks, texts
from telegrambot.charts import power_chart
from weather.services import weather_of

PAGE_SIZE = 8
MAX_CARDS = 10  # one status message: beyond some cards, the rest are told in a line each
MAX_CHARTS = 5
PLACE = re.compile(r"^place_(\d{1,10})(?:_(\d{1,2}))?$")
QUIET = re.compile(r"^(\d{1,2})(?::00)?$")


@dataclass(frozen=True)
class Person:
    """Who wrote: a Telegram user in a chat."""

    chat_id: int
    user_id: int
    name: str = ""
    language_code: str | None = None

    @property
    def operator(self) -> bool:
        return self.user_id in settings.ADMIN_TELEGRAM_IDS


@dataclass(frozen=True)
class Screen:
    text: str
    keyboard: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None
    photo: bytes | str | None = None  # a picture, or Telegram's file id of one sent before
    notice: str = ""  # after a button press: a short note shown over the chat
    alert: bool = True  # the note waits for "OK"; False: it fades by itself
    sent_photo: Callable[[str], object] | None = None  # given the photo's file id once sent

    @property
    def editable(self) -> bool:
        """Can replace the message whose button was pressed (a reply keyboard needs a new one)."""
        return not isinstance(self.keyboard, ReplyKeyboardMarkup)


def _subscriber(person: Person) -> Subscriber:
    return services.chat_subscriber(person.chat_id, person.name, person.language_code)


P = ParamSpec("P")
R = TypeVar("R")


def _in_language(function: Callable[Concatenate[Person, Subscriber, P], R]) -> Callable[Concatenate[Person, P], R]:
    """Run a screen in the chat's language, with the chat's subscriber."""

    @wraps(function)
    def screen(person: Person, /, *args: P.args, **kwargs: P.kwargs) -> R:
        subscriber = _subscriber(person)
        with override(subscriber.language):
            return function(person, subscriber, *args, **kwargs)

    return screen


# --- The main menu ------------------------------------------------------------------------


def _menu_labels() -> dict[str, str]:
    return {
        "status": _("💡 Status"),
        "stats": _("📊 Statistics"),
        "notifications": _("🔔 Notifications"),
        "follow": _("🏠 Add a section"),
        "alerts": _("🚨 Alerts"),
        "contacts": _("📞 Contacts"),
        "help": _("❓ Help"),
    }


@cache
def _labels_in(language: str) -> dict[str, str]:
    with override(language):
        return {label: action for action, label in _menu_labels().items()}


def menu_action(text: str) -> str | None:
    """The main-menu button whose label this is, in any language; None for other text."""
    for language, _name in settings.LANGUAGES:
        if (action := _labels_in(language).get(text.strip())) is not None:
            return action
    return None


def _main_menu() -> ReplyKeyboardMarkup:
    labels = _menu_labels()
    rows = [["status", "stats"], ["notifications", "follow"], ["alerts", "contacts"], ["help"]]
    return ReplyKeyboardMarkup(
        [[KeyboardButton(labels[action]) for action in row] for row in rows], resize_keyboard=True, is_persistent=True
    )


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


# --- Choosing a place ------------------------------------------------------------------------


@_in_language
def start(person: Person, subscriber: Subscriber, payload: str = "") -> list[Screen]:
    services.reactivate(subscriber)
    first_time = not subscriber.subscriptions.exists()
    greeting = texts.welcome(first_time)
    match = PLACE.match(payload)
    if match is None:
        return [Screen(greeting, _main_menu()), _building_list(0)]
    building = Building.objects.filter(pk=int(match[1])).first()
    if building is None:
        return [Screen(f"{greeting}\n\n{texts.place_not_found()}", _main_menu()), _building_list(0)]
    if match[2] is None:
        return [Screen(greeting, _main_menu()), _section_choice(building)]
    section = Section.objects.filter(building=building, number=int(match[2])).first()
    if section is None:
        return [Screen(f"{greeting}\n\n{texts.place_not_found()}", _main_menu()), _section_choice(building)]
    new = services.follow(subscriber, section)
    return [Screen(texts.followed(section, new), _main_menu()), _status([section])]


@_in_language
def buildings(person: Person, subscriber: Subscriber, page: int = 0) -> Screen:
    return _building_list(page)


def _building_list(page: int, notice: str = "") -> Screen:
    count = Building.objects.count()
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = Building.objects.order_by("name", "id")[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    rows = _building_rows(shown)
    nav = []
    if page > 0:
        nav.append(_button("◀", callbacks.buildings(page - 1)))
    if page < pages - 1:
        nav.append(_button("▶", callbacks.buildings(page + 1)))
    if nav:
        rows.append(nav)
    return Screen(texts.choose_building(page, pages), InlineKeyboardMarkup(rows), notice=notice)


def _building_rows(shown: Iterable[Building]) -> list[list[InlineKeyboardButton]]:
    buttons = [_button(building.name[:40], callbacks.sections(building.pk)) for building in shown]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


@_in_language
def search(person: Person, subscriber: Subscriber, query: str) -> Screen:
    """Free text: a main-menu button, or part of a building's name or address."""
    query = query.strip()[:100]
    found = Building.objects.filter(Q(name__icontains=query) | Q(address__icontains=query)).order_by("name", "id")
    count = found.count() if query else 0
    all_buildings = [_button(_("🏠 All buildings"), callbacks.buildings(0))]
    if not count:
        return Screen(texts.not_understood(), InlineKeyboardMarkup([all_buildings]))
    rows = _building_rows(found[:PAGE_SIZE])
    return Screen(texts.found_buildings(query, count), InlineKeyboardMarkup([*rows, all_buildings]))


@_in_language
def sections(person: Person, subscriber: Subscriber, building_id: int) -> Screen:
    building = Building.objects.filter(pk=building_id).first()
    if building is None:
        return _building_list(0, notice=texts.building_gone())
    if building.section_count == 1:
        return _follow(subscriber, building, 1)
    return _section_choice(building)


def _section_choice(building: Building) -> Screen:
    buttons = [
        _button(texts.section_name(section), callbacks.follow(building.pk, section.number))
        for section in building.sections.all()
    ]
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    rows.append([_button(_("◀ Buildings"), callbacks.buildings(0))])
    return Screen(texts.choose_section(building), InlineKeyboardMarkup(rows))


@_in_language
def follow(person: Person, subscriber: Subscriber, building_id: int, number: int) -> Screen:
    building = Building.objects.filter(pk=building_id).first()
    if building is None:
        return _building_list(0, notice=texts.building_gone())
    return _follow(subscriber, building, number)


def _follow(subscriber: Subscriber, building: Building, number: int) -> Screen:
    section = Section.objects.filter(building=building, number=number).first()
    if section is None:
        return replace(_section_choice(building), notice=texts.stale_button())
    new = services.follow(subscriber, section)
    card = _status([section])
    return Screen(f"{texts.followed(section, new)}\n\n{card.text}", card.keyboard)


# --- Status and statistics ----------------------------------------------------------------


def _sections(subscriber: Subscriber) -> list[Section]:
    return [subscription.section for subscription in services.followed(subscriber)]


@_in_language
def status(person: Person, subscriber: Subscriber) -> Screen:
    return _status_or_choice(subscriber)


def _status_or_choice(subscriber: Subscriber, notice: str = "") -> Screen:
    """The followed sections' cards, or the building list for a chat that follows none."""
    followed = _sections(subscriber)
    if not followed:
        listing = _building_list(0)
        return Screen(f"{texts.nothing_followed()}\n\n{listing.text}", listing.keyboard, notice=notice)
    return replace(_status(followed), notice=notice)


def _status(followed: list[Section]) -> Screen:
    followed = followed[:MAX_CARDS]
    now = timezone.now()
    plans = section_plans(followed, now)
    states = alerts.states_of({section.building for section in followed}) if alerts.watching() else {}
    weather = weather_of({section.building for section in followed})
    answers = neighbours.tallies(followed, now)
    cards, short = [], []
    for report in section_reports(followed, now):
        section = report.status.section
        short.append(texts.short_card(report, now))
        cards.append(
            texts.status_card(
                report,
                now,
                plans.get(section.pk),
                states.get(section.building_id),
                weather.get(section.building_id),
                answers.get(section.pk, {}),
            )
        )
    rows = [
        [_button(_("🔄 Refresh"), callbacks.OPEN_STATUS), _button(_("🔔 Notifications"), callbacks.OPEN_NOTIFICATIONS)]
    ]
    if len(followed) == 1:
        rows.append(
            [
                _button(_("📊 Statistics"), callbacks.stats(followed[0].pk, Period.DAY)),
                _button(_("📅 Schedule"), callbacks.schedule(followed[0].pk)),
            ]
        )
        rows += _answer_rows(followed[0].pk)
    else:
        rows += [
            [
                _button(
                    f"📊 {section.building.name[:30]}, {texts.section_name(section)}",
                    callbacks.stats(section.pk, Period.DAY),
                ),
                _button("📅", callbacks.schedule(section.pk)),
                _button("🔥💧", callbacks.ask(section.pk)),
            ]
            for section in followed
        ]
    return Screen(texts.within_a_message(cards, short), InlineKeyboardMarkup(rows))


def _answer_rows(section_id: int) -> list[list[InlineKeyboardButton]]:
    return [
        [_button(label, data) for label, data in row] for row in neighbours.answer_buttons(section_id, on_notice=False)
    ]


# --- Heating and water: neighbours' answers ---------------------------------------------------


@_in_language
def ask(person: Person, subscriber: Subscriber, section_id: int | None = None) -> Screen | list[Screen]:
    """The question, for one section or each section followed; with none followed, the
    resident chooses their section first."""
    if section_id is None:
        followed = _sections(subscriber)[:MAX_CHARTS]
        if not followed:
            listing = _building_list(0)
            return Screen(f"{texts.choose_section_to_answer()}\n\n{listing.text}", listing.keyboard)
    else:
        followed = list(Section.objects.filter(pk=section_id))
        if not followed:
            return _status_or_choice(subscriber, notice=texts.stale_button())
    answers = neighbours.tallies(followed)
    return [
        Screen(
            texts.ask_answers(section, answers.get(section.pk, {})),
            InlineKeyboardMarkup([*_answer_rows(section.pk), [_button(_("◀ Status"), callbacks.OPEN_STATUS)]]),
        )
        for section in followed
    ]


@_in_language
def answer(person: Person, subscriber: Subscriber, where: str, section_id: int, kind: str, yes: str) -> Screen:
    """A resident's answer: on a card, the card comes back with the new count; on a notice,
    only a thank-you (the notice stays as it was)."""
    section = Section.objects.filter(pk=section_id).first()
    if section is None:
        return _status_or_choice(subscriber, notice=texts.stale_button())
    neighbours.answer(person.user_id, section, Kind(kind), yes == "1")
    thanks = texts.answer_noted(Kind(kind), yes == "1")
    if where == "n":
        return Screen("", notice=thanks, alert=False)
    return replace(_status_or_choice(subscriber), notice=thanks, alert=False)


@_in_language
def stats(
    person: Person, subscriber: Subscriber, section_id: int | None = None, period: str = Period.DAY
) -> Screen | list[Screen]:
    """Charts of one section, or of each section followed; a bad period gets the usage."""
    try:
        period = Period(period.lower())
    except ValueError:
        return Screen(texts.bad_period())
    chosen = _chosen(subscriber, section_id)
    return chosen if isinstance(chosen, Screen) else [_chart(section, period) for section in chosen]


def _chart(section: Section, period: Period) -> Screen:
    now = timezone.now()
    tz = section.building.tz
    summary = section_stats(section, period, now)
    starts = tuple((stretch.state, stretch.start) for stretch in summary.stretches)
    # Drawn to the minute: less than a pixel of the day's chart, and one drawing serves
    # everyone who asks within it until the section's next change.
    minute = now.replace(second=0, microsecond=0)
    picture = _picture(starts, summary.start, minute, period_days(period, summary.start, tz), tz)
    choices = [
        _button(("• " if choice == period else "") + texts.period_name(choice), callbacks.stats(section.pk, choice))
        for choice in Period
    ]
    caption = texts.stats_caption(section, summary)
    if (versus := planned_versus_actual(section, summary)) is not None:
        caption += "\n" + "\n".join(texts.versus_lines(versus))
    return Screen(caption, InlineKeyboardMarkup([choices]), photo=picture)


@lru_cache(maxsize=256)
def _picture(
    starts: tuple[tuple[PowerState, datetime], ...],
    start: datetime,
    now: datetime,
    days: int,
    tz: zoneinfo.ZoneInfo,
    planned: tuple[Interval, ...] | None = None,
) -> bytes:
    return power_chart(stretches_from(starts, now), start, now, days, tz, planned)


@_in_language
def schedule(person: Person, subscriber: Subscriber, section_id: int | None = None) -> Screen | list[Screen]:
    """Today's and tomorrow's planned outages of one section, or of each section followed,
    each with a picture of the plan over what the sensors recorded since yesterday."""
    chosen = _chosen(subscriber, section_id)
    return chosen if isinstance(chosen, Screen) else [_schedule(section) for section in chosen]


def _chosen(subscriber: Subscriber, section_id: int | None) -> list[Section] | Screen:
    """The section a button names, or the sections followed (a picture each, so at most
    MAX_CHARTS); the building list when there are none, the status when the button is stale."""
    if section_id is None:
        return _sections(subscriber)[:MAX_CHARTS] or _status_or_choice(subscriber)
    return list(Section.objects.filter(pk=section_id)) or _status_or_choice(subscriber, notice=texts.stale_button())


def _schedule(section: Section) -> Screen:
    now = timezone.now()
    tz = section.building.tz
    plan = section_plan(section, now)
    caption = texts.schedule_caption(section, plan, now)
    if plan is None:
        return Screen(caption)
    start = local_midnight(timezone.localtime(now, tz).date() - timedelta(days=1), tz)  # yesterday's
    starts = tuple((stretch.state, stretch.start) for stretch in timeline(section, start, now))
    minute = now.replace(second=0, microsecond=0)
    picture = _picture(starts, start, minute, 3, tz, tuple(plan.spans))
    buttons = [
        [
            _button(_("🔄 Refresh"), callbacks.schedule(section.pk)),
            _button(_("📊 Statistics"), callbacks.stats(section.pk, Period.DAY)),
        ]
    ]
    return Screen(caption, InlineKeyboardMarkup(buttons), photo=picture)


# --- Air-raid alerts and shelters -----------------------------------------------------------


@_in_language
def alert_state(person: Person, subscriber: Subscriber) -> Screen | list[Screen]:
    """The alert state of each building followed, today's alerts, and its shelters."""
    followed = _buildings(subscriber)[:MAX_CHARTS]
    if not followed:
        return _status_or_choice(subscriber)
    now = timezone.now()
    states = alerts.states_of(followed)
    screens = []
    for building in followed:
        today, lasted = alerts.today(building, now)
        shelters = list(building.shelters.all())
        rows = [[_button(f"🛡 {shelter.name[:40]}", callbacks.shelter(shelter.pk))] for shelter in shelters]
        rows.append([_button(_("🔄 Refresh"), callbacks.OPEN_ALERTS)])
        text = texts.alerts_screen(building, states[building.pk], today, lasted, shelters, now)
        screens.append(Screen(text, InlineKeyboardMarkup(rows)))
    return screens


@_in_language
def shelter(person: Person, subscriber: Subscriber, shelter_id: int) -> Screen:
    """A shelter's card, with its map: uploaded to Telegram the first time, then its file id."""
    found = Shelter.objects.select_related("building").filter(pk=shelter_id).first()
    if found is None:  # deleted since the button was shown
        return Screen(texts.menu(), _main_menu(), notice=texts.stale_button())
    back = InlineKeyboardMarkup([[_button(_("◀ Alerts and shelters"), callbacks.OPEN_ALERTS)]])
    return _with_map(found, texts.shelter_card(found), back)


def _with_map(owner: MapPicture, text: str, keyboard: InlineKeyboardMarkup | None = None) -> Screen:
    """The text under the owner's map, if it has one: uploaded to Telegram the first time,
    then sent by its file id."""
    if not owner.map_type:  # no map; the bytes themselves are read only when sent
        return Screen(text, keyboard)
    if owner.telegram_file_id:
        return Screen(text, keyboard, photo=owner.telegram_file_id)
    remember = partial(type(owner).remember_file_id, owner.pk, owner.map_version)
    return Screen(text, keyboard, photo=bytes(owner.map_image or b""), sent_photo=remember)


# --- Contacts ---------------------------------------------------------------------------------


@_in_language
def contacts(person: Person, subscriber: Subscriber) -> Screen | list[Screen]:
    """The contacts of each building followed, with its map: under the map when they fit a
    caption, after it when they do not."""
    followed = _buildings(subscriber)[:MAX_CHARTS]
    if not followed:
        return _status_or_choice(subscriber)
    screens = []
    for building in followed:
        messages = texts.contacts(building, list(building.contacts.all()))
        if not building.map_type:
            screens += [Screen(text) for text in messages]
        elif len(messages) == 1 and texts.fits_caption(messages[0]):
            screens.append(_with_map(building, messages[0]))
        else:
            screens.append(_with_map(building, f"🗺 <b>{escape(building.name)}</b>"))
            screens += [Screen(text) for text in messages]
    return screens


# --- Preferences ----------------------------------------------------------------------------


@_in_language
def notifications(person: Person, subscriber: Subscriber) -> Screen:
    return _notifications(subscriber)


def _notifications(subscriber: Subscriber, notice: str = "") -> Screen:
    followed = services.followed(subscriber)
    rows = [
        [
            _button(
                f"{'🔔' if s.power else '🔕'} {s.section.building.name[:28]}, {texts.section_name(s.section)}",
                callbacks.toggle_power(s.section_id),
            ),
            _button("✖", callbacks.unfollow(s.section_id)),
        ]
        for s in followed
    ]
    rows.append(
        [
            _button(
                _("📢 Announcements: %(state)s") % {"state": texts.on_off(subscriber.broadcasts)},
                callbacks.toggle("broadcasts"),
            )
        ]
    )
    rows.append(
        [
            _button(
                _("📅 Schedule notices: %(state)s") % {"state": texts.on_off(subscriber.schedule_notices)},
                callbacks.toggle("schedule_notices"),
            )
        ]
    )
    rows.append(
        [
            _button(
                _("🚨 Air-raid alerts: %(state)s") % {"state": texts.on_off(subscriber.alert_notices)},
                callbacks.toggle("alert_notices"),
            )
        ]
    )
    rows.append([_button(texts.reminder_choice(subscriber.schedule_reminder), callbacks.NEXT_REMINDER)])
    if subscriber.quiet_start is not None:
        label = _("🌙 In quiet hours: wait") if subscriber.hold_in_quiet_hours else _("🌙 In quiet hours: no sound")
        rows.append([_button(label, callbacks.toggle("hold_in_quiet_hours"))])
    rows.append([_button(_("➕ Follow another section"), callbacks.buildings(0))])
    text = texts.notifications(subscriber, [(s.section, s.power) for s in followed])
    return Screen(text, InlineKeyboardMarkup(rows), notice=notice)


@_in_language
def toggle_power(person: Person, subscriber: Subscriber, section_id: int) -> Screen:
    switched = services.toggle_power(subscriber, section_id)
    return _notifications(subscriber, "" if switched is not None else texts.stale_button())


@_in_language
def unfollow(person: Person, subscriber: Subscriber, section_id: int) -> Screen:
    services.unfollow(subscriber, section_id)
    return _notifications(subscriber)


@_in_language
def toggle(person: Person, subscriber: Subscriber, preference: str) -> Screen:
    services.toggle(subscriber, preference)
    return _notifications(subscriber)


@_in_language
def next_reminder(person: Person, subscriber: Subscriber) -> Screen:
    services.next_reminder(subscriber)
    return _notifications(subscriber)


@_in_language
def language_choice(person: Person, subscriber: Subscriber) -> Screen:
    return _language_choice()


def _language_choice(notice: str = "") -> Screen:
    choices = [_button(name, callbacks.language(code)) for code, name in settings.LANGUAGES]
    return Screen(texts.choose_language(), InlineKeyboardMarkup([choices]), notice=notice)


@_in_language
def set_language(person: Person, subscriber: Subscriber, language: str) -> list[Screen]:
    try:
        services.set_language(subscriber, language)
    except ValueError:
        return [_language_choice(notice=texts.stale_button())]
    with override(language):
        # The main menu's labels change language: a reply keyboard needs a new message.
        return [Screen(texts.language_set()), Screen(texts.menu(), _main_menu())]


@_in_language
def quiet(person: Person, subscriber: Subscriber, args: list[str]) -> Screen:
    if not args:
        return Screen(f"{texts.quiet_hours(subscriber)}\n{texts.quiet_usage()}")
    if len(args) == 1 and args[0].lower() in ("off", "вимк", "ні"):
        services.set_quiet_hours(subscriber, None, None)
        return Screen(texts.quiet_hours(subscriber))
    hours = [int(match[1]) for match in map(QUIET.match, args) if match and int(match[1]) <= 23]
    if len(args) != 2 or len(hours) != 2:
        return Screen(texts.quiet_usage())
    try:
        services.set_quiet_hours(subscriber, time(hours[0]), time(hours[1]))
    except ValueError:  # the same hour twice
        return Screen(texts.quiet_usage())
    return Screen(texts.quiet_hours(subscriber))


@_in_language
def unsubscribe(person: Person, subscriber: Subscriber) -> Screen:
    return Screen(texts.unfollowed_all(services.unfollow(subscriber)))


# --- Help and the rest ------------------------------------------------------------------------


@_in_language
def help(person: Person, subscriber: Subscriber) -> Screen:
    return Screen(texts.help_text(person.operator), _main_menu())


@_in_language
def menu(person: Person, subscriber: Subscriber) -> Screen:
    return Screen(texts.menu(_alert_lines(subscriber)), _main_menu())


def _alert_lines(subscriber: Subscriber) -> list[str]:
    """The alert state of each building followed, for the main menu."""
    if not alerts.watching():
        return []
    followed = _buildings(subscriber)
    now = timezone.now()
    states = alerts.states_of(followed)
    if len(followed) == 1:
        return [texts.alert_line(states[followed[0].pk], followed[0], now)]
    return [f"{escape(building.name)}: {texts.alert_line(states[building.pk], building, now)}" for building in followed]


def _buildings(subscriber: Subscriber) -> list[Building]:
    return list({section.building_id: section.building for section in _sections(subscriber)}.values())


@_in_language
def my_id(person: Person, subscriber: Subscriber) -> Screen:
    return Screen(texts.my_id(person.user_id, person.chat_id))


@_in_language
def admin(person: Person, subscriber: Subscriber) -> Screen:
    if not person.operator:
        return Screen(texts.unknown_command())
    return Screen(texts.fleet(fleet_summary(), now_summary(), f"{settings.SITE_URL}/admin/"))


@_in_language
def unknown_command(person: Person, subscriber: Subscriber) -> Screen:
    return Screen(texts.unknown_command())


@_in_language
def stale(person: Person, subscriber: Subscriber) -> Screen:
    return Screen(texts.menu(), _main_menu(), notice=texts.stale_button())


def apology(chat_id: int) -> str:
    """The apology after a failure, in the chat's language if the database still answers."""
    language = Subscriber.objects.filter(chat_id=chat_id).values_list("language", flat=True).first()
    with override(language or settings.LANGUAGE_CODE):
        return texts.apology()
