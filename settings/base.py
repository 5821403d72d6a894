"""Settings for every environment; production differs only by environment variables."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from settings import dev_keys, secret_strength
from settings.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

# Unset means production: development (tracebacks, keys made under var/) is asked for by
# name, as `make run` and the test settings do.
DEBUG = env_bool("DJANGO_DEBUG", False)

# Development makes its own keys under var/; production must be given them.
_dev = dev_keys.load_or_create(VAR_DIR / "dev_keys.json") if DEBUG else {}


def _secret(name: str) -> str:
    value = env_str(name) or _dev.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DJANGO_DEBUG is off")
    return value


SECRET_KEY = _secret("SECRET_KEY")
# A comma-separated list rotates keys: the first encrypts, all of them decrypt.
FIELD_ENCRYPTION_KEY = env_list("FIELD_ENCRYPTION_KEY") or [_secret("FIELD_ENCRYPTION_KEY")]

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.import_export",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "import_export",
    "encrypted_model_fields",
    "axes",
    "django_ratelimit",
    "crm",
    "campaigns",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "campaigns.content.public_address.RequestAddressMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.site.timezones.OrganizationTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the login page with its message.
    "axes.middleware.AxesMiddleware",
]

# django-axes refuses a locked-out (username, address) before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "settings.urls"
WSGI_APPLICATION = "settings.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Templates that must win over unfold's own (the admin home is our dashboard).
        "DIRS": [BASE_DIR / "campaigns" / "overrides"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.site.timezones.time_zone",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the admin read while a sender writes; IMMEDIATE avoids lock upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: the admin's aggregates (a campaign's funnel, its failure reasons) are short,
    # and PostgreSQL spent longer compiling them than running them (250 ms of a campaign
    # page's 330 at a million leads).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The listing-fit index includes columns for PostgreSQL's index-only scans; SQLite (the
# development database) ignores them, which is fine, and should not say so on every command.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
# django-ratelimit supports memcached and Redis by name; ours is the database's cache with
# an atomic increment (crm/site/shared_cache.py), which its warning cannot know.
SILENCED_SYSTEM_CHECKS += ["django_ratelimit.W001"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# The languages we write emails, pages and the admin in (one gettext catalogue each).
LANGUAGES = [("en", "English"), ("fr", "Français"), ("es", "Español")]
# Our catalogues (locale/<language>/LC_MESSAGES/django.po, and the .mo compiled from it by
# manage.py compile_catalogues); they win over Django's and the packages' own.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"

# A form sent without a valid CSRF token (open too long, signed out since) says so plainly.
CSRF_FAILURE_VIEW = "crm.site.error_pages.csrf_failure"

LOGIN_URL = "admin:login"
# Unfold's login form has no hidden "next" field: without ?next= Django would go to
# /accounts/profile/, which does not exist.
LOGIN_REDIRECT_URL = "admin:index"

# The address the world reaches this project at: OAuth redirect, tracking and unsubscribe
# links are built from it, never from the request's Host header.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# ... except in development with PUBLIC_BASE_URL unset: links follow the address the server
# is reached at (campaigns/content/public_address.py), so `runserver 8101` links to port 8101.
PUBLIC_BASE_URL_FROM_REQUEST = DEBUG and not env_str("PUBLIC_BASE_URL")
# The sandbox provider writes each message here as an .eml file.
SANDBOX_OUTBOX_DIR = VAR_DIR / "outbox"

# Uploaded CSV files wait here between preview and confirmation.
LEAD_IMPORT_DIR = VAR_DIR / "imports"
LEAD_IMPORT_MAX_BYTES = env_int("LEAD_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
# A workbook (a zip) whose content unpacks past this is refused (crm/importing/xlsx_reading.py).
LEAD_IMPORT_MAX_XLSX_UNPACKED = env_int("LEAD_IMPORT_MAX_XLSX_UNPACKED", 1024 * 1024 * 1024)
# Rows checked and written at a time: the importer's memory is one batch.
LEAD_IMPORT_BATCH_SIZE = env_int("LEAD_IMPORT_BATCH_SIZE", 5000)
# Files up to this size are previewed and imported while the page waits; larger ones in
# the background, the page showing their progress (crm/importing/jobs.py).
LEAD_IMPORT_INLINE_BYTES = env_int("LEAD_IMPORT_INLINE_BYTES", 1024 * 1024)
# Leads a client address, and a key, may post to /api/leads/ (django-ratelimit: "30/m",
# "500/h"...); past them: 429 (crm/inbound/views.py).
LEADS_API_RATE_PER_ADDRESS = env_str("LEADS_API_RATE_PER_ADDRESS", "20/m")
LEADS_API_RATE_PER_KEY = env_str("LEADS_API_RATE_PER_KEY", "600/m")
# The launch page checks every message of audiences up to this size before launching;
# `manage.py launch_campaign --check` checks any size.
CAMPAIGNS_PREFLIGHT_PAGE_LIMIT = env_int("CAMPAIGNS_PREFLIGHT_PAGE_LIMIT", 20_000)

IMPORT_EXPORT_SKIP_ADMIN_LOG = True
# A control character that slipped in before input refused them (crm/plain_text.py) becomes
# U+FFFD in an XLSX file, rather than failing the whole export (openpyxl refuses them).
IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Django gives its "django" logger a console handler of its own (with DEBUG on), and
    # its records also reach the root's: without this, each would be printed twice.
    "loggers": {"django": {"handlers": [], "level": env_str("LOG_LEVEL", "INFO")}},
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

from settings.compliance import *  # noqa: E402,F403

# The names the checks below read are imported by name too.
from settings.google import *  # noqa: E402,F403
from settings.google import GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET  # noqa: E402
from settings.login import *  # noqa: E402,F403
from settings.n8n import *  # noqa: E402,F403
from settings.n8n import N8N_BASE_URL, N8N_WEBHOOK_SECRET  # noqa: E402
from settings.rate_limits import *  # noqa: E402,F403
from settings.unfold import UNFOLD  # noqa: E402,F401

if not DEBUG and not (GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET):
    raise ImproperlyConfigured("GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET must be set")
if not DEBUG and N8N_BASE_URL and not N8N_WEBHOOK_SECRET:
    raise ImproperlyConfigured("N8N_WEBHOOK_SECRET must be set when N8N_BASE_URL is")
if DEBUG and not N8N_WEBHOOK_SECRET:
    N8N_WEBHOOK_SECRET = [_dev["N8N_WEBHOOK_SECRET"]]
if not DEBUG:
    # Each signs or encrypts: at least 32 random bytes, or no start (with the reason).
    for _webhook_secret in N8N_WEBHOOK_SECRET:
        secret_strength.check_text_secret("N8N_WEBHOOK_SECRET", _webhook_secret)
    for _fernet_key in FIELD_ENCRYPTION_KEY:
        secret_strength.check_fernet_key("FIELD_ENCRYPTION_KEY", _fernet_key)
if not DEBUG and not PUBLIC_BASE_URL.startswith("https://"):
    raise ImproperlyConfigured("PUBLIC_BASE_URL must be an https:// address in production")
