"""Peerlight settings: one module, every value from the environment.

``PEERLIGHT_ENV`` selects the mode. ``development`` (the default) runs
embedded: SQLite in WAL mode, an in-memory channel layer, the database task
queue and secrets kept in files under ``var/``. ``production`` refuses to start
unless the secret key, the encryption keys and the allowed hosts are given.
The README's configuration table lists every variable.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from peerlight.lib.env import env_bool, env_choice, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent.parent
VAR_DIR = Path(env_str("PEERLIGHT_VAR_DIR", str(PROJECT_DIR / "var")))

PEERLIGHT_ENV = env_choice("PEERLIGHT_ENV", ("development", "production"), "development")
PRODUCTION = PEERLIGHT_ENV == "production"
DEBUG = env_bool("PEERLIGHT_DEBUG", False) and not PRODUCTION


def _local_secret(name: str, nbytes: int) -> str:
    """Read or create a development secret kept in ``var/`` (never in production)."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(nbytes) + "\n", encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()


_missing: list[str] = []

SECRET_KEY = env_str("PEERLIGHT_SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        _missing.append("PEERLIGHT_SECRET_KEY")
    else:
        SECRET_KEY = _local_secret("secret.key", 48)

# Field-encryption keys, newest first. Empty in development means the local
# key file (``PEERLIGHT_LOCAL_KEY_FILE``) is created and used, with a warning.
PEERLIGHT_ENCRYPTION_KEYS = env_list("PEERLIGHT_ENCRYPTION_KEYS", [])
PEERLIGHT_LOCAL_KEY_FILE = "" if PRODUCTION else str(VAR_DIR / "encryption.keys")
if PRODUCTION and not PEERLIGHT_ENCRYPTION_KEYS:
    _missing.append("PEERLIGHT_ENCRYPTION_KEYS")

ALLOWED_HOSTS = env_list(
    "PEERLIGHT_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    _missing.append("PEERLIGHT_ALLOWED_HOSTS")

if _missing:
    raise ImproperlyConfigured(
        "Production mode needs " + ", ".join(_missing) + ". See the README's configuration table."
    )

CSRF_TRUSTED_ORIGINS = env_list("PEERLIGHT_CSRF_TRUSTED_ORIGINS", [])
PEERLIGHT_BASE_URL = env_str("PEERLIGHT_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_htmx",
    "django_tasks_db",
    "channels",
    "peerlight.lib",
    "peerlight.audit",
    "peerlight.accounts",
    "peerlight.safety",
    "peerlight.peers",
    "peerlight.chat",
    "peerlight.support",
    "peerlight.directory",
    "peerlight.circles",
    "peerlight.stories",
    "peerlight.advocacy",
    "peerlight.outcomes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "peerlight.lib.middleware.private_pages",
    # Suspended and banned people are signed out; a warning is shown once.
    "peerlight.safety.moderation_middleware.moderation_middleware",
]

ROOT_URLCONF = "peerlight.urls"
WSGI_APPLICATION = "peerlight.wsgi.application"
ASGI_APPLICATION = "peerlight.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "peerlight.lib.context.page_shell",
                "peerlight.safety.context.escalation_banner",
                "peerlight.directory.context.referral_follow_up",
                "peerlight.circles.reminders.circles_notices",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'peerlight.sqlite3'}")


def database_settings(url: str) -> dict[str, Any]:
    """Django DATABASES entry for ``url``; SQLite gets WAL and full sync."""
    config: dict[str, Any] = dict(dj_database_url.parse(url))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        name = str(config.get("NAME") or "")
        if name and name != ":memory:":
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        config["OPTIONS"] = {
            # WAL lets readers and the writer work together; synchronous=FULL
            # makes every acknowledged commit durable even on power loss.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;"
            ),
            # Take the write lock at BEGIN so two writers queue instead of
            # failing with "database is locked" half-way through.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        config["TEST"] = {"NAME": None}
    # Requests run on reused threads (see asgi.py), so keeping each thread's
    # connection saves the connect (and SQLite's PRAGMAs) on every request.
    config["CONN_MAX_AGE"] = env_int("PEERLIGHT_DB_CONN_MAX_AGE", 600, minimum=0)
    config["CONN_HEALTH_CHECKS"] = env_bool("PEERLIGHT_DB_HEALTH_CHECKS", True)
    return config


DATABASES = {"default": database_settings(DATABASE_URL)}
# Threads per server process that run Django's views (asgi.py).
PEERLIGHT_HTTP_THREADS = env_int("PEERLIGHT_HTTP_THREADS", 8, minimum=1)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, cache, rate limits -------------------------------

REDIS_URL = env_str("REDIS_URL")

if REDIS_URL:
    # Pub/sub: one Redis connection per process instead of one per socket,
    # and a quarter of the chat's p99 (docs/operations.md). An event sent
    # while nobody listens is dropped, which is safe: events are nudges and
    # clients catch up with "resume".
    CHANNEL_LAYERS: dict[str, Any] = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "peerlight"},
        }
    }
    CACHES: dict[str, Any] = {
        "default": {
            "BACKEND": "peerlight.lib.redis_cache.PooledClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "peerlight",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # Channels' layer, sweeping for expired entries once a second instead of on
    # every event (lib/layers.py).
    CHANNEL_LAYERS = {"default": {"BACKEND": "peerlight.lib.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Background tasks -----------------------------------------------------

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Tasks the worker enqueues on a clock (``peerlight.lib.periodic``): dotted
# path -> seconds between runs. Each must be safe to run twice.
PEERLIGHT_PERIODIC_TASKS = {
    # Circles' meetings are planned 90 days ahead; a page plans too when it
    # needs to, but reminders must not wait for someone to look.
    "peerlight.circles.schedule.plan_all_circles": 6 * 3600,
    # Member votes on proposed campaigns close on time even if nobody looks.
    "peerlight.advocacy.proposals.close_due_votes": 3600,
    # Visitors' petition signatures never confirmed go after 30 days.
    "peerlight.advocacy.petition_signing.purge_unconfirmed_signatures": 24 * 3600,
}

# --- Stories and advocacy --------------------------------------------------

# Figures about fewer people than this are never shown (evidence briefs,
# programme statistics): small cells can name someone.
PEERLIGHT_SMALL_CELL_MINIMUM = env_int("PEERLIGHT_SMALL_CELL_MINIMUM", 11, minimum=5)
# Members who must back a proposed campaign before it goes to a member vote,
# and how many days the vote stays open.
PEERLIGHT_PROPOSAL_SUPPORT_THRESHOLD = env_int(
    "PEERLIGHT_PROPOSAL_SUPPORT_THRESHOLD", 25, minimum=1
)
PEERLIGHT_PROPOSAL_VOTE_DAYS = env_int("PEERLIGHT_PROPOSAL_VOTE_DAYS", 14, minimum=1)
# Petition signatures a minute from one address (an office or a campus shares one).
PEERLIGHT_PETITION_SIGNS_PER_MINUTE = env_int("PEERLIGHT_PETITION_SIGNS_PER_MINUTE", 30, minimum=1)

# --- Talking to a peer ----------------------------------------------------

# How long a peer has to accept a chat before the next candidate is asked.
PEERLIGHT_OFFER_SECONDS = env_int("PEERLIGHT_OFFER_SECONDS", 60, minimum=10)
# Hours when peers are usually on shift, shown to people in the queue.
PEERLIGHT_SUPPORT_HOURS = env_str("PEERLIGHT_SUPPORT_HOURS", "Every day, 9 am to 11 pm")

# --- Safety ---------------------------------------------------------------

# How long the on-call responder has to acknowledge an urgent case before
# the next responder (then the fallback contact) is told.
PEERLIGHT_ESCALATION_ACK_SECONDS = env_int("PEERLIGHT_ESCALATION_ACK_SECONDS", 60, minimum=5)
# Told when nobody on the rota acknowledges in time, or nobody is on shift.
PEERLIGHT_SAFETY_FALLBACK_EMAIL = env_str("PEERLIGHT_SAFETY_FALLBACK_EMAIL", "")
# Where a suspended person can ask for a decision to be looked at again
# (an e-mail address or a sentence); the sender address when empty.
PEERLIGHT_APPEALS_CONTACT = env_str("PEERLIGHT_APPEALS_CONTACT", "")

# --- Finding help: the resource directory ---------------------------------

# The zone a directory's opening hours are in when a record gives only a UTC
# offset (HSDS 3.0 keeps no zone name); an IANA name.
PEERLIGHT_DIRECTORY_TIME_ZONE = env_str("PEERLIGHT_DIRECTORY_TIME_ZONE", "")
# Listings not verified for this many days are flagged for the coordinators.
PEERLIGHT_DIRECTORY_VERIFY_DAYS = env_int("PEERLIGHT_DIRECTORY_VERIFY_DAYS", 180, minimum=1)
# Days after a peer shares a service until the member is asked how it went.
PEERLIGHT_REFERRAL_FOLLOW_UP_DAYS = env_int("PEERLIGHT_REFERRAL_FOLLOW_UP_DAYS", 7, minimum=1)

# --- Accounts and sessions ------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("display_name", "email")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = env_int("PEERLIGHT_SESSION_HOURS", 72, minimum=1) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Sensitive changes ask for the password again when the last check is older.
PEERLIGHT_SUDO_SECONDS = env_int("PEERLIGHT_SUDO_MINUTES", 10, minimum=1) * 60
OTP_TOTP_ISSUER = env_str("PEERLIGHT_SITE_NAME", "Peerlight")
PEERLIGHT_SITE_NAME = OTP_TOTP_ISSUER

_SMTP = "django.core.mail.backends.smtp.EmailBackend"
_mail_backend = env_str(
    "PEERLIGHT_EMAIL_BACKEND",
    _SMTP if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
MAILERS: dict[str, Any] = {
    "default": {
        "BACKEND": _mail_backend,
        "OPTIONS": (
            {
                "host": env_str("PEERLIGHT_EMAIL_HOST", "localhost"),
                "port": env_int("PEERLIGHT_EMAIL_PORT", 25, minimum=1),
                "username": env_str("PEERLIGHT_EMAIL_USER"),
                "password": env_str("PEERLIGHT_EMAIL_PASSWORD"),
                "use_tls": env_bool("PEERLIGHT_EMAIL_TLS", False),
                "timeout": 20,
            }
            if _mail_backend == _SMTP
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = env_str("PEERLIGHT_EMAIL_FROM", "peerlight@localhost")

# --- Security headers -----------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "peerlight.lib.views.csrf_failure"
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("PEERLIGHT_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("PEERLIGHT_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("PEERLIGHT_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    if env_bool("PEERLIGHT_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Language -------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("PEERLIGHT_TIME_ZONE", "America/New_York")
PEERLIGHT_DIRECTORY_TIME_ZONE = PEERLIGHT_DIRECTORY_TIME_ZONE or TIME_ZONE
USE_TZ = True

# --- Static files ---------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
if not PRODUCTION:
    # WhiteNoise serves from the finders in development but expects the folder.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- Peerlight ------------------------------------------------------------

# A JSON file of crisis contacts by language; empty uses the US defaults.
PEERLIGHT_CRISIS_CONTACTS_FILE = env_str("PEERLIGHT_CRISIS_CONTACTS_FILE")
# Where "Quick exit" sends the browser: a neutral, everyday page.
PEERLIGHT_QUICK_EXIT_URL = env_str(
    "PEERLIGHT_QUICK_EXIT_URL", "https://www.google.com/search?q=weather+today"
)

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("PEERLIGHT_LOG_LEVEL", "INFO")},
    "loggers": {
        # Request bodies and message text never reach the logs: only
        # Django's own request-line logging is kept.
        "django.request": {"level": "WARNING"},
        # WeasyPrint reports every step of every PDF at INFO: noise, no text.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
