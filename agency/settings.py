"""One settings module, read from the environment (twelve-factor).

DJANGO_ENV picks the defaults: ``production`` (the default: safe, strict),
``development`` (``make run``) or ``test`` (the pytest suite). Every value can still be
overridden by its own variable.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue as KombuQueue

from agency.celery import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="production")
if DJANGO_ENV not in {"production", "development", "test"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be production, development or test, not {DJANGO_ENV!r}"
    )
IS_PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=DJANGO_ENV == "development")

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if IS_PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production.")
    SECRET_KEY = f"insecure-{DJANGO_ENV}-key-never-used-in-production-0123456789abcdef"

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=[] if IS_PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"],
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    "django_structlog",
    "pgtrigger",
    "pghistory",
    "agency",
    "creators",
    "billing",
    "campaigns",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "agency.middleware.RequestIdMiddleware",  # before the logging middleware reads the id
    "django_structlog.middlewares.RequestMiddleware",
    "agency.middleware.RejectNulMiddleware",
    "agency.middleware.HistoryMiddleware",
]

ROOT_URLCONF = "agency.urls"
WSGI_APPLICATION = "agency.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# Database: PostgreSQL only, in every environment.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/postgres")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services own their transactions
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if IS_PRODUCTION else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: broker, cache, throttles, locks. Nothing in it that cannot be rebuilt.
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")


def _celery_url(url: str) -> str:
    """Celery (kombu) spells a unix-socket Redis ``redis+socket://<path>?virtual_host=<db>``,
    redis-py ``unix://<path>?db=<db>``."""
    if not url.startswith("unix://"):
        return url
    path, _, query = url.removeprefix("unix://").partition("?")
    db = dict(part.partition("=")[::2] for part in query.split("&") if part).get("db")
    return f"redis+socket://{path}" + (f"?virtual_host={db}" if db else "")


CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="mcn"),
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if DJANGO_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Security: strict in production, each switch overridable (e.g. TLS ended by a proxy).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=IS_PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # container health checks speak plain HTTP
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if IS_PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = IS_PRODUCTION
SECURE_HSTS_PRELOAD = IS_PRODUCTION
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=IS_PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=IS_PRODUCTION)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Staff logins (the admin): lockout, second factor, idle sessions --------------------
# Kept in one block. django-axes locks a username at one client address out after
# AXES_FAILURE_LIMIT failed logins for AXES_COOLOFF_MINUTES (a locked login is refused
# even with the right password); django-otp asks superusers and finance for a TOTP
# token (agency.admin_site); a staff session ends after SESSION_IDLE_MINUTES without a
# request. README.md, "Security: staff logins", says how the first admin enrols.
INSTALLED_APPS[INSTALLED_APPS.index("django.contrib.admin")] = "agency.apps.StaffAdminConfig"
INSTALLED_APPS += ["django_otp", "django_otp.plugins.otp_totp", "axes"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified()
)
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # last, as django-axes asks
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out logins
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# Behind a proxy, the number of proxies that append to X-Forwarded-For (0: REMOTE_ADDR).
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="MCN back office")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # no secrets or QR codes in the admin: enrol by command
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True  # each request pushes expiry back: an idle timeout
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# --- end of staff logins ------------------------------------------------------------

# REST framework: the partner API.
API_PAGE_SIZE = 50
API_MAX_PAGE_SIZE = 500
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["agency.api.authentication.PartnerAPIKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["agency.api.permissions.IsPartner"],
    "DEFAULT_THROTTLE_CLASSES": ["agency.api.throttling.PartnerKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"partner_key": env.str("API_KEY_RATE", default="1200/min")},
    "DEFAULT_PAGINATION_CLASS": "agency.api.pagination.PartnerPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["agency.api.parsers.JSONParser"],  # depth and NUL limits
    "DEFAULT_SCHEMA_CLASS": "agency.api.schema.PartnerAutoSchema",
    "EXCEPTION_HANDLER": "agency.api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

API_KEY_CUSTOM_HEADER = None  # the key travels as "Authorization: Api-Key <key>"
WEBHOOK_REQUIRE_HTTPS = env.bool("WEBHOOK_REQUIRE_HTTPS", default=IS_PRODUCTION)
WEBHOOK_ALLOW_PRIVATE_HOSTS = env.bool("WEBHOOK_ALLOW_PRIVATE_HOSTS", default=not IS_PRODUCTION)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
IDEMPOTENCY_KEY_TTL = timedelta(hours=env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=48))
IDEMPOTENCY_LOCK_TIMEOUT = timedelta(
    seconds=env.int("IDEMPOTENCY_LOCK_TIMEOUT_SECONDS", default=300)
)

# Billing.
BILLING_PAYOUT_MINIMUM = env.str("BILLING_PAYOUT_MINIMUM", default="50")  # major units
BILLING_MAX_EVENT_BATCH = env.int("BILLING_MAX_EVENT_BATCH", default=500)  # events per API call
BILLING_FX_MAX_AGE_DAYS = env.int("BILLING_FX_MAX_AGE_DAYS", default=7)  # stalest usable rate
# Batches one posting run (revenue_events_post_pending: the Celery task, the bench) posts at
# once, each on its own thread and database connection, so one batch's Python work overlaps
# another's wait on PostgreSQL; 1 posts them one after the other. Each run holds this many
# connections besides its own. Size workers x connections to the cores (billing/README.md).
BILLING_POSTING_CONNECTIONS = env.int("BILLING_POSTING_CONNECTIONS", default=2)
# A remittance in another currency than its events may differ by this share (FX difference).
BILLING_REMITTANCE_FX_TOLERANCE = env.str("BILLING_REMITTANCE_FX_TOLERANCE", default="0.02")
# Which creators a data partner may post revenue and remittance lines for: "agency" (all:
# the partner reports for the whole agency) or "assigned" (those assigned to it in the admin).
BILLING_DATA_PARTNER_SCOPE = env.str("BILLING_DATA_PARTNER_SCOPE", default="agency")

# Campaigns: livestream conversion grades (orders / viewers), from domain.md's benchmarks
# (weak about 0.6 %, average 1-6 % for a vertical account, excellent 5-8 %): below
# AVERAGE_FROM is weak, from EXCELLENT_FROM on excellent, average between.
CAMPAIGNS_LIVE_CONVERSION_AVERAGE_FROM = env.str(
    "CAMPAIGNS_LIVE_CONVERSION_AVERAGE_FROM", default="0.01"
)
CAMPAIGNS_LIVE_CONVERSION_EXCELLENT_FROM = env.str(
    "CAMPAIGNS_LIVE_CONVERSION_EXCELLENT_FROM", default="0.05"
)

SPECTACULAR_SETTINGS = {
    "TITLE": "MCN back office partner API",
    "DESCRIPTION": (
        "The API for brands, sub-agencies and data partners. Authenticate with "
        "`Authorization: Api-Key <key>`. Money is a decimal string plus an ISO 4217 code. "
        "POST requests accept an `Idempotency-Key` header."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # served locally, no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "Authorization"}
        }
    },
    # No global "SECURITY": the API-key authentication extension lists it on each operation
    # that needs a key (once), and the public ones (root, schema) need none.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "ENUM_NAME_OVERRIDES": {
        "PartnerKindEnum": "agency.models.Partner.Kind",
        "RevenueEventKindEnum": "billing.models.events.RevenueEvent.Kind",
        "SignalOrNoneEnum": "creators.api.waves.SIGNAL_OR_NONE",
    },
}

# Celery.
CELERY_BROKER_URL = _celery_url(env.str("CELERY_BROKER_URL", default=REDIS_URL))
CELERY_RESULT_BACKEND = None  # tasks report through PostgreSQL rows, not results
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=660)
CELERY_TASK_ACKS_LATE = False  # turned on per task, for idempotent tasks only
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_TASKS_PER_CHILD = 1000
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# (Broker outages: see the "Surviving a broker outage" block below.)
CELERY_TASK_DEFAULT_QUEUE = Queue.DEFAULT.value
CELERY_TASK_QUEUES = [KombuQueue(q.value, routing_key=q.value) for q in Queue]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Daily video metrics are kept for the first N days of each video's life (traffic waves play
# out in the first weeks; storage stays bounded by the number of videos, not their age).
CREATORS_VIDEO_DAILY_RETENTION_DAYS = env.int("CREATORS_VIDEO_DAILY_RETENTION_DAYS", default=56)

CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    # Forget Idempotency-Key records past their retention (kept at least 24 h).
    "idempotency-records-purge": {
        "task": "agency.tasks.idempotency_records_purge",
        "schedule": crontab(minute=17),
        "options": {"queue": Queue.DEFAULT.value},
    },
    # Send webhook deliveries whose retry backoff has elapsed.
    "webhook-deliveries-retry-due": {
        "task": "agency.tasks.webhook_deliveries_retry_due",
        "schedule": 30.0,
        "options": {"queue": Queue.WEBHOOKS.value},
    },
    # creators
    # Nightly incremental performance + eligibility recalculation for yesterday (UTC);
    # fired again each hour until 05:30 in case a trigger was lost (one run per date).
    "creators-recalc-nightly": {
        "task": "creators.tasks.recalc_nightly",
        "schedule": crontab(hour="2-5", minute=30),
        "options": {"queue": Queue.RECALC.value},
    },
    # Drop daily video rows past the retention of a video's life (before the nightly run).
    "creators-video-daily-purge": {
        "task": "creators.tasks.video_daily_purge",
        "schedule": crontab(hour=1, minute=45),
        "options": {"queue": Queue.RECALC.value},
    },
    # billing
    # Lock revenue events whose hold period ended (due dates live in PostgreSQL).
    "billing-lock-due-events": {
        "task": "billing.tasks.billing_lock_due_events",
        "schedule": crontab(minute=5),
        "options": {"queue": Queue.BILLING.value},
    },
    # Match remittance lines still open once their events or rates arrive (advisory-locked).
    "billing-match-open-remittances": {
        "task": "billing.tasks.billing_match_open_remittances",
        "schedule": crontab(minute=20),
        "options": {"queue": Queue.BILLING.value},
    },
    # Close last month's creator statements (idempotent; advisory-locked).
    "billing-close-due-statements": {
        "task": "billing.tasks.billing_close_due_statements",
        "schedule": crontab(minute=30, hour=2, day_of_month="1-3"),
        "options": {"queue": Queue.BILLING.value},
    },
    # Recompute every balance and statement from the entries; finance sees the result.
    "billing-verify-ledger": {
        "task": "billing.tasks.billing_verify_ledger",
        "schedule": crontab(minute=40, hour=3),
        "options": {"queue": Queue.BILLING.value},
    },
    # Draft payout batches for finance to approve, once a week.
    "billing-prepare-payout-batches": {
        "task": "billing.tasks.billing_prepare_payout_batches",
        "schedule": crontab(minute=0, hour=6, day_of_week="mon"),
        "options": {"queue": Queue.BILLING.value},
    },
    # Send the payouts of batches finance approved.
    "billing-send-approved-batches": {
        "task": "billing.tasks.billing_send_approved_batches",
        "schedule": crontab(minute="*/15"),
        "options": {"queue": Queue.BILLING.value},
    },
    # campaigns
    # Flag issued invoices past their due date, once a day (idempotent; advisory-locked).
    "campaigns-flag-overdue-invoices": {
        "task": "campaigns.tasks.campaigns_flag_overdue_invoices",
        "schedule": crontab(minute=10, hour=1),
        "options": {"queue": Queue.BILLING.value},
    },
    # Draft last month's client invoices and book ad rebates, early on the 1st; fired again
    # each hour until 06:40 in case a trigger was lost (safe to run twice).
    "campaigns-close-last-month": {
        "task": "campaigns.tasks.campaigns_close_last_month",
        "schedule": crontab(minute=40, hour="3-6", day_of_month=1),
        "options": {"queue": Queue.BILLING.value},
    },
    # Settle affiliate orders whose settlement date has come (books their commission).
    "campaigns-settle-due-affiliate-orders": {
        "task": "campaigns.tasks.campaigns_settle_due_affiliate_orders",
        "schedule": crontab(minute=20, hour=1),
        "options": {"queue": Queue.BILLING.value},
    },
}

# Surviving a broker outage. Redis holds nothing that cannot be rebuilt: every queued task
# stands for a row in PostgreSQL (a recalculation chunk, a webhook delivery, a due date) that
# a periodic sweeper re-drives, so a lost message costs minutes, not work.
# - Unacked (acks_late) messages of a worker killed outright come back after the visibility
#   timeout. It must exceed the longest time a message can legitimately stay unacked (a
#   prefetched message waiting behind a task, then its own run: twice the hard time limit);
#   a redelivery is harmless because those tasks are idempotent.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int(
        "CELERY_VISIBILITY_TIMEOUT", default=2 * CELERY_TASK_TIME_LIMIT + 60
    ),
    "socket_connect_timeout": 2,  # a dead broker fails fast instead of hanging a request
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # a worker waits out a long outage, not exits
# - Recalculation chunks pending or running past this deadline are enqueued again (the
#   chunk tasks' hard limit is below it, so a live chunk is never doubled; a duplicate would
#   be harmless anyway). Minutes; fractions allowed.
RECALC_REDRIVE_AFTER_MINUTES = env.float("RECALC_REDRIVE_AFTER_MINUTES", default=10)
RECALC_CHUNK_SOFT_TIME_LIMIT = 240  # seconds; a 500-creator chunk takes a few
RECALC_CHUNK_TIME_LIMIT = 300
CELERY_BEAT_SCHEDULE["creators-recalc-redrive"] = {
    # Re-enqueue recalculation chunks lost by the broker or by a killed worker.
    "task": "creators.tasks.recalc_redrive",
    "schedule": 60.0,
    "options": {"queue": Queue.RECALC.value, "expire_seconds": 55},
}
# Do not let webhook polls pile up while no worker runs: each one enqueues every due
# delivery, so a stale poll only adds duplicates (claimed once, but wasted).
CELERY_BEAT_SCHEDULE["webhook-deliveries-retry-due"]["options"]["expire_seconds"] = 25
# - The cache (throttle counters) fails open: a cache error is logged and the request is
#   throttled by a per-process limiter instead of answering 500. Timeouts keep a dead
#   Redis from holding every request.
CACHES["default"]["OPTIONS"] = {"socket_connect_timeout": 1, "socket_timeout": 1}
# Failed authentication (a bad or unknown API key) per client address; 429 past it.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth_failure"] = env.str(
    "API_AUTH_FAILURE_RATE", default="20/min"
)
# The client address is the connection's unless proxies we run sit in front (then the
# address they add to X-Forwarded-For); a caller's own X-Forwarded-For never picks it.
REST_FRAMEWORK["NUM_PROXIES"] = env.int("API_NUM_PROXIES", default=0)

# Logging: structlog, JSON in production, a request id on every line, secrets redacted.
LOG_LEVEL = env.str("LOG_LEVEL", default="WARNING" if DJANGO_ENV == "test" else "INFO")
LOG_JSON = env.bool("LOG_JSON", default=IS_PRODUCTION)
DJANGO_STRUCTLOG_CELERY_ENABLED = True
# Honour an X-Request-ID set by the load balancer or the caller, for end-to-end correlation.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = env.bool("TRUST_UPSTREAM_REQUEST_ID", default=True)

from agency.logging import configure_structlog, logging_dict  # noqa: E402

LOGGING = logging_dict(level=LOG_LEVEL, json=LOG_JSON)
configure_structlog()
