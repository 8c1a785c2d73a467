"""The one settings module of cityhall, configured from the environment (12-factor).

Every setting that differs between a laptop demo and a production deployment is read from an
environment variable with a safe default: no secret lives in the repository, DEBUG is off
unless asked for, and `CITYHALL_PRODUCTION=1` turns on the strict transport settings that
`manage.py check --deploy` expects.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

SRC_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = SRC_DIR.parent
DATA_DIR = Path(os.environ.get("CITYHALL_DATA_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = env_bool("CITYHALL_PRODUCTION")
DEBUG = env_bool("DEBUG")

# A development key is generated per checkout so that a demo never runs on a key that is
# published in the repository; production refuses to start without SECRET_KEY.
if "SECRET_KEY" in os.environ:
    SECRET_KEY = os.environ["SECRET_KEY"]
elif PRODUCTION:
    raise RuntimeError("SECRET_KEY must be set when CITYHALL_PRODUCTION=1")
else:
    _key_file = DATA_DIR / "dev-secret-key"
    if not _key_file.exists():
        import secrets

        DATA_DIR.mkdir(parents=True, exist_ok=True)
        _key_file.write_text(secrets.token_urlsafe(64))
    SECRET_KEY = _key_file.read_text().strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The apps of the house (DESIGN.md). `core` is required; every other app is optional.
CITYHALL_APPS = [
    "cityhall.core",
    "cityhall.payments",
    "cityhall.notifications",
    "cityhall.procedures",
    "cityhall.bookings",
    "cityhall.opendata",
    "cityhall.disaster",
    "cityhall.reports",
    "cityhall.feedback",
    "cityhall.faq",
    "cityhall.childcare",
]

INSTALLED_APPS = [
    *CITYHALL_APPS,
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks_db",
]

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    INSTALLED_APPS.append("django_rq")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cityhall.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "cityhall.core.middleware.StaffSecurityMiddleware",
    "cityhall.core.middleware.CityhallErrorMiddleware",
]

ROOT_URLCONF = "cityhall.urls"
WSGI_APPLICATION = "cityhall.wsgi.application"
ASGI_APPLICATION = "cityhall.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cityhall.core.context_processors.municipality",
                "cityhall.core.context_processors.banners",
                "cityhall.core.context_processors.widgets",
            ],
        },
    },
]

# Database: an embedded SQLite file by default, PostgreSQL (or anything dj-database-url
# understands) through DATABASE_URL.
DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'cityhall.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE avoids the
    # "database is locked" upgrade deadlock between two writers.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so that worker processes started by tests see the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-cityhall-{os.getpid()}.sqlite3")}
else:
    # One test database per test run, so that two runs on a shared machine (two checkouts,
    # CI beside a developer) never drop each other's database.
    DATABASES["default"]["TEST"] = {
        "NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set (shared by every web node, so rate limits hold across
# machines), a local memory cache otherwise.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "cityhall"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work through Django's tasks API: the database backend by default, RQ on Redis
# when REDIS_URL is set. TASK_BACKEND may force either ("database", "rq", "immediate").
TASK_BACKEND = os.environ.get("TASK_BACKEND", "rq" if REDIS_URL else "database")
TASK_QUEUES = ["default", "notifications", "reports", "matching"]
if TASK_BACKEND == "rq":
    TASKS = {
        "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES},
    }
    RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600} for name in TASK_QUEUES}
elif TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                         "QUEUES": TASK_QUEUES}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}
# How long a worker may stay silent before the tasks it claimed are handed to another worker.
TASK_WORKER_HEARTBEAT_SECONDS = int(os.environ.get("TASK_WORKER_HEARTBEAT_SECONDS", "10"))
TASK_WORKER_DEAD_AFTER_SECONDS = int(os.environ.get("TASK_WORKER_DEAD_AFTER_SECONDS", "60"))

# People
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# Failed logins are limited per address and per account; the cache is Redis in production,
# so the limit holds across web nodes.
ACCOUNT_RATE_LIMITS = {
    "login_failed": os.environ.get("LOGIN_FAILED_RATE_LIMIT", "10/m/ip,5/5m/key"),
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = os.environ.get("MFA_TOTP_ISSUER", "cityhall")
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION

# Residents stay signed in for a working day at most; staff sessions end after
# STAFF_SESSION_IDLE_SECONDS without activity (StaffSecurityMiddleware).
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
STAFF_SESSION_IDLE_SECONDS = int(os.environ.get("STAFF_SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Email (Django 6.1 mailers): console in development, SMTP when EMAIL_HOST is set.
if os.environ.get("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["EMAIL_HOST"],
                "port": int(os.environ.get("EMAIL_PORT", "587")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                "timeout": int(os.environ.get("EMAIL_TIMEOUT", "30")),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
# Payments (取組2). Providers offered, in order: "counter" (staff), "stripe" (cards online,
# needs the keys below) and "sandbox" (the demo's pretend provider, off in production unless
# asked for). STRIPE_API_BASE points the official client at another server (the tests' fake).
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
PAYMENT_PROVIDERS = [code.strip() for code in os.environ.get(
    "PAYMENT_PROVIDERS",
    ",".join(["counter", *(["stripe"] if STRIPE_SECRET_KEY else []),
              *([] if PRODUCTION else ["sandbox"])])).split(",") if code.strip()]

# Bookings: how long a booking whose fee is paid online holds its place unpaid.
BOOKING_PAYMENT_HOLD_MINUTES = int(os.environ.get("BOOKING_PAYMENT_HOLD_MINUTES", "60"))

# Notifications (取組12, 17): channels, fan-out and rate limits (docs/notifications.md).
# LINE Messaging API: the channel secret verifies webhook signatures, the long-lived channel
# access token authorises sending. LINE_API_BASE points the SDK at another server (tests).
LINE_CHANNEL_SECRET = os.environ.get("LINE_CHANNEL_SECRET", "")
LINE_CHANNEL_ACCESS_TOKEN = os.environ.get("LINE_CHANNEL_ACCESS_TOKEN", "")
LINE_API_BASE = os.environ.get("LINE_API_BASE", "https://api.line.me").rstrip("/")
# The official account's "add friend" link (https://line.me/R/ti/p/@...), shown with a QR code.
LINE_ADD_FRIEND_URL = os.environ.get("LINE_ADD_FRIEND_URL", "")
# Web Push (VAPID, RFC 8292): `manage.py notifications_vapid_keys` prints a key pair.
VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "")
VAPID_PUBLIC_KEY = os.environ.get("VAPID_PUBLIC_KEY", "")
VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "")
WEBPUSH_TTL_SECONDS = int(os.environ.get("WEBPUSH_TTL_SECONDS", str(24 * 3600)))
# Browsers' push endpoints are accepted only on these push services' hosts (and their
# subdomains), so the server never POSTs to an address a visitor made up.
WEBPUSH_ALLOWED_HOSTS = env_list(
    "WEBPUSH_ALLOWED_HOSTS",
    "fcm.googleapis.com,updates.push.services.mozilla.com,push.services.mozilla.com,"
    "web.push.apple.com,notify.windows.com")
WEBPUSH_ALLOW_HTTP = env_bool("WEBPUSH_ALLOW_HTTP", False)
# Requests (LINE: multicast calls; others: messages) per second per channel, across workers.
NOTIFICATIONS_RATE_LIMITS = {
    "email": int(os.environ.get("NOTIFICATIONS_EMAIL_PER_SECOND", "50")),
    "line": int(os.environ.get("NOTIFICATIONS_LINE_PER_SECOND", "100")),
    "webpush": int(os.environ.get("NOTIFICATIONS_WEBPUSH_PER_SECOND", "500")),
    "inbox": 0,
}
NOTIFICATIONS_FANOUT_BATCH = int(os.environ.get("NOTIFICATIONS_FANOUT_BATCH", "1000"))
NOTIFICATIONS_SEND_WORKERS = int(os.environ.get("NOTIFICATIONS_SEND_WORKERS", "2"))
NOTIFICATIONS_MAX_ATTEMPTS = int(os.environ.get("NOTIFICATIONS_MAX_ATTEMPTS", "6"))
NOTIFICATIONS_RETRY_BACKOFF_SECONDS = int(os.environ.get("NOTIFICATIONS_RETRY_BACKOFF_SECONDS",
                                                         "30"))
NOTIFICATIONS_STALE_SENDING_SECONDS = int(os.environ.get("NOTIFICATIONS_STALE_SENDING_SECONDS",
                                                         "600"))

# Open data catalogue (取組27, docs/opendata.md): the largest file staff may upload, and the
# base of the URIs that DCAT gives datasets (defaults to the address the request came to).
OPENDATA_MAX_UPLOAD_BYTES = int(os.environ.get("OPENDATA_MAX_UPLOAD_BYTES",
                                               str(50 * 1024 * 1024)))
OPENDATA_BASE_URI = os.environ.get("OPENDATA_BASE_URI", "")
# Whether loading the reference data (load_minato_reference/_demo) publishes the live
# datasets at once; the periodic task publishes them anyway.
OPENDATA_LIVE_PUBLISH_ON_LOAD = os.environ.get("OPENDATA_LIVE_PUBLISH_ON_LOAD", "1") == "1"
# Street-problem reports (取組13, docs/reports.md): submissions from the portal per client
# address per hour, and the largest photo accepted.
REPORTS_RATE_LIMIT_PER_HOUR = int(os.environ.get("REPORTS_RATE_LIMIT_PER_HOUR", "20"))
REPORTS_MAX_PHOTO_BYTES = int(os.environ.get("REPORTS_MAX_PHOTO_BYTES", str(10 * 1024 * 1024)))
# Open311 GeoReport v2: the jurisdiction this endpoint serves (clients may also leave
# jurisdiction_id out), and the requests one address may send: POSTed reports per hour and
# reads per minute (0 = no limit).
OPEN311_JURISDICTION_ID = os.environ.get("OPEN311_JURISDICTION_ID", "city.minato.tokyo.jp")
OPEN311_POST_RATE_PER_HOUR = int(os.environ.get("OPEN311_POST_RATE_PER_HOUR", "60"))
OPEN311_GET_RATE_PER_MINUTE = int(os.environ.get("OPEN311_GET_RATE_PER_MINUTE", "300"))

# The portal's public address, for links in emails and documents sent outside a request.
PORTAL_URL = os.environ.get("PORTAL_URL", "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "cityhall <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Language and time: Japanese first, English complete; Chinese (simplified) and Korean for
# the public-safety pages.
LANGUAGE_CODE = "ja"
LANGUAGES = [
    ("ja", "日本語"),
    ("en", "English"),
    ("zh-hans", "简体中文"),
    ("ko", "한국어"),
]
LOCALE_PATHS = [SRC_DIR / "cityhall" / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Tokyo"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
# Largest single attachment a resident may upload (a form field may ask for less); the
# service refuses larger files. The load balancer should cap request bodies a little above
# it (docs/operations.md). Uploads over FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file.
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
ATTACHMENTS_STORAGE_BACKEND = os.environ.get("ATTACHMENTS_STORAGE_BACKEND",
                                             "django.core.files.storage.FileSystemStorage")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Residents' uploads (application attachments) are private: outside MEDIA_ROOT, never
    # served by the web server, only through views that check who may read them. Past one
    # machine, point this at S3-compatible object storage (docs/operations.md).
    "attachments": {
        "BACKEND": ATTACHMENTS_STORAGE_BACKEND,
        # Another backend (S3-compatible) is configured through its own settings.
        "OPTIONS": {"location": os.environ.get("ATTACHMENTS_ROOT",
                                               str(DATA_DIR / "private" / "attachments")),
                    "base_url": None}
        if ATTACHMENTS_STORAGE_BACKEND.endswith("FileSystemStorage") else {},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Security. The Content Security Policy allows only this origin: no inline scripts, so the
# pages work the same without JavaScript and htmx is loaded as a file.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # /healthz is probed by load balancers over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# How many reverse proxies (load balancers) stand in front of the web nodes; the client
# address recorded in the audit log is read from X-Forwarded-For accordingly.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# Logs carry request ids, never personal data.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools log every page and font subset at INFO.
    "loggers": {"django.db.backends": {"level": "WARNING"},
                "weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50

CITYHALL_MUNICIPALITY_CODE = os.environ.get("CITYHALL_MUNICIPALITY_CODE", "131032")
CITYHALL_SITE_NAME = _("cityhall")
WHITENOISE_USE_FINDERS = not PRODUCTION

# feedback (取組11): opinions one client may send per hour (web form per address and per
# session, LINE per user id); past it the sender is asked to wait and nothing is stored.
FEEDBACK_RATE_LIMIT_PER_HOUR = int(os.environ.get("FEEDBACK_RATE_LIMIT_PER_HOUR", "5"))

# childcare (取組7, docs/childcare.md): the seconds the nursery matching engine may search for a
# better result in one run (a background job on the "matching" queue). Between 1 and 480: a run
# must end well inside the queue's job timeout (RQ: 600 s).
CHILDCARE_MATCHING_TIME_LIMIT = float(os.environ.get("CHILDCARE_MATCHING_TIME_LIMIT", "30"))
# How long before online applications close a resident whose nursery application is still a
# draft (or was returned) is reminded to send it (hours; docs/childcare.md).
CHILDCARE_UNSENT_REMINDER_HOURS = int(os.environ.get("CHILDCARE_UNSENT_REMINDER_HOURS", "72"))
