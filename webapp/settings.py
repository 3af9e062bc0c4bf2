"""Settings, read from the environment (django-environ); SQLite unless DATABASE_URL is set."""

from pathlib import Path

import environ
from celery.schedules import crontab

from webapp.database_options import postgres_timeouts

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DEBUG=(bool, False),
    SECRET_KEY=(str, "insecure-development-key-change-me"),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost", "testserver"]),
    DATABASE_URL=(str, f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
    PROCESSES_DIR=(str, str(BASE_DIR / "processes")),
    LOG_LEVEL=(str, "INFO"),
)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env("DEBUG")
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
PROCESSES_DIR = Path(env("PROCESSES_DIR"))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "drf_spectacular",
    "webapp.forces",
    "webapp.processes",
    "webapp.cases",
    "webapp.clocks",
    "webapp.reports",
    "webapp.api",
    "webapp.accounts",
    "webapp.audit",
    "webapp.administration",
    "webapp.notifications",
]

MIDDLEWARE = [
    # Load-balancer probes and the metrics scrape are answered first: no session, host check,
    # HTTPS redirect or access-log entry, and not counted as requests (webapp.probes).
    "webapp.probes.ProbeMiddleware",
    "webapp.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "webapp.security.SecurityHeadersMiddleware",
    "webapp.api.problems.CorrelationIdMiddleware",
    "webapp.security.NulCharacterMiddleware",
    "webapp.security.PageMethodsMiddleware",
    "webapp.audit.context.AuditContextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "webapp.security.SessionExpiryMiddleware",
    # Local accounts need a second factor (TOTP or a recovery code) before any other page.
    "django_otp.middleware.OTPMiddleware",
    "webapp.second_factor_gate.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "webapp.urls"
WSGI_APPLICATION = "webapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "webapp" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "webapp.context.membership",
            ],
        },
    },
]

DATABASES = {"default": {**env.db("DATABASE_URL"),
                         # Reuse connections (a new one costs 2–4 ms per request).
                         "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
                         "CONN_HEALTH_CHECKS": True}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound on the server, and statements a connection repeats prepared: planning a
    # case-lock query took 1 ms against 0.09 ms to run it. Behind a transaction-mode pooler
    # (PgBouncer < 1.21) set DB_PREPARE_THRESHOLD to -1 to turn preparing off.
    _threshold = env.int("DB_PREPARE_THRESHOLD", default=2)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=None if _threshold < 0 else _threshold)
    # One stuck query or lock wait cannot hold a web or worker process until gunicorn kills
    # it. Seconds; 0 leaves the server's (or the database role's) own setting, as behind a
    # pooler that refuses startup options. A long migration may need DB_STATEMENT_TIMEOUT=0.
    _options = postgres_timeouts(statement_seconds=env.float("DB_STATEMENT_TIMEOUT", default=30.0),
                                 lock_seconds=env.float("DB_LOCK_TIMEOUT", default=10.0),
                                 given=DATABASES["default"]["OPTIONS"].get("options", ""))
    if _options:
        DATABASES["default"]["OPTIONS"]["options"] = _options
    DATABASES["default"]["OPTIONS"].setdefault(
        "connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=10))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "webapp" / "static",
    # Installed from npm by `make run` / `make test` (package.json pins the versions);
    # build/static holds govuk-frontend's CSS built from webapp/assets and its JS module.
    BASE_DIR / "build" / "static",
    ("vendor/bpmn-js", BASE_DIR / "node_modules" / "bpmn-js" / "dist"),
    ("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
WHITENOISE_USE_FINDERS = True

# Case documents (attachments): stored here, never served from a URL of their own; only the
# case's download view, after the need-to-know check, hands them out.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "attachments")))
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)

LOGIN_URL = "login"
# Single sign-on with the force's OpenID Connect provider (Entra ID), on when a client id is set
# (docs/sso.md): endpoints from OIDC_OP_ISSUER's discovery document; forces say which token
# issuer is theirs and what its groups mean. The backend does nothing while it is off.
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_ISSUER = env.str("OIDC_OP_ISSUER", default="")
OIDC_SUBJECT_CLAIM = env.str("OIDC_SUBJECT_CLAIM", default="oid")
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend",
                           "webapp.oidc.backend.ForceSsoBackend"]
LOGIN_REDIRECT_URL = "cases:home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "webapp.failure_pages.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Server-side session lifetimes (ASVS 3.3.2 at L2), enforced by webapp.security.
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60)
# The idle sign-out is announced this long before it happens, with a way to stay signed in.
SESSION_WARNING_SECONDS = env.int("SESSION_WARNING_SECONDS", default=5 * 60)
# Local (password) accounts need a second factor, TOTP or a recovery code (webapp.accounts
# .second_factor); sessions signed in by another backend (single sign-on) are left to it.
LOCAL_SECOND_FACTOR = env.bool("LOCAL_SECOND_FACTOR", default=True)
LOCAL_AUTH_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
OTP_TOTP_ISSUER = "Disclosure Workflow"
# Wrong codes are counted and locked like wrong passwords (per account and address); django-otp's
# own per-device slowdown on top would refuse a right code typed just after a wrong one.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
# How many reverse proxies of ours append to X-Forwarded-For; 0 = never believe the header.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# No broker named: the embedded queue in an SQLite file (webapp.embedded_broker), no server.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or (
    f"embedded+sqlite:///{BASE_DIR / 'var' / 'broker.sqlite3'}")
CELERY_BROKER_TRANSPORT_OPTIONS = env.json("CELERY_BROKER_TRANSPORT_OPTIONS", default={})
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE = {
    "sweep-timers": {"task": "cases.sweep_timers",
                     "schedule": env.float("TIMER_SWEEP_SECONDS", default=2.0),
                     "options": {"expires": 10}},
    # Walking the access log's hash chain reads every row: hourly here, not on page views.
    "verify-access-log": {"task": "audit.verify_chain",
                          "schedule": env.float("AUDIT_VERIFY_SECONDS", default=3600.0),
                          "options": {"expires": 600}},
    # Signed checkpoints of the access log kept outside the database: a restored older dump or
    # rows cut off the end are then seen by audit_verify (webapp.audit.checkpoint_store).
    "checkpoint-access-log": {"task": "audit.checkpoint_chain",
                              "schedule": env.float("AUDIT_CHECKPOINT_SECONDS", default=3600.0),
                              "options": {"expires": 600}},
    "purge-idempotency-keys": {"task": "api.purge_idempotency",
                               "schedule": env.float("IDEMPOTENCY_PURGE_SECONDS", default=3600.0),
                               "options": {"expires": 600}},
    # Drafts of new enquiries are personal data: purged once past their retention.
    "purge-enquiry-drafts": {"task": "cases.purge_drafts",
                             "schedule": env.float("DRAFT_PURGE_SECONDS", default=3600.0),
                             "options": {"expires": 600}},
    # Email notifications (webapp.notifications): the daily summary at DIGEST_HOUR UTC, and the
    # immediate notices a lost broker message or spent retries left unsent.
    "send-notification-digests": {"task": "notifications.send_digests",
                                  "schedule": crontab(hour=env.int("DIGEST_HOUR", default=7),
                                                      minute=0),
                                  "options": {"expires": 3600}},
    "send-unsent-notifications": {"task": "notifications.send_unsent",
                                  "schedule": env.float("NOTICE_RESEND_SECONDS", default=600.0),
                                  "options": {"expires": 300}},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
# Where the access-log checkpoints go (not in the database, nor only beside its backups) and
# the key that signs them; without a key, one derived from SECRET_KEY (production refuses that).
AUDIT_CHECKPOINT_DIR = env.str("AUDIT_CHECKPOINT_DIR",
                               default=str(BASE_DIR / "var" / "audit-checkpoints"))
AUDIT_CHECKPOINT_KEY = env.str("AUDIT_CHECKPOINT_KEY", default="")
AUDIT_CHECKPOINT_KEY_REQUIRED = False
# Decision makers are warned when the timer sweep has not run for this long, or when a case's
# timer has been due for this long without firing (the sweep runs every TIMER_SWEEP_SECONDS).
WORKER_STALE_SECONDS = env.int("WORKER_STALE_SECONDS", default=60)
TIMER_LATE_SECONDS = env.int("TIMER_LATE_SECONDS", default=120)
# Fault injection for the kill-a-worker test only (seconds to hold a claimed case).
TIMER_FIRE_TEST_DELAY = env.float("TIMER_FIRE_TEST_DELAY", default=0.0)
# Idempotency-Key records: kept a day, then purged (beat job above); a try that crashed leaves a
# claim a retry may take over after the lease (longer than any ordinary request takes).
IDEMPOTENCY_TTL_HOURS = env.float("IDEMPOTENCY_TTL_HOURS", default=24.0)
IDEMPOTENCY_LEASE_SECONDS = env.float("IDEMPOTENCY_LEASE_SECONDS", default=30.0)

# Load-balancer probes (webapp.probes): /readyz answers 503 when the timer sweep's heartbeat is
# older than READY_HEARTBEAT_SECONDS, when a due timer has waited longer than
# READY_TIMER_LAG_SECONDS, or when the broker does not answer within READY_BROKER_TIMEOUT.
READY_HEARTBEAT_SECONDS = env.float("READY_HEARTBEAT_SECONDS", default=60.0)
READY_TIMER_LAG_SECONDS = env.float("READY_TIMER_LAG_SECONDS", default=120.0)
READY_BROKER_TIMEOUT = env.float("READY_BROKER_TIMEOUT", default=2.0)
# /metrics is for the Prometheus scraper only: from these client addresses, or with
# "Authorization: Bearer <METRICS_TOKEN>" (unset: no token is accepted).
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Each line names its request (and, in the worker, its task): the reference an error page
    # shows finds the detail here. One JSON object a line, traceback included (LOG_FORMAT=text
    # for the older one-line text).
    "filters": {"request_id": {"()": "webapp.request_log.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "webapp.log_format.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"],
                             "formatter": env.str("LOG_FORMAT", default="json")}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL")},
    # SpiffWorkflow logs every state change with task data at INFO: personal data, and slow.
    "loggers": {"spiff": {"level": "WARNING"}, "SpiffWorkflow": {"level": "WARNING"}},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The token scheme first: an unauthenticated call gets 401 with WWW-Authenticate.
        "webapp.api.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["webapp.api.parsers.BoundedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "webapp.api.problems.handle",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Disclosure Workflow API",
    "DESCRIPTION": "Cases, tasks and process versions of the Child Sex Offender Disclosure "
                   "Scheme. Every read is scoped to the caller's force. Errors are RFC 9457 "
                   "problem details. POSTs accept an Idempotency-Key header.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "webapp.api.schema.forbid_extra_request_properties",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "webapp.cases.models.CaseStatus",
        "TaskStateEnum": "webapp.cases.models.TaskState",
        "ClockStateEnum": "webapp.clocks.models.ClockState",
        "DeploymentStatusEnum": "webapp.processes.models.DeploymentStatus",
        "BreakGlassReasonEnum": "webapp.audit.models.BreakGlassReason",
        "ReassignReasonEnum": "webapp.cases.reassignment.ReassignReason",
    },
}

# Email (Django's backend: SMTP unless EMAIL_BACKEND names another). Notification
# emails carry a case reference and a link built on SITE_URL, never names or case content.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="disclosure-workflow@localhost")
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")
