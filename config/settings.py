"""Haven settings: one file, read from environment variables.

Every value that differs between a laptop and production comes from the
environment. Secrets may also be given as a path in ``<NAME>_FILE`` (Docker and
systemd secrets). With debug off, a missing secret stops start-up with one line
that names the variable.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from backups import demo_key
from vault.keyring import Keyring, KeyringError, load_keyring

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HAVEN_VAR_DIR", BASE_DIR / "var"))


def _fail(message: str) -> None:
    # SystemExit prints one line and stops: no traceback for a configuration error.
    raise SystemExit(f"Haven cannot start: {message}")


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    _fail(f"{name} must be true or false, not {value!r}")
    return default


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        _fail(f"{name} must be a whole number, not {value!r}")
        return default


def envsecret(name: str) -> str:
    """The value of NAME, or the contents of the file named by NAME_FILE."""
    value = os.environ.get(name, "")
    path = os.environ.get(f"{name}_FILE", "")
    if path:
        try:
            value = Path(path).read_text().strip()
        except OSError as exc:
            _fail(f"{name}_FILE names {path!r}, which cannot be read ({exc.strerror})")
    return value


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """Django's DATABASES entry for a postgres:// or sqlite:/// URL."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parts.path[1:]) or ":memory:"}
    if parts.scheme in {"postgres", "postgresql"}:
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        # A database that does not answer fails a request (and the health check) in seconds, not minutes.
        options.setdefault("connect_timeout", "5")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "haven",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    _fail(f"DATABASE_URL must start with postgres:// or sqlite:///, not {parts.scheme}://")
    return {}


def redis_url_is_guarded(url: str) -> bool:
    """A password, or a server on this machine: anything else lets the network write to Redis."""
    parts = urlsplit(url)
    return bool(parts.password) or parts.hostname in {"127.0.0.1", "localhost", "::1"}


DEBUG = envbool("DJANGO_DEBUG")

SECRET_KEY = envsecret("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS")
if DEBUG:
    # Development only: a fixed key is fine for a laptop with demo data.
    SECRET_KEY = SECRET_KEY or "haven-development-only-key-never-use-in-production-0123456789"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]
else:
    if not SECRET_KEY:
        _fail("DJANGO_SECRET_KEY is not set (or DJANGO_SECRET_KEY_FILE). Set it, or set DJANGO_DEBUG=1 on a laptop.")
    if not ALLOWED_HOSTS:
        _fail("DJANGO_ALLOWED_HOSTS is not set. Give the host names this site answers to, separated by commas.")

# Keys live in the keyring file, never in the database: the key-encryption keys
# that wrap every data key, the blind-index key and the audit chain's key.
KEYRING_FILE = os.environ.get("HAVEN_KEYRING_FILE") or (str(VAR_DIR / "keyring.json") if DEBUG else "")
KEYRING = Keyring(keks={}, blind_index_key=b"", audit_key=b"")  # stays empty only for generate_keyring
if sys.argv[1:2] != ["generate_keyring"]:  # the one command that runs before a keyring exists
    if not KEYRING_FILE:
        _fail("HAVEN_KEYRING_FILE is not set. Create a keyring with: python manage.py generate_keyring PATH")
    try:
        KEYRING = load_keyring(KEYRING_FILE)
    except KeyringError as exc:
        _fail(str(exc))
# The audit chain is keyed so that someone who can write to the database cannot
# recompute the chain after changing a row.
AUDIT_KEY = KEYRING.audit_key.hex()
# Signed checkpoints of the chain's head, outside the database (audit/checkpoints.py):
# a table emptied or cut short no longer verifies. Beside the keyring unless named.
AUDIT_CHECKPOINT_FILE = Path(
    os.environ.get("HAVEN_AUDIT_CHECKPOINT_FILE")
    or (Path(KEYRING_FILE) if KEYRING_FILE else VAR_DIR / "keyring.json").with_name("audit-checkpoints.jsonl")
)

# Blind-index tags keep this many bits, so that each tag matches several records
# (see README, "Blind indexes"). Changing it needs the indexes rebuilt.
BLIND_INDEX_BITS = envint("HAVEN_BLIND_INDEX_BITS", 12)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "charts",
    "accounts",
    "audit",
    "vault",
    "defectors",
    "support",
    "debriefing",
    "backups",
    "reporting",
    "health",
    # Apps only the test suite and benchmarks load (tests/vaultapp: models to exercise the vault).
    *envlist("HAVEN_EXTRA_APPS"),
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Early: PostgreSQL or Redis down gets a plain 503 naming it (health/unavailable.py).
    "health.unavailable.DependencyDownMiddleware",
    "audit.middleware.RequestIdMiddleware",
    "config.sending.SentFormMiddleware",
    "vault.middleware.VaultMiddleware",
    "audit.middleware.DamagedRecordMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.SessionPolicyMiddleware",
    "accounts.middleware.MFARequiredMiddleware",
    "accounts.middleware.BrakeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # Last: with debug on, the site's own 404 page instead of a list of every URL pattern.
    "config.errors.PlainNotFoundMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "accounts.context_processors.navigation",
                "backups.context_processors.backup_warning",
                "accounts.context_processors.brake_alert",
                "support.context_processors.notifications",
            ],
        },
    },
]

# Django's form templates, the commonest of them written out in Python (same output; most of a
# page's time went into rendering its forms' fields through the template engine).
FORM_RENDERER = "config.formrenderer.FormRenderer"

DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'haven.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis is shared by every process: login rate limits and TOTP replay protection
# only hold across web replicas when they count in the same place.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else ""
)


if not DEBUG:
    for name, url in (("CELERY_BROKER_URL", CELERY_BROKER_URL), ("REDIS_URL", REDIS_URL)):
        if url.startswith(("redis://", "rediss://")) and not redis_url_is_guarded(url):
            _fail(f"{name} names a Redis server on another host without a password. Use redis://:PASSWORD@host/db.")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "haven",
            # Keys are stored hashed: a rate limit's key holds the client's address.
            "KEY_FUNCTION": "config.cache.make_key",
            # JSON, never pickle: whoever can write to Redis must not run code here.
            # Short socket timeouts: a Redis that is gone fails a request (and the health check) quickly.
            "OPTIONS": {
                "serializer": "config.cache.JSONSerializer",
                "socket_connect_timeout": 2,
                "socket_timeout": 5,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True  # results that hold data are never kept in Redis
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Beat: one entry per periodic task; tasks take ids (or nothing) and are idempotent.
# A message a killed worker took (acks_late) goes back to the queue after this long: longer
# than any task may run (CELERY_TASK_TIME_LIMIT), or a slow task would run twice at once.
# (A test that kills a worker shortens it for the worker that takes the message back.)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("HAVEN_BROKER_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + 5 * 60)
}
# Beat records its own heartbeat on every tick (health.scheduler): the health check and the
# supervisor's dashboard say when beat, the worker or a daily run is late (health.heartbeats).
CELERY_BEAT_SCHEDULER = "health.scheduler:HeartbeatScheduler"
# A running backup or computing report beats every HEARTBEAT_SECONDS from a thread of its own;
# one silent for HEARTBEAT_STALE_SECONDS lost its worker (killed, restarted): beat's sweeps
# mark the backup failed and compute the report again (README, "Operations").
HEARTBEAT_SECONDS = envint("HAVEN_HEARTBEAT_SECONDS", 15)
HEARTBEAT_STALE_SECONDS = envint("HAVEN_HEARTBEAT_STALE_SECONDS", 60)
# Daily work at a wall-clock hour in the organisation's zone (CELERY_TIMEZONE), not an interval
# counted from beat's start, which every restart of beat postponed.
REMINDER_HOUR = envint("HAVEN_REMINDER_HOUR", 6)
WORKER_HEARTBEAT_SECONDS = envint("HAVEN_WORKER_HEARTBEAT_SECONDS", 30)
CELERY_BEAT_SCHEDULE = {
    "support-reminders": {
        "task": "support.tasks.send_reminders",
        "schedule": crontab(hour=str(REMINDER_HOUR), minute="0"),
    },
    # Expires unsent: with the worker down for a day, its heartbeats do not pile up in the queue.
    # Every WORKER_HEARTBEAT_SECONDS (30; health.heartbeats.PARTS counts it late after 3 minutes).
    "worker-heartbeat": {
        "task": "health.tasks.worker_heartbeat",
        "schedule": WORKER_HEARTBEAT_SECONDS,
        "options": {"expires": max(WORKER_HEARTBEAT_SECONDS - 5, 1)},
    },
}

# Transition support (support/): a referral sent this many days ago without an answer
# is "waiting too long"; assistance above these amounts needs a supervisor's approval.
HAVEN_REFERRAL_WAITING_DAYS = envint("HAVEN_REFERRAL_WAITING_DAYS", 14)
HAVEN_ASSISTANCE_APPROVAL_ABOVE = {
    currency: amount
    for currency, _sep, amount in (
        item.partition(":") for item in envlist("HAVEN_ASSISTANCE_APPROVAL_ABOVE", "MMK:500000,THB:5000,USD:150")
    )
}

# Backups: encrypted with age to the trustees' public keys (age1...), so this
# server can write them but never read them. See README, "Backups".
BACKUP_DIR = Path(os.environ.get("HAVEN_BACKUP_DIR", VAR_DIR / "backups"))
BACKUP_RECIPIENTS = envlist("HAVEN_BACKUP_RECIPIENTS")
# On a laptop (debug on, no trustees configured) backups go to the demo trustee key, whose
# identity make run writes here, so the whole journey works; with debug off it is refused:
# anyone who takes the server can read backups made with it (backups/demo_key.py).
BACKUP_DEMO_KEY_FILE = VAR_DIR / demo_key.FILE_NAME
if DEBUG and not BACKUP_RECIPIENTS:
    BACKUP_RECIPIENTS = [demo_key.DEMO_RECIPIENT]
if not DEBUG and demo_key.demo_recipients(BACKUP_RECIPIENTS, BACKUP_DEMO_KEY_FILE):
    _fail(
        "HAVEN_BACKUP_RECIPIENTS holds the demo trustee key, whose identity is public (make run's "
        "var/demo-trustee-key.txt): anyone could read those backups. Give the trustees' own age keys."
    )
BACKUP_KEEP_DAILY = envint("HAVEN_BACKUP_KEEP_DAILY", 7)
BACKUP_KEEP_WEEKLY = envint("HAVEN_BACKUP_KEEP_WEEKLY", 5)
BACKUP_KEEP_MONTHLY = envint("HAVEN_BACKUP_KEEP_MONTHLY", 12)
BACKUP_HOUR = envint("HAVEN_BACKUP_HOUR", 2)  # local time (HAVEN_TIME_ZONE), nightly
BACKUP_WARN_HOURS = 26
# A brake's out-of-band alert that never went out (broker down, retries used up) is queued again.
CELERY_BEAT_SCHEDULE["brake-alerts"] = {"task": "accounts.tasks.resend_brake_alerts", "schedule": 60}
CELERY_BEAT_SCHEDULE["nightly-backup"] = {
    "task": "backups.tasks.nightly_backup",
    "schedule": crontab(hour=str(BACKUP_HOUR), minute="0"),
}

# Donor reporting (reporting/): cells below the threshold are published as "fewer than k"
# (never below 5: reporting.disclosure.K_MIN); counts are rounded to the base; a quarter
# is published only once it has closed plus the lag. README, "Donor reports".
HAVEN_REPORT_THRESHOLD = envint("HAVEN_REPORT_THRESHOLD", 10)
HAVEN_REPORT_ROUNDING_BASE = envint("HAVEN_REPORT_ROUNDING_BASE", 5)
HAVEN_REPORT_LAG_MONTHS = envint("HAVEN_REPORT_LAG_MONTHS", 1)
if HAVEN_REPORT_THRESHOLD < 5:
    _fail(f"HAVEN_REPORT_THRESHOLD must be at least 5, not {HAVEN_REPORT_THRESHOLD}")
if HAVEN_REPORT_ROUNDING_BASE < 1 or HAVEN_REPORT_LAG_MONTHS < 0:
    _fail("HAVEN_REPORT_ROUNDING_BASE must be at least 1 and HAVEN_REPORT_LAG_MONTHS at least 0")
# A draft or a backup queued while the broker was down is queued again once it is back.
CELERY_BEAT_SCHEDULE["reports-queued"] = {"task": "reporting.tasks.resume_queued", "schedule": 60}
CELERY_BEAT_SCHEDULE["backups-queued"] = {"task": "backups.tasks.resume_queued", "schedule": 60}
CELERY_BEAT_SCHEDULE["quarterly-report-draft"] = {
    "task": "reporting.tasks.scheduled_draft",
    "schedule": crontab(hour="3", minute="30"),
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.HavenAuthenticationBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:home"

# django-allauth: login by username, no sign-up, no password reset by email.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    # Per client (IP) and per account (key = the username typed).
    "login_failed": "10/m/ip,5/15m/key",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
}
ALLAUTH_TRUSTED_PROXY_COUNT = envint("HAVEN_TRUSTED_PROXY_COUNT", 0)
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
# Every form that takes a typed code spends it through accounts.totp (no replay).
MFA_FORMS = {
    "activate_totp": "accounts.forms.ActivateTOTPForm",
    "authenticate": "accounts.forms.AuthenticateForm",
    "reauthenticate": "accounts.forms.ReauthenticateForm",
}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = "Haven"
# One period either side: phones in the field drift.
MFA_TOTP_TOLERANCE = 1
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG

# Sessions: short idle timeout, absolute lifetime, closed with the browser.
SESSION_IDLE_MINUTES = envint("HAVEN_SESSION_IDLE_MINUTES", 15)
SESSION_MAX_HOURS = envint("HAVEN_SESSION_MAX_HOURS", 8)
# Database sessions (vault.models.Session): stored under a keyed hash of the cookie's key, sealed
# with the organisation key. They replace allauth.usersessions, which stored the raw key.
SESSION_ENGINE = "vault.sessions"
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
# The idle timeout is renewed by a request once its stored expiry is more than this old, not by
# every request (a write and a commit each): it ends between SESSION_COOKIE_AGE minus this and
# SESSION_COOKIE_AGE after the last request, and each page counts down from the stored expiry
# (vault.sessions.SessionStore.renew_if_due, idle_seconds_left).
SESSION_RENEW_SECONDS = 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# Strict: a link on another site (a message, a forged page) opens no signed-in page, so it
# cannot make a GET that reveals an identity (and counts against the brake) in someone's name.
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "config.sending.csrf_failure"  # a form sent by static/js/send.js gets a fresh token
# Messages can name what was done ("Role saved for ..."): keep them in the sealed
# session, not in a readable cookie without the __Host- prefix.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Haven sends no email: email is a watched channel. Links are handed over in person. The one
# exception is the exfiltration brake's alert, which says only "a brake tripped: sign in", sent
# through HAVEN_EMAIL_HOST when an administrator set HAVEN_BRAKE_ALERT_EMAILS.
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
EMAIL_HOST = os.environ.get("HAVEN_EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = envint("HAVEN_EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("HAVEN_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = envsecret("HAVEN_EMAIL_PASSWORD")
    EMAIL_USE_TLS = envbool("HAVEN_EMAIL_TLS", True)
    EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("HAVEN_EMAIL_FROM", "haven@localhost")

# The exfiltration brake (accounts/brake.py): how many distinct cases one person may read the identity
# of in a sliding hour and day, among the cases assigned to them and among all others. README
# ("The exfiltration brake") says how these were sized.
BRAKE_ASSIGNED_PER_HOUR = envint("HAVEN_BRAKE_ASSIGNED_PER_HOUR", 60)
BRAKE_ASSIGNED_PER_DAY = envint("HAVEN_BRAKE_ASSIGNED_PER_DAY", 150)
BRAKE_OTHER_PER_HOUR = envint("HAVEN_BRAKE_OTHER_PER_HOUR", 25)
BRAKE_OTHER_PER_DAY = envint("HAVEN_BRAKE_OTHER_PER_DAY", 80)
if min(BRAKE_ASSIGNED_PER_HOUR, BRAKE_ASSIGNED_PER_DAY, BRAKE_OTHER_PER_HOUR, BRAKE_OTHER_PER_DAY) < 1:
    _fail("the HAVEN_BRAKE_* limits must be at least 1")
BRAKE_ALERT_EMAILS = envlist("HAVEN_BRAKE_ALERT_EMAILS")
# A webhook URL often carries its own token: read it like a secret (or from HAVEN_BRAKE_ALERT_WEBHOOK_FILE).
BRAKE_ALERT_WEBHOOK = envsecret("HAVEN_BRAKE_ALERT_WEBHOOK")
if BRAKE_ALERT_EMAILS and not EMAIL_HOST and not DEBUG:
    _fail("HAVEN_BRAKE_ALERT_EMAILS is set but HAVEN_EMAIL_HOST is not: the alerts could not be sent")
if BRAKE_ALERT_WEBHOOK and not BRAKE_ALERT_WEBHOOK.startswith(("https://", "http://")):
    _fail("HAVEN_BRAKE_ALERT_WEBHOOK must be an http(s) URL")

# Health checks (health/): /readyz and /healthz answer "ok" or "unavailable" to anyone; with
# "Authorization: Bearer <this token>" they list each check too. Empty: the list is given to no one.
HAVEN_HEALTH_TOKEN = envsecret("HAVEN_HEALTH_TOKEN")

INVITATION_HOURS = envint("HAVEN_INVITATION_HOURS", 72)
QUICK_EXIT_URL = os.environ.get("HAVEN_QUICK_EXIT_URL", "https://www.google.com/")

SECURE_CONTENT_TYPE_NOSNIFF = True
# "same-origin": no referrer ever goes to another site. Not "no-referrer": with it
# browsers send "Origin: null" on form posts and Django's CSRF check refuses them.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    # __Host- cookies are only sent over HTTPS, to this exact host, for path /.
    SESSION_COOKIE_NAME = "__Host-haven-session"
    CSRF_COOKIE_NAME = "__Host-haven-csrf"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("DJANGO_HSTS_PRELOAD", True)
    if envbool("DJANGO_TRUST_X_FORWARDED_PROTO"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy: nothing from another origin, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "manifest-src": ["'self'"],
    }
}
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "camera": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "payment": [],
    "usb": [],
    # WebAuthn (security keys, passkeys) on this origin only.
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("my", _("Burmese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("HAVEN_TIME_ZONE", "Asia/Yangon")
CELERY_TIMEZONE = TIME_ZONE  # beat's crontab hours (the nightly backup) are local
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Logs go to stdout; they carry paths, codes and ids, never form contents.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # A 403 or 400 is one line: Django would add a traceback that points at no fault.
    "filters": {"client_errors_without_traceback": {"()": "config.errors.ClientErrorsWithoutTraceback"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors_without_traceback"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("HAVEN_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # No handlers of its own: Django's default console handler on "django",
        # active with debug on, printed each record a second time, unformatted
        # and with a 403's traceback. Its records reach the console through root.
        "django": {"handlers": [], "propagate": True},
    },
}
