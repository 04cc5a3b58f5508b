"""PowerBot settings: everything comes from the environment (and an optional `.env`).

The variable names of the PowerBot seed (SENSOR_API_KEY, SENSOR_TIMEOUT_SEC, ...) are kept
so an existing deployment's environment works unchanged. README.md lists every variable.
"""

import logging
import os
from pathlib import Path

import django_stubs_ext
from csp import constants as csp

from powerbot import config
from powerbot.logs import configured_format_and_level, logging_config

# Admin and form classes are written with their model as a type argument (ModelAdmin[Building]),
# checked by mypy; this lets Django's classes take it at run time too.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / "var"

config.read_env_file(BASE_DIR / ".env")

DEBUG = config.get_bool("DEBUG", False)
SECRET_KEY = config.get_secret_key("SECRET_KEY", DATA_DIR / "secret_key")
# localhost and 127.0.0.1 always: the container's own health check calls it so.
ALLOWED_HOSTS = [*config.get_list("ALLOWED_HOSTS", ["*"]), "localhost", "127.0.0.1"]
CSRF_TRUSTED_ORIGINS = config.get_list("CSRF_TRUSTED_ORIGINS", [])
# The port (as the web server binds it) where only the sensors' paths are served, plain HTTP
# for the firmware in the field; 0: none (the embedded default serves everything on one port).
SENSOR_ONLY_PORT = config.get_int("SENSOR_ONLY_PORT", 0, minimum=0, maximum=65535)
# Paths the firmware uses: the heartbeat, firmware updates, and health (also the container's check).
# A new sensor uuid is recorded but counts for no section until an operator approves or pins
# it (off by default: the seed's behaviour, where any write key places a new board).
SENSOR_NEW_NEEDS_APPROVAL = config.get_bool("SENSOR_NEW_NEEDS_APPROVAL", False)
SENSOR_PATHS = (r"^api/v1/heartbeat/?$", r"^api/v1/firmware/", r"^api/v1/health/?$")
# Behind a proxy that terminates HTTPS (Traefik in the Compose deployment): it says so in
# X-Forwarded-Proto; cookies are sent over HTTPS only; plain HTTP is redirected, except the
# sensors' paths, which the firmware in the field calls over plain HTTP.
BEHIND_HTTPS_PROXY = config.get_bool("BEHIND_HTTPS_PROXY", False)
if BEHIND_HTTPS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    # Also what is asked from inside the deployment over plain HTTP: scrapes and readiness probes.
    SECURE_REDIRECT_EXEMPT = [*SENSOR_PATHS, r"^metrics/?$", r"^api/v1/ready/?$"]
    SECURE_HSTS_SECONDS = config.get_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
# HSTS for this host only, never preloaded: the operator's other subdomains are not ours to
# force onto HTTPS.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
# Behind Traefik the client address is in X-Forwarded-For; only trust it when told to.
TRUST_X_FORWARDED_FOR = config.get_bool("TRUST_X_FORWARDED_FOR", False)

INSTALLED_APPS = [
    "ops.admin_config.PowerBotAdminConfig",  # Django's admin, opening on the operators' "Now" page
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "powerbot",
    "buildings",
    "sensors",
    "notifications",
    "publicapi",
    "telegrambot",
    "firmware",
    "schedules",
    "alerts",
    "weather",
    "neighbours",
    "ops",
    "web",
]

MIDDLEWARE = [
    # The plain-HTTP port the firmware in the field posts to serves the sensors' paths only.
    "powerbot.sensorport.SensorPortMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # An ETag on every GET answer, and 304 Not Modified for a matching If-None-Match: a poller
    # that sees no change gets no body.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Security headers on every answer. Pages take scripts only from this site (the Mini App also
# from telegram.org) and are framed by nobody (the Mini App by Telegram's web clients only);
# inline styles stay allowed for the status bars' widths and the admin's own style blocks.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF, csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:"],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.NONE],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}

ROOT_URLCONF = "powerbot.urls"
WSGI_APPLICATION = "powerbot.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": config.get_database("DATABASE_URL", f"sqlite:///{DATA_DIR / 'powerbot.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # Several gunicorn workers share the file: WAL lets readers run beside the
        # writer, IMMEDIATE transactions take the write lock up front (no deadlocking
        # lock upgrades), and the timeout waits for the lock instead of failing.
        "timeout": config.get_int("SQLITE_BUSY_TIMEOUT_SEC", 20, minimum=1),
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Django's backend with a health check that needs no round trip (powerbot/db/postgresql).
    DATABASES["default"]["ENGINE"] = "powerbot.db.postgresql"
# Reopening the database for every request costs more than a heartbeat itself.
DATABASES["default"]["CONN_MAX_AGE"] = config.get_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Each process's own cache: the rendered public sensor list, and each section's history for
# the bot (keyed by the section's version, so never stale). Room for every section's periods
# of a large fleet; Django's default of 300 entries would evict them before their reuse.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 50_000},
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "uk"
LANGUAGES = [("uk", "Українська"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = config.get_timezone("TIME_ZONE", "Europe/Kyiv")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "powerbot.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "PowerBot API",
    "DESCRIPTION": "Heartbeats from ESP32 sensors in, per-section power state out.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PowerStateEnum": "sensors.models.PowerState",
        "PowerCauseEnum": "sensors.models.PowerCause",
    },
    "REDOC_DIST": "SIDECAR",
}

# LOG_FORMAT=json: one JSON object a line, for a log collector. Secrets are redacted either way.
LOG_FORMAT, LOG_LEVEL = configured_format_and_level()
LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)
logging.captureWarnings(True)  # Python warnings become log lines too, in the same format

# --- PowerBot (names kept from the PowerBot seed) -------------------------------------
SENSOR_API_KEY = config.get_str("SENSOR_API_KEY")
SENSOR_PUBLIC_API_KEY = config.get_str("SENSOR_PUBLIC_API_KEY")
if SENSOR_API_KEY and SENSOR_API_KEY == SENSOR_PUBLIC_API_KEY:
    raise config.ConfigError("SENSOR_PUBLIC_API_KEY", "must differ from SENSOR_API_KEY (a read key must never write)")
SENSOR_TIMEOUT_SEC = config.get_int("SENSOR_TIMEOUT_SEC", 150, minimum=1)
SENSOR_UUID_BUILDING_MAP = config.parse_uuid_building_map(
    "SENSOR_UUID_BUILDING_MAP", config.get_str("SENSOR_UUID_BUILDING_MAP")
)
SENSOR_SECTION_ALIASES = config.parse_section_aliases(os.environ)
# Read-after-write by default: every read answers from the current state. An operator may opt
# in to sharing the rendered sensor list between readers for this many seconds (answers may
# then be that old).
PUBLIC_API_CACHE_SEC = config.get_int("PUBLIC_API_CACHE_SEC", 0, minimum=0, maximum=60)
# Firmware payloads are about 200 bytes; anything far larger is not a heartbeat.
HEARTBEAT_MAX_BODY_BYTES = config.get_int("HEARTBEAT_MAX_BODY_BYTES", 4096, minimum=512, maximum=1_048_576)

# The largest firmware image an upload may be: the app slot of the reference firmware's
# partition table (min_spiffs.csv on 4 MB flash, 0x1E0000 bytes).
FIRMWARE_MAX_BYTES = config.get_int("FIRMWARE_MAX_BYTES", 1_966_080, minimum=65_536, maximum=16_777_216)
# The private key releases are signed with (firmware/signing.py), a PEM file outside the database;
# unset, no release can be made, as boards install only signed ones.
FIRMWARE_SIGNING_KEY = config.get_file(
    "FIRMWARE_SIGNING_KEY",
    missing="to make the key there, run `manage.py firmware_key create PATH` with FIRMWARE_SIGNING_KEY unset",
)

SENSOR_CHECK_INTERVAL_SEC = config.get_int("SENSOR_CHECK_INTERVAL_SEC", 10, minimum=1, maximum=3600)
# A section goes back up only once a sensor has been heard for this long (0: at once).
POWER_ON_CONFIRM_SEC = config.get_int("POWER_ON_CONFIRM_SEC", 0, minimum=0, maximum=3600)
# Mass silence: at least MIN_SENSORS sensors in MIN_BUILDINGS buildings, PERCENT of those
# heard lately, falling silent within WINDOW_SEC is the server's trouble, not the mains'.
MASS_SILENCE_MIN_SENSORS = config.get_int("MASS_SILENCE_MIN_SENSORS", 10, minimum=0)  # 0: guard off
MASS_SILENCE_MIN_BUILDINGS = config.get_int("MASS_SILENCE_MIN_BUILDINGS", 3, minimum=1)
MASS_SILENCE_PERCENT = config.get_int("MASS_SILENCE_PERCENT", 70, minimum=1, maximum=100)
MASS_SILENCE_WINDOW_SEC = config.get_int("MASS_SILENCE_WINDOW_SEC", 60, minimum=1, maximum=3600)
# MQTT (`manage.py runmqtt`): boards that keep a connection, with `offline` as their last will.
MQTT_URL = config.get_broker_url("MQTT_URL")
# Subscribers of one group split the messages between them ($share/<group>/...).
MQTT_SHARE_GROUP = config.get_slug("MQTT_SHARE_GROUP", "powerbot")
# Boards cut off together fire their wills over about one heartbeat interval: a will is acted
# on this long after it came, so the mass-silence guard sees the whole cut, not its first few.
MQTT_WILL_SETTLE_SEC = config.get_int("MQTT_WILL_SETTLE_SEC", 15, minimum=0, maximum=120)
# The admin's "Now" page lists a board silent this long while its section is up (broken, unplugged).
OPERATOR_SILENT_SENSOR_HOURS = config.get_int("OPERATOR_SILENT_SENSOR_HOURS", 6, minimum=1, maximum=24 * 30)
# /metrics (Prometheus): scrapers present METRICS_KEY as a bearer token, or come from
# an address in METRICS_ALLOWED_IPS (addresses or networks; loopback by default).
METRICS_KEY = config.get_str("METRICS_KEY")
METRICS_ALLOWED_IPS = config.get_networks("METRICS_ALLOWED_IPS", "127.0.0.1, ::1")
# Each process writes its counts to the database at most this often (0: after every request).
METRICS_FLUSH_SEC = config.get_int("METRICS_FLUSH_SEC", 5, minimum=0, maximum=300)
# Sensor online/offline history and the telemetry of long-silent sensors are pruned after
# this many days; section power events are kept for good.
TELEMETRY_RETENTION_DAYS = config.get_int("TELEMETRY_RETENTION_DAYS", 90, minimum=1)
# Sent, skipped and failed messages are kept this long (the admin's outbox, a broadcast's progress).
OUTBOX_RETENTION_DAYS = config.get_int("OUTBOX_RETENTION_DAYS", 30, minimum=1)

# --- Background work (Celery) --------------------------------------------------------
# Redis in production; the embedded default needs no server: kombu's SQLAlchemy
# transport keeps the queue in a SQLite file (its filesystem transport loses messages
# under beat, kombu#1551).
REDIS_URL = config.get_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or f"sqla+sqlite:///{DATA_DIR / 'celery-broker.sqlite3'}"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A Redis that stops answering without closing its connections (a paused container, a host
# gone, a network split) must not hold a heartbeat's publish or the readiness check for good:
# each Redis socket gives up after this (the embedded transport takes no such option).
REDIS_BROKER_OPTIONS = {"socket_timeout": 3, "socket_connect_timeout": 3}
CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_OPTIONS if REDIS_URL else {}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the message for another
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The sender paces itself to Telegram's limits for minutes at a time: it has a queue and
# a worker of its own, so offline detection never waits behind a broadcast.
CELERY_TASK_ROUTES = {"notifications.tasks.deliver": {"queue": "telegram"}}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "detect-offline-sensors": {
        "task": "sensors.tasks.detect_offline_sensors",
        "schedule": SENSOR_CHECK_INTERVAL_SEC,
        # A tick that waited longer than the interval is stale: the next one will do.
        "options": {"expires": SENSOR_CHECK_INTERVAL_SEC},
    },
    "deliver-notifications": {
        "task": "notifications.tasks.deliver",
        "schedule": 5,
        "options": {"expires": 5},
    },
    "announce-missed-events": {
        "task": "notifications.tasks.announce_missed",
        "schedule": 30,
        "options": {"expires": 30},
    },
    "prune-telemetry": {
        "task": "sensors.tasks.prune_telemetry",
        "schedule": 3600,
        "options": {"expires": 3600},
    },
    "prune-outbox": {
        "task": "notifications.tasks.prune_outbox",
        "schedule": 3600,
        "options": {"expires": 3600},
    },
    "check-operator-alerts": {
        "task": "ops.tasks.check_operator_alerts",
        "schedule": 60,
        "options": {"expires": 60},
    },
}

# --- Rate limits (DRF's throttling) ------------------------------------------------------
# Requests a client may make, such as 600/min (per s, min, hour or day); 0 turns a limit off.
# Read API per read key; heartbeats per sensor uuid (twelve times the firmware's pace);
# requests with a wrong key per client address; firmware images per board.
READ_API_RATE = config.get_rate("READ_API_RATE", "600/min")
HEARTBEAT_RATE = config.get_rate("HEARTBEAT_RATE", "120/min")
BAD_KEY_RATE = config.get_rate("BAD_KEY_RATE", "30/min")
FIRMWARE_DOWNLOAD_RATE = config.get_rate("FIRMWARE_DOWNLOAD_RATE", "6/hour")
# Every web process counts in one place: Redis when there is one, else a table of the database
# (made by migrate). Room for every board, key and address of a large fleet before culling.
CACHES["rate_limits"] = (  # powerbot.throttling.CACHE
    {
        "BACKEND": "powerbot.caches.ReusingRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "powerbot-rate",
        # Short: a Redis that hangs must not hold a heartbeat (the limit is skipped meanwhile).
        "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
    }
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "powerbot_rate_limits",  # made by the migration powerbot 0003
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }
)

# --- Planned-outage schedules (names kept from the PowerBot seed) --------------------
YASNO_ENABLED = config.get_bool("YASNO_ENABLED", False)
YASNO_API_URL = config.get_api_url("YASNO_API_URL", "https://app.yasno.ua/api/blackout-service/public/shutdowns")
YASNO_REGION_ID = config.get_int("YASNO_REGION_ID", 25, minimum=1)
YASNO_DSO_ID = config.get_int("YASNO_DSO_ID", 902, minimum=1)
YASNO_BUILDINGS = config.parse_yasno_buildings(os.environ)
SCHEDULE_POLL_SEC = config.get_int("SCHEDULE_POLL_SEC", 600, minimum=30, maximum=86_400)
# One fetch, connecting and reading, gives up after this long: a hung source never holds the worker.
SCHEDULE_FETCH_TIMEOUT_SEC = config.get_int("SCHEDULE_FETCH_TIMEOUT_SEC", 10, minimum=1, maximum=120)
# A building's group found through Yasno's address look-up is asked again after this long.
SCHEDULE_LOOKUP_HOURS = config.get_int("SCHEDULE_LOOKUP_HOURS", 12, minimum=1, maximum=24 * 30)
if YASNO_ENABLED:
    CELERY_BEAT_SCHEDULE["poll-yasno"] = {
        "task": "schedules.tasks.poll_yasno",
        "schedule": SCHEDULE_POLL_SEC,
        "options": {"expires": SCHEDULE_POLL_SEC},
    }
CELERY_BEAT_SCHEDULE["remind-planned-outages"] = {
    "task": "notifications.tasks.remind_planned_outages",
    "schedule": 60,
    "options": {"expires": 60},
}

# --- Air-raid alerts (names kept from the PowerBot seed) -------------------------------
# Each service is polled when its key is set.
ALERTS_IN_UA_API_URL = config.get_api_url("ALERTS_IN_UA_API_URL", "https://api.alerts.in.ua/v1")
ALERTS_IN_UA_API_KEY = config.get_str("ALERTS_IN_UA_API_KEY")
ALERTS_API_URL = config.get_api_url("ALERTS_API_URL", "https://api.ukrainealarm.com/api/v3")
ALERTS_API_KEY = config.get_str("ALERTS_API_KEY")
# The region of buildings without one of their own (31: Kyiv).
ALERTS_CITY_UID_ALERTS_IN_UA = config.get_digits("ALERTS_CITY_UID_ALERTS_IN_UA", "31", max_length=6)
ALERTS_CITY_ID_UKRAINEALARM = config.get_digits("ALERTS_CITY_ID_UKRAINEALARM", "31", max_length=6)
ALERTS_POLL_SEC = config.get_int("ALERTS_POLL_SEC", 15, minimum=5, maximum=3600)
# A source's answer counts this long; with no source this fresh, a region's state is unknown.
ALERTS_FRESH_SEC = config.get_int("ALERTS_FRESH_SEC", 120, minimum=10, maximum=86_400)
ALERTS_FETCH_TIMEOUT_SEC = config.get_int("ALERTS_FETCH_TIMEOUT_SEC", 10, minimum=1, maximum=60)
# Requests a minute each service allows, all regions together: alerts.in.ua publishes 8-10 a
# minute per address (12 is the hard limit); ukrainealarm publishes none.
ALERTS_IN_UA_PER_MINUTE = config.get_int("ALERTS_IN_UA_PER_MINUTE", 8, minimum=1, maximum=600)
ALERTS_UKRAINEALARM_PER_MINUTE = config.get_int("ALERTS_UKRAINEALARM_PER_MINUTE", 20, minimum=1, maximum=600)
# `make demo`: a source with no network that says "alert" the first ten minutes of every half hour.
ALERTS_DEMO = config.get_bool("ALERTS_DEMO", False)
if ALERTS_IN_UA_API_KEY or ALERTS_API_KEY or ALERTS_DEMO:
    CELERY_BEAT_SCHEDULE["poll-alerts"] = {
        "task": "alerts.tasks.poll_alerts",
        "schedule": ALERTS_POLL_SEC,
        "options": {"expires": ALERTS_POLL_SEC},
    }
if ALERTS_FRESH_SEC <= ALERTS_POLL_SEC:
    raise config.ConfigError(
        "ALERTS_FRESH_SEC",
        f"{ALERTS_FRESH_SEC} must be longer than ALERTS_POLL_SEC "
        f"({ALERTS_POLL_SEC}): every answer would be stale before the next one came",
    )

# --- Weather (names kept from the PowerBot seed) ---------------------------------------
# Open-Meteo needs no key. Buildings without coordinates of their own are at WEATHER_LAT/LON.
WEATHER_API_URL = config.get_api_url("WEATHER_API_URL", "https://api.open-meteo.com/v1/forecast")
WEATHER_LAT = config.get_float("WEATHER_LAT", 50.45, minimum=-90, maximum=90)
WEATHER_LON = config.get_float("WEATHER_LON", 30.52, minimum=-180, maximum=180)
# How often each place's weather is fetched; 0 turns weather off.
WEATHER_POLL_SEC = config.get_int("WEATHER_POLL_SEC", 900, minimum=0, maximum=86_400)
if WEATHER_POLL_SEC and WEATHER_POLL_SEC < 60:
    raise config.ConfigError("WEATHER_POLL_SEC", f"{WEATHER_POLL_SEC} is below the minimum of 60 (or 0: off)")
WEATHER_FETCH_TIMEOUT_SEC = config.get_int("WEATHER_FETCH_TIMEOUT_SEC", 10, minimum=1, maximum=60)
# Requests a minute, all places together (Open-Meteo's free use allows 600).
WEATHER_PER_MINUTE = config.get_int("WEATHER_PER_MINUTE", 60, minimum=1, maximum=600)
# `make demo`: weather made up from the clock, with no network.
WEATHER_DEMO = config.get_bool("WEATHER_DEMO", False)
if WEATHER_POLL_SEC:
    # Every minute: each place is asked when its own WEATHER_POLL_SEC has passed (or its back-off).
    CELERY_BEAT_SCHEDULE["poll-weather"] = {
        "task": "weather.tasks.poll_weather",
        "schedule": 60,
        "options": {"expires": 60},
    }

# --- Neighbours' reports on heating and water ----------------------------------------------
# An answer counts since the section's last power change, and for at most this many hours.
NEIGHBOUR_REPORT_HOURS = config.get_int("NEIGHBOUR_REPORT_HOURS", 6, minimum=1, maximum=72)

TELEGRAM_BOT_TOKEN = config.get_str("TELEGRAM_BOT_TOKEN")
# python-telegram-bot's coming behaviour, now: time periods such as retry_after are timedeltas.
os.environ.setdefault("PTB_TIMEDELTA", "true")
TELEGRAM_API_URL = config.get_url("TELEGRAM_API_URL", "https://api.telegram.org")
# Telegram allows about 30 messages a second overall and one a second per chat.
TELEGRAM_RATE_PER_SEC = config.get_int("TELEGRAM_RATE_PER_SEC", 25, minimum=1, maximum=1000)
# Webhook mode (production): Telegram posts updates to this public URL, the bot listens on
# TELEGRAM_WEBHOOK_BIND behind the proxy. Unset: long polling.
TELEGRAM_WEBHOOK_URL = config.get_page_url("TELEGRAM_WEBHOOK_URL")
TELEGRAM_WEBHOOK_BIND = config.get_bind("TELEGRAM_WEBHOOK_BIND", "0.0.0.0:8081")
# What Telegram sends in X-Telegram-Bot-Api-Secret-Token; unset: derived from the bot token,
# so every bot process agrees on it.
TELEGRAM_WEBHOOK_SECRET = config.get_token("TELEGRAM_WEBHOOK_SECRET")
# Telegram user ids of operators: the bot shows them the fleet and a link to the admin.
ADMIN_TELEGRAM_IDS = config.get_int_set("ADMIN_TELEGRAM_IDS")
# Where people reach this service, for links the bot gives (the admin).
SITE_URL = config.get_url("SITE_URL", "http://127.0.0.1:8000")
# The resident's web: how often the public status page asks whether anything changed, and
# how old a Mini App's Telegram initData may be before it is refused (a captured link expires).
STATUS_REFRESH_SEC = config.get_int("STATUS_REFRESH_SEC", 15, minimum=1, maximum=3600)
WEBAPP_INITDATA_MAX_AGE_SEC = config.get_int("WEBAPP_INITDATA_MAX_AGE_SEC", 3600, minimum=30, maximum=7 * 86_400)
# Updates the bot handles at once; database work is still done one call at a time.
BOT_CONCURRENT_UPDATES = config.get_int("BOT_CONCURRENT_UPDATES", 64, minimum=1, maximum=1024)
