"""Django settings for Manyi. Wiring only: every value can come from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("MANYI_SECRET_KEY", "manyi-dev-only-insecure-key-change-me")
DEBUG = _env_bool("MANYI_DEBUG", False)
ALLOWED_HOSTS = os.environ.get("MANYI_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(
    ","
)
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("MANYI_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "manyi.core",
    "manyi.accounts",
    "manyi.calendars",
    "manyi.customers",
    "manyi.cases",
    "manyi.audit",
    "manyi.notifications",
    "manyi.recovery",
    "manyi.followups",
    "manyi.surveys",
    "manyi.analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "manyi.core.middleware.LanguageMiddleware",
    "manyi.core.upload_limits.PublicRequestSizeMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "manyi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "manyi.core.context_processors.manyi",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'manyi.sqlite3'}"),
        conn_max_age=int(os.environ.get("MANYI_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(str(DATABASES["default"]["NAME"])).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server and the worker use one SQLite file at the same time.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: a dashboard aggregate over 50,000 open cases is planned above
    # jit_above_cost and spends ~300 ms compiling to run in ~50 ms (docs/benchmarks.md).
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "core:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "manyi" / "static"]

# Background work: Django's tasks API (django-tasks backport). The database backend needs no
# extra service; a deployment may point MANYI_TASK_BACKEND at a Redis-backed backend instead.
# "default": per process (rate limits and short-lived page state). "analytics": the precomputed
# analytics pages (manyi.analytics.snapshots), shared by every web process through a database
# table created by the analytics migrations.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "analytics": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "manyi_analytics_cache",
        "TIMEOUT": 3 * 3600,
        "OPTIONS": {"MAX_ENTRIES": 20000, "CULL_FREQUENCY": 4},
    },
}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("MANYI_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

EMAIL_BACKEND = os.environ.get(
    "MANYI_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_FILE_PATH = os.environ.get("MANYI_EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("MANYI_FROM_EMAIL", "manyi@localhost")
EMAIL_HOST = os.environ.get("MANYI_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("MANYI_EMAIL_PORT", "25"))

# SMS goes through an adapter; the console backend prints, the file backend appends JSON lines.
MANYI_SMS_BACKEND = os.environ.get("MANYI_SMS_BACKEND", "manyi.notifications.sms.ConsoleSmsBackend")
MANYI_SMS_FILE_PATH = os.environ.get("MANYI_SMS_FILE_PATH", str(BASE_DIR / "var" / "sms.jsonl"))
MANYI_BASE_URL = os.environ.get("MANYI_BASE_URL", "http://127.0.0.1:8000")
MANYI_SWEEP_BATCH = int(os.environ.get("MANYI_SWEEP_BATCH", "2000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MANYI_LOG_LEVEL", "WARNING")},
}

# --- Customer messages by WeChat (issue 3) ---------------------------------------------------
# WeChat goes through an adapter (manyi.notifications.wechat.WeChatBackend); a real Official
# Account backend implements it. Console prints, file appends JSON lines, memory is for tests.
MANYI_WECHAT_BACKEND = os.environ.get(
    "MANYI_WECHAT_BACKEND", "manyi.notifications.wechat.ConsoleWeChatBackend"
)
MANYI_WECHAT_FILE_PATH = os.environ.get(
    "MANYI_WECHAT_FILE_PATH", str(BASE_DIR / "var" / "wechat.jsonl")
)
# --- end customer messages --------------------------------------------------------------------

# === Public complaint page, uploads and rate limits (issue 3, manyi/cases/public_*.py) ===
# Uploaded files (photos of public complaints). MEDIA_ROOT must NOT be served by the web
# server: attachments are only downloaded by staff through the login-required, scoped view
# (manyi.cases.public_views.attachment_download); MEDIA_URL is therefore never routed.
MEDIA_ROOT = Path(os.environ.get("MANYI_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"
# Photos of one public complaint: how many, and the size of each (bytes).
MANYI_UPLOAD_MAX_FILES = int(os.environ.get("MANYI_UPLOAD_MAX_FILES", "3"))
MANYI_UPLOAD_MAX_BYTES = int(os.environ.get("MANYI_UPLOAD_MAX_BYTES", str(5 * 1024 * 1024)))
# Django refuses (400) a multipart request with more files than this before writing them: the
# photos plus a little slack, so a form with a few files too many still gets a field error.
DATA_UPLOAD_MAX_NUMBER_FILES = MANYI_UPLOAD_MAX_FILES + 2
# Requests to /complain/ and /api/v1/public/ larger than MANYI_UPLOAD_MAX_FILES ×
# MANYI_UPLOAD_MAX_BYTES + 64 KB are refused with 413 before Django reads (and spools to disk)
# the body; a POST/PUT/PATCH there whose length is unknown (chunked, or a bad Content-Length)
# gets 411 (manyi.core.upload_limits.PublicRequestSizeMiddleware).
# Submissions per client IP and per phone number, and status look-ups per IP, in a fixed
# window of MANYI_PUBLIC_RATE_WINDOW seconds (counters in core.RateHit, shared by every
# process; manyi.core.ratelimit).
MANYI_PUBLIC_RATE_WINDOW = int(os.environ.get("MANYI_PUBLIC_RATE_WINDOW", "3600"))
MANYI_PUBLIC_RATE_PER_IP = int(os.environ.get("MANYI_PUBLIC_RATE_PER_IP", "10"))
MANYI_PUBLIC_RATE_PER_PHONE = int(os.environ.get("MANYI_PUBLIC_RATE_PER_PHONE", "3"))
MANYI_PUBLIC_LOOKUP_RATE_PER_IP = int(os.environ.get("MANYI_PUBLIC_LOOKUP_RATE_PER_IP", "20"))
# The client's IP is REMOTE_ADDR unless MANYI_TRUST_X_FORWARDED_FOR is on (only behind your
# own reverse proxies). Proxies append to X-Forwarded-For, so the left of the header is what the
# client sent and cannot be trusted: the client is the MANYI_TRUSTED_PROXY_COUNT-th entry from
# the right (default 1: the last entry, written by the one proxy in front of the application;
# 2 for a CDN/load balancer in front of nginx, …). A header with fewer entries than that falls
# back to REMOTE_ADDR (manyi.core.ratelimit.client_ip).
MANYI_TRUST_X_FORWARDED_FOR = _env_bool("MANYI_TRUST_X_FORWARDED_FOR", False)
MANYI_TRUSTED_PROXY_COUNT = max(1, int(os.environ.get("MANYI_TRUSTED_PROXY_COUNT", "1")))

# SQLite cannot enforce "one compensation guide per category and severity" when the category is
# empty (NULLS NOT DISTINCT); manyi.recovery.services.save_guide checks it on every database.
# W040: the covering indexes' INCLUDE columns are a PostgreSQL optimisation; SQLite builds the
# same indexes without them, which is what we want.
SILENCED_SYSTEM_CHECKS = ["models.W047", "models.W040"]

# Follow-up calls: how far ahead a call with no answer may be rescheduled (days).
MANYI_FOLLOWUP_MAX_RESCHEDULE_DAYS = int(os.environ.get("MANYI_FOLLOWUP_MAX_RESCHEDULE_DAYS", "14"))
