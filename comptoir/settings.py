"""Comptoir settings, driven by environment variables with safe defaults.

Nothing is set: SQLite in ``COMPTOIR_DATA_DIR`` (default ``./var``), DEBUG off.
``DATABASE_URL`` switches to PostgreSQL. ``COMPTOIR_DEV=1`` (what ``make run`` sets) turns on a
development mode with a generated local secret; production mode refuses to start without
``COMPTOIR_SECRET_KEY`` and ``COMPTOIR_ENCRYPTION_KEY``.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


TESTING = "pytest" in sys.modules or env_bool("COMPTOIR_TESTING")
DEV_MODE = env_bool("COMPTOIR_DEV") or TESTING
DEBUG = env_bool("COMPTOIR_DEBUG", default=False)

DATA_DIR = Path(os.environ.get("COMPTOIR_DATA_DIR", BASE_DIR / "var")).resolve()


def _dev_secret(name: str) -> str:
    """A per-installation secret for development, kept in the data directory."""
    from comptoir.lib.secrets import read_or_create_secret

    return read_or_create_secret(DATA_DIR / name)


SECRET_KEY = os.environ.get("COMPTOIR_SECRET_KEY", "")
ENCRYPTION_KEY = os.environ.get("COMPTOIR_ENCRYPTION_KEY", "")
if not SECRET_KEY or not ENCRYPTION_KEY:
    if not DEV_MODE:
        missing = [n for n, v in (("COMPTOIR_SECRET_KEY", SECRET_KEY), ("COMPTOIR_ENCRYPTION_KEY", ENCRYPTION_KEY)) if not v]
        raise ImproperlyConfigured(
            f"{' and '.join(missing)} must be set in production mode. Generate values with "
            "`comptoir keys`, or set COMPTOIR_DEV=1 for a local development instance."
        )
    SECRET_KEY = SECRET_KEY or _dev_secret("secret_key")
    ENCRYPTION_KEY = ENCRYPTION_KEY or _dev_secret("encryption_key")

ALLOWED_HOSTS = env_list("COMPTOIR_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEV_MODE else "")
if DEV_MODE and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
CSRF_TRUSTED_ORIGINS = env_list("COMPTOIR_CSRF_TRUSTED_ORIGINS")
BASE_URL = os.environ.get("COMPTOIR_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Addresses handed to people and tools outside (a webhook's) use BASE_URL only when it was set; else the request's.
BASE_URL_IS_SET = bool(os.environ.get("COMPTOIR_BASE_URL"))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "comptoir.connectors",
    "comptoir.workspaces",
    "comptoir.clock",
    "comptoir.members",
    "comptoir.stream",
    "comptoir.listening",
    "comptoir.publishing",
    "comptoir.inbox",
    "comptoir.moderation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "comptoir.middleware.CleanInputMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "comptoir.workspaces.middleware.UserLanguageMiddleware",
    "comptoir.errors.api_json_errors",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "comptoir.urls"
WSGI_APPLICATION = "comptoir.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "comptoir.workspaces.context_processors.shell",
            ],
        },
    },
]

# Database: SQLite (WAL, busy timeout, IMMEDIATE transactions) unless DATABASE_URL is set.
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60, conn_health_checks=True)}
    if TESTING:
        DATABASES["default"]["TEST"] = {"NAME": os.environ.get("COMPTOIR_TEST_DB_NAME", "test_comptoir")}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("COMPTOIR_SQLITE_PATH", str(DATA_DIR / "comptoir.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    if TESTING:
        # A file, not memory: tests start worker processes and a live server that share it.
        DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "workspaces.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: French first, English second; per-user choice stored on the user.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
if DEV_MODE:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEV_MODE
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEV_MODE
WHITENOISE_MANIFEST_STRICT = False
MEDIA_ROOT = DATA_DIR / "media"
# The publishing media library (served to members only, never from a public URL).
COMPTOIR_MEDIA_MAX_IMAGE_BYTES = int(os.environ.get("COMPTOIR_MEDIA_MAX_IMAGE_BYTES", str(20 * 1024 * 1024)))
COMPTOIR_MEDIA_MAX_VIDEO_BYTES = int(os.environ.get("COMPTOIR_MEDIA_MAX_VIDEO_BYTES", str(500 * 1024 * 1024)))

# Background work: django.tasks with the database backend; our clock schedules due rows.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "ingest", "nlp", "deliver", "reports"],
    }
}
COMPTOIR_WORKER_HEARTBEAT_SECONDS = float(os.environ.get("COMPTOIR_WORKER_HEARTBEAT_SECONDS", "5"))
COMPTOIR_WORKER_DEAD_AFTER_SECONDS = float(os.environ.get("COMPTOIR_WORKER_DEAD_AFTER_SECONDS", "30"))
COMPTOIR_TASK_MAX_ATTEMPTS = int(os.environ.get("COMPTOIR_TASK_MAX_ATTEMPTS", "5"))
COMPTOIR_CLOCK_INTERVAL_SECONDS = float(os.environ.get("COMPTOIR_CLOCK_INTERVAL_SECONDS", "5"))
# Publishing delivery: how long a claim holds a variant (longer than any network call, media uploads included),
# tries per variant before it fails, variants claimed per clock tick, variants per task, threads per task.
COMPTOIR_DELIVERY_LEASE_SECONDS = float(os.environ.get("COMPTOIR_DELIVERY_LEASE_SECONDS", "900"))
COMPTOIR_DELIVERY_MAX_ATTEMPTS = int(os.environ.get("COMPTOIR_DELIVERY_MAX_ATTEMPTS", "6"))
COMPTOIR_DELIVERY_CLAIM_BATCH = int(os.environ.get("COMPTOIR_DELIVERY_CLAIM_BATCH", "500"))
COMPTOIR_DELIVERY_TASK_SIZE = int(os.environ.get("COMPTOIR_DELIVERY_TASK_SIZE", "20"))
COMPTOIR_DELIVERY_THREADS = int(os.environ.get("COMPTOIR_DELIVERY_THREADS", "4"))

# Outbound fetches: private/loopback targets are refused unless explicitly allowed (tests, dev peers).
COMPTOIR_FETCH_ALLOW_PRIVATE = env_bool("COMPTOIR_FETCH_ALLOW_PRIVATE", default=False)
COMPTOIR_FETCH_TIMEOUT_SECONDS = float(os.environ.get("COMPTOIR_FETCH_TIMEOUT_SECONDS", "15"))
COMPTOIR_FETCH_MAX_BYTES = int(os.environ.get("COMPTOIR_FETCH_MAX_BYTES", str(10 * 1024 * 1024)))
COMPTOIR_FETCH_MAX_REDIRECTS = 5
COMPTOIR_HOST_MIN_INTERVAL_SECONDS = float(os.environ.get("COMPTOIR_HOST_MIN_INTERVAL_SECONDS", "2"))
COMPTOIR_FETCH_USER_AGENT = "Comptoir/0.1 (+https://comptoir.example/bot)"

# Demo instance: the login page lists the demo accounts.
COMPTOIR_DEMO = env_bool("COMPTOIR_DEMO", default=DEV_MODE)

# E-mail (invitations): console in development, SMTP otherwise.
_MAIL_BACKEND = os.environ.get(
    "COMPTOIR_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEV_MODE else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {"default": {"BACKEND": _MAIL_BACKEND}}
if _MAIL_BACKEND.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": os.environ.get("COMPTOIR_EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("COMPTOIR_EMAIL_PORT", "25")),
        "username": os.environ.get("COMPTOIR_EMAIL_USER", ""),
        "password": os.environ.get("COMPTOIR_EMAIL_PASSWORD", ""),
        "use_tls": env_bool("COMPTOIR_EMAIL_TLS"),
        "timeout": 15,
    }
DEFAULT_FROM_EMAIL = os.environ.get("COMPTOIR_FROM_EMAIL", "Comptoir <comptoir@localhost>")

# Security headers. CSP: only our own origin; Alpine's CSP build needs no unsafe-eval.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
COMPTOIR_BEHIND_PROXY = env_bool("COMPTOIR_BEHIND_PROXY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if COMPTOIR_BEHIND_PROXY else None
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("COMPTOIR_SECURE_COOKIES", default=not DEV_MODE)
# HSTS when served over HTTPS: browsers keep to HTTPS for that long (SecurityMiddleware sends it on HTTPS answers only).
SECURE_HSTS_SECONDS = (
    int(os.environ.get("COMPTOIR_HSTS_SECONDS", str(365 * 86400))) if SESSION_COOKIE_SECURE or COMPTOIR_BEHIND_PROXY else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("COMPTOIR_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_bool("COMPTOIR_HSTS_PRELOAD")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Django's two handlers, each stopping a file once it passes the limit of where it is sent (comptoir/uploads.py).
FILE_UPLOAD_HANDLERS = ["comptoir.uploads.CappedMemoryUploadHandler", "comptoir.uploads.CappedUploadHandler"]


def _trusted_proxies():
    from comptoir.lib.clientaddr import parse_networks

    try:
        return parse_networks(env_list("COMPTOIR_TRUSTED_PROXIES"))
    except ValueError as exc:
        raise ImproperlyConfigured(f"COMPTOIR_TRUSTED_PROXIES: {exc}") from exc


# Failed log-ins, API token attempts and password-reset requests: past the free attempts, each further
# attempt waits 2, 4, 8… seconds, up to the cap. Behind a proxy the client is the right-most
# X-Forwarded-For hop that is not one of the trusted proxies (the one connecting to us always is).
COMPTOIR_TRUSTED_PROXIES = _trusted_proxies()
COMPTOIR_LOGIN_FREE_ATTEMPTS = int(os.environ.get("COMPTOIR_LOGIN_FREE_ATTEMPTS", "5"))
COMPTOIR_ADDRESS_FREE_ATTEMPTS = int(os.environ.get("COMPTOIR_ADDRESS_FREE_ATTEMPTS", "20"))
COMPTOIR_THROTTLE_MAX_DELAY_SECONDS = int(os.environ.get("COMPTOIR_THROTTLE_MAX_DELAY_SECONDS", "900"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("COMPTOIR_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
