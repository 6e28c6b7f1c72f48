"""Hearth settings. Everything configurable comes from the environment, read here only."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from panel.env import database_from_url, env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# Development mode is explicit: HEARTH_DEV=1 (set by `make run` and `make test`).
DEV_MODE = env_bool("HEARTH_DEV", False)
DEBUG = env_bool("DEBUG", DEV_MODE)

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEV_MODE:
        raise ImproperlyConfigured("SECRET_KEY must be set (or HEARTH_DEV=true for development)")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEV_MODE else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "django_otp",
    "csp",
    "panel.apps.PanelConfig",
    "outbox",
    "accounts",
    "security",
    "provisioning",
    "provisioning.dns",
    "provisioning.mail",
    "monitoring",
    "rest_framework",
    "drf_spectacular",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "panel.middleware.RequestIdMiddleware",
    "panel.middleware.ProxyClientAddressMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "panel.input_guard.InputGuardMiddleware",
    "panel.cache_headers.PrivateNoStoreMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "security.middleware.SessionActivityMiddleware",
    "security.middleware.AdminTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "panel.errors.DomainErrorMiddleware",
]

ROOT_URLCONF = "panel.urls"
WSGI_APPLICATION = "panel.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Provisioning keeps each kind's templates with its code (provisioning/<kind>/templates).
        "DIRS": [BASE_DIR / "templates", *sorted((BASE_DIR / "provisioning").glob("*/templates"))],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "panel.context_processors.navigation",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    raise ImproperlyConfigured(
        "DATABASE_URL must be set (postgres://user:pass@host:port/name); "
        "`make run` and `make test` start a local PostgreSQL and set it for you"
    )
DATABASES = {"default": database_from_url(DATABASE_URL)}
# A connection pool per process (psycopg_pool, Django's OPTIONS["pool"]) of at most this
# many connections, which requests wait for (DATABASE_POOL_TIMEOUT seconds) instead of
# opening more: the web server sets it to its threads per process (panel/gunicorn_conf.py,
# `make run`). 0: no pool, one persistent connection per thread (workers, tests).
DATABASE_POOL_SIZE = env_int("DATABASE_POOL_SIZE", 0)
if DATABASE_POOL_SIZE > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections instead
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_SIZE,
        "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
    }
# Behind pgbouncer in transaction pooling mode: no server-side cursors (they outlive the
# transaction) and no connection kept by Django (pgbouncer keeps them), and no statement
# prepared in a session (monitoring's ingestion then sends its statement whole each time).
DATABASE_PGBOUNCER = env_bool("DATABASE_PGBOUNCER", False)
if DATABASE_PGBOUNCER:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# The role that owns the tables and runs `migrate`/`flush` (panel/dbroles.py); the panel
# itself runs as DATABASE_URL's role, which the owner grants its privileges after migrating.
DATABASE_OWNER_URL = env_str("DATABASE_OWNER_URL", DATABASE_URL)
DATABASE_OWNER = database_from_url(DATABASE_OWNER_URL)
# Tables the runtime role may only read and append to (no UPDATE/DELETE/TRUNCATE).
DATABASE_APPEND_ONLY_TABLES = ["security_auditevent"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "hearth"),
        # A Redis outage answers in about a second instead of hanging the request; each
        # user of the cache decides what an outage means (docs/reliability.md).
        "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0},
    }
}

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Argon2id first: new and re-hashed passwords use it; older hashes still verify.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "security.validators.MaximumLengthValidator"},
]
# Longer passwords are refused with a sentence, wherever a password is typed (no 100 kB hashes).
SECURITY_PASSWORD_MAX_LENGTH = env_int("SECURITY_PASSWORD_MAX_LENGTH", 1024)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Security defaults: safe in production, relaxed only when HTTPS is off.
HTTPS = env_bool("HTTPS", not DEV_MODE)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
# The container's HEALTHCHECK asks over plain HTTP from inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
# Behind a reverse proxy: trust its X-Forwarded-Proto, and take the client's address from
# X-Forwarded-For, believed only from TRUSTED_PROXIES (panel/client_ip.py), for lockout and audit.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
# Only connections from these addresses/networks may set the client address (X-Forwarded-For).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", ["127.0.0.1/32", "::1/128"])
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Database sessions keyed by the SHA-256 of the cookie: a dump of the panel DB holds no cookie.
SESSION_ENGINE = "security.session_store"
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# Email
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Hearth <hearth@localhost>")
# Development: where `make run`'s local SMTP sink stores what it catches (shown at /dev/mail/).
HEARTH_MAIL_SINK_DIR = env_str("HEARTH_MAIL_SINK_DIR", "") if DEV_MODE else ""
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis is the broker; tasks are acknowledged after they run.
# How long sending a task may wait for an unreachable broker (or result store) before it
# gives up: jobs are sent after commit inside the request, and a pending job row is the
# outbox the dispatcher re-sends from, so a web request never waits longer than this.
BROKER_CONNECT_TIMEOUT = float(env_str("BROKER_CONNECT_TIMEOUT", "1"))
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = BROKER_CONNECT_TIMEOUT
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "timeout": BROKER_CONNECT_TIMEOUT}
}
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": BROKER_CONNECT_TIMEOUT,
}
# Keeps the worker alive across a broker outage with tasks in flight (celery/kombu 5.7.0
# crash on reconnect; see panel/worker_consumer.py).
CELERY_WORKER_CONSUMER = "panel.worker_consumer:Consumer"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = TIME_ZONE
# Periodic tasks: each app adds its entries here, keyed by a readable name.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "filters": {"request_id": {"()": "panel.middleware.RequestIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # httpx logs every request (the DNS backend's PowerDNS API calls) at INFO.
    "loggers": {"httpx": {"level": "WARNING"}},
}

# Pagination size used by every list page.
PAGE_SIZE = env_int("PAGE_SIZE", 50)

# --- provisioning ---
# Server credentials are encrypted with Fernet. FIELD_ENCRYPTION_KEY is a comma-separated
# list of Fernet keys (the first encrypts, all decrypt: rotation). In development it is
# derived from SECRET_KEY when unset; production refuses to start without it.
FIELD_ENCRYPTION_KEY = env_secret("FIELD_ENCRYPTION_KEY")
if not FIELD_ENCRYPTION_KEY:
    if not DEV_MODE:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be set (generate one with: python -c "
            "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
        )
    import base64
    import hashlib

    FIELD_ENCRYPTION_KEY = base64.urlsafe_b64encode(
        hashlib.sha256(b"hearth-field-encryption:" + SECRET_KEY.encode()).digest()
    ).decode()
# Jobs go to the default queue unless workers run on each managed server and consume
# their own queue `server.<id>` (then set this to true).
PROVISIONING_PER_SERVER_QUEUES = env_bool("PROVISIONING_PER_SERVER_QUEUES", False)
# Where jobs go with per-server queues off: Celery's default queue, which every worker
# consumes. A setting of its own (Celery never reads it), so the test suite can send the
# jobs of tests that run them in-process where no worker takes them.
PROVISIONING_DEFAULT_QUEUE = CELERY_TASK_DEFAULT_QUEUE
PROVISIONING_MAX_ATTEMPTS = env_int("PROVISIONING_MAX_ATTEMPTS", 5)
PROVISIONING_RETRY_BASE_SECONDS = float(env_str("PROVISIONING_RETRY_BASE_SECONDS", "5"))
PROVISIONING_RETRY_MAX_SECONDS = env_int("PROVISIONING_RETRY_MAX_SECONDS", 600)
# A pending job older than this is re-sent by the dispatcher (broker down at submit).
PROVISIONING_PENDING_GRACE_SECONDS = env_int("PROVISIONING_PENDING_GRACE_SECONDS", 60)
PROVISIONING_CONNECT_TIMEOUT = env_int("PROVISIONING_CONNECT_TIMEOUT", 5)
# Per-database connection limit: a default, and overrides per plan name ("Pro=50,Basic=5").
PROVISIONING_DB_CONNECTION_LIMIT = env_int("PROVISIONING_DB_CONNECTION_LIMIT", 20)
PROVISIONING_DB_CONNECTION_LIMITS = {
    name.strip(): int(limit)
    for name, _, limit in (
        item.partition("=") for item in env_list("PROVISIONING_DB_CONNECTION_LIMITS", [])
    )
}
# Where `ensure_default_db_server` finds the local PostgreSQL (defaults to DATABASE_URL).
PROVISIONING_PG_URL = env_str("PROVISIONING_PG_URL", DATABASE_URL)
# Test-only fault injection ("step_name:seconds" pauses that step); ignored outside dev mode.
PROVISIONING_TEST_PAUSE = env_str("PROVISIONING_TEST_PAUSE", "") if DEV_MODE else ""
CELERY_BEAT_SCHEDULE["provisioning-dispatch-stale"] = {
    "task": "provisioning.dispatch_stale",
    "schedule": 30.0,
}
CELERY_BEAT_SCHEDULE["provisioning-drift-check"] = {
    "task": "provisioning.drift_check",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["provisioning-refresh-sizes"] = {
    "task": "provisioning.refresh_database_sizes",
    "schedule": 900.0,
}

# --- DNS hosting (provisioning/dns, docs/dns.md) ---
# The local PowerDNS that `python -m panel.stack` starts (registered by ensure_default_dns_server).
PDNS_API_URL = env_str("PDNS_API_URL", "")
PDNS_API_KEY = env_secret("PDNS_API_KEY", "")
PDNS_DNS_ADDRESS = env_str("PDNS_DNS_ADDRESS", "")
# A local BIND secondary: `HEARTH_DNS_SECONDARY=true make run` starts one and writes these.
BIND_DNS_ADDRESS = env_str("BIND_DNS_ADDRESS", "")
BIND_RNDC_ADDRESS = env_str("BIND_RNDC_ADDRESS", "")
BIND_RNDC_SECRET = env_secret("BIND_RNDC_SECRET", "")
BIND_TSIG_NAME = env_str("BIND_TSIG_NAME", "hearth-axfr")
BIND_TSIG_SECRET = env_secret("BIND_TSIG_SECRET", "")
# What new zones get: NS records and the SOA's contact (the server's settings may override).
DNS_NAMESERVERS = env_list("DNS_NAMESERVERS", ["ns1.hearth.test.", "ns2.hearth.test."])
DNS_HOSTMASTER = env_str("DNS_HOSTMASTER", "hostmaster.hearth.test.")
DNS_TTL_MIN = env_int("DNS_TTL_MIN", 60)
DNS_TTL_MAX = env_int("DNS_TTL_MAX", 604800)
DNS_DEFAULT_TTL = env_int("DNS_DEFAULT_TTL", 3600)
DNS_MAX_RECORDS_PER_ZONE = env_int("DNS_MAX_RECORDS_PER_ZONE", 2000)
# Each verification query waits this long; secondaries get DNS_SECONDARY_WAIT_SECONDS in all.
DNS_QUERY_TIMEOUT = float(env_str("DNS_QUERY_TIMEOUT", "2"))
DNS_SECONDARY_WAIT_SECONDS = float(env_str("DNS_SECONDARY_WAIT_SECONDS", "10"))

# --- Mail hosting: the stack's Postfix + Dovecot + rspamd (docs/mail.md, "The servers") ---
# Written to var/stack.env by `python -m panel.stack up`; registered by ensure_default_mail_server.
MAIL_DATABASE_URL = env_secret("MAIL_DATABASE_URL", "")  # the mail database, writer role
MAIL_HOST = env_str("MAIL_HOST", "")
MAIL_SMTP_PORT = env_int("MAIL_SMTP_PORT", 25)
MAIL_SUBMISSION_PORT = env_int("MAIL_SUBMISSION_PORT", 587)
MAIL_IMAP_PORT = env_int("MAIL_IMAP_PORT", 143)
MAIL_LMTP_PORT = env_int("MAIL_LMTP_PORT", 24)
MAIL_SIEVE_PORT = env_int("MAIL_SIEVE_PORT", 4190)
MAIL_DOVEADM_URL = env_str("MAIL_DOVEADM_URL", "")
MAIL_DOVEADM_API_KEY = env_secret("MAIL_DOVEADM_API_KEY", "")
MAIL_DKIM_REDIS_URL = env_secret("MAIL_DKIM_REDIS_URL", "")
MAIL_ROOT = env_str("MAIL_ROOT", "")  # the maildirs, on the host the worker runs on
MAIL_POSTFIX_DIR = env_str("MAIL_POSTFIX_DIR", "")  # the stack's Postfix config (tests: queue)

# --- Mail hosting, customers' side (provisioning/mail, docs/mail.md) ---
# How many addresses one alias may forward to; how long a rotated DKIM key stays published.
MAIL_ALIAS_MAX_DESTINATIONS = env_int("MAIL_ALIAS_MAX_DESTINATIONS", 20)
MAIL_DKIM_RETIRE_HOURS = env_int("MAIL_DKIM_RETIRE_HOURS", 72)
MAIL_DEFAULT_QUOTA_MB = env_int("MAIL_DEFAULT_QUOTA_MB", 1024)
# The host name MX records, autoconfig and the connection card name (a server may override).
MAIL_PUBLIC_HOSTNAME = env_str("MAIL_PUBLIC_HOSTNAME", "mail.hearth.test")
# The "check records" button asks this resolver ("host:port"); empty: the system's resolver.
MAIL_CHECK_NAMESERVER = env_str("MAIL_CHECK_NAMESERVER", "")
CELERY_BEAT_SCHEDULE["mail-retire-dkim"] = {"task": "mail.retire_dkim_keys", "schedule": 600.0}
CELERY_BEAT_SCHEDULE["mail-refresh-usage"] = {"task": "mail.refresh_usage", "schedule": 900.0}

# --- security ---
from csp.constants import NONE, SELF  # noqa: E402

# Links in emails point here (verification, password reset).
PANEL_BASE_URL = env_str("PANEL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Failed logins are counted per account and per IP in a sliding window (Redis).
SECURITY_REDIS_URL = env_str("SECURITY_REDIS_URL", REDIS_URL)
SECURITY_LOCKOUT_WINDOW = env_int("SECURITY_LOCKOUT_WINDOW", 15 * 60)
SECURITY_LOCKOUT_ACCOUNT_LIMIT = env_int("SECURITY_LOCKOUT_ACCOUNT_LIMIT", 5)
SECURITY_LOCKOUT_IP_LIMIT = env_int("SECURITY_LOCKOUT_IP_LIMIT", 5)
# Wrong second-factor codes per user in the same window before the second step is refused.
SECURITY_OTP_LIMIT = env_int("SECURITY_OTP_LIMIT", 5)
# A password-verified login waits this long for its second factor.
SECURITY_PENDING_LOGIN_SECONDS = env_int("SECURITY_PENDING_LOGIN_SECONDS", 300)
# Emailed links (verification, password reset) and how often they may be asked for.
SECURITY_TOKEN_HOURS = env_int("SECURITY_TOKEN_HOURS", 24)
SECURITY_EMAIL_LIMIT = env_int("SECURITY_EMAIL_LIMIT", 3)
SECURITY_EMAIL_WINDOW = env_int("SECURITY_EMAIL_WINDOW", 60 * 60)
# Last activity of a tracked session is written at most this often.
SECURITY_SESSION_TOUCH_SECONDS = env_int("SECURITY_SESSION_TOUCH_SECONDS", 60)
# Signed-in sessions end after this long without a request, and at the latest after the
# lifetime; administrators' sessions are shorter.
SECURITY_IDLE_SECONDS = env_int("SECURITY_IDLE_SECONDS", 2 * 60 * 60)
SECURITY_SESSION_LIFETIME_SECONDS = env_int("SECURITY_SESSION_LIFETIME_SECONDS", 24 * 60 * 60)
SECURITY_ADMIN_IDLE_SECONDS = env_int("SECURITY_ADMIN_IDLE_SECONDS", 30 * 60)
SECURITY_ADMIN_LIFETIME_SECONDS = env_int("SECURITY_ADMIN_LIFETIME_SECONDS", 8 * 60 * 60)
SESSION_COOKIE_AGE = SECURITY_SESSION_LIFETIME_SECONDS
SECURITY_BACKUP_CODE_COUNT = 10
# Destructive actions ask for the password again unless it was confirmed this recently.
SECURITY_SUDO_SECONDS = env_int("SECURITY_SUDO_SECONDS", 10 * 60)

OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Hearth")
# django-otp's own backoff is replaced by our sliding-window counter (same store as lockout).
OTP_TOTP_THROTTLE_FACTOR = 0

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Quotas at 80 % / 100 % are emailed to the account's owner once per crossing.
CELERY_BEAT_SCHEDULE["accounts-quota-warnings"] = {
    "task": "accounts.tasks.send_quota_warnings",
    "schedule": 900.0,
}
CELERY_BEAT_SCHEDULE["security-prune-sessions"] = {
    "task": "security.prune_sessions",
    "schedule": 24 * 60 * 60,
}

# --- monitoring ---
MONITORING_ENROLMENT_HOURS = env_int("MONITORING_ENROLMENT_HOURS", 24)
MONITORING_MAX_BODY_BYTES = env_int("MONITORING_MAX_BODY_BYTES", 1024 * 1024)
MONITORING_MAX_SAMPLES_PER_BATCH = env_int("MONITORING_MAX_SAMPLES_PER_BATCH", 500)
MONITORING_MAX_CLOCK_SKEW_SECONDS = env_int("MONITORING_MAX_CLOCK_SKEW_SECONDS", 300)
MONITORING_MAX_SAMPLE_AGE_DAYS = env_int("MONITORING_MAX_SAMPLE_AGE_DAYS", 7)
MONITORING_RAW_RETENTION_DAYS = env_int("MONITORING_RAW_RETENTION_DAYS", 30)
MONITORING_MINUTE_RETENTION_DAYS = env_int("MONITORING_MINUTE_RETENTION_DAYS", 365)
MONITORING_HOUR_RETENTION_DAYS = env_int("MONITORING_HOUR_RETENTION_DAYS", 365)
MONITORING_PARTITIONS_AHEAD_DAYS = env_int("MONITORING_PARTITIONS_AHEAD_DAYS", 3)
MONITORING_MAX_POINTS = env_int("MONITORING_MAX_POINTS", 500)
# An evaluation pass that opens (or closes) more alerts than this sends administrators one
# summary email instead of one email per alert (a rack losing power is one message).
MONITORING_ALERT_DIGEST_OVER = env_int("MONITORING_ALERT_DIGEST_OVER", 10)
# Bearer token for GET /metrics (Prometheus); unset = the endpoint answers 404.
MONITORING_METRICS_TOKEN = env_secret("MONITORING_METRICS_TOKEN", "")
TEMPLATES[0]["OPTIONS"]["context_processors"].append("monitoring.context_processors.alerts")
CELERY_BEAT_SCHEDULE["monitoring-partitions"] = {
    "task": "monitoring.tasks.maintain_storage",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["monitoring-rollups"] = {"task": "monitoring.tasks.roll_up", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["monitoring-alerts"] = {
    "task": "monitoring.tasks.evaluate_alerts",
    "schedule": 60.0,
}

# Outgoing email: every message is an outbox row, sent by a Celery task with backoff.
OUTBOX_RETRY_BACKOFF = env_int("OUTBOX_RETRY_BACKOFF", 5)
OUTBOX_RETRY_BACKOFF_MAX = env_int("OUTBOX_RETRY_BACKOFF_MAX", 600)
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 48)
OUTBOX_SWEEP_AFTER = env_int("OUTBOX_SWEEP_AFTER", 120)
CELERY_BEAT_SCHEDULE["outbox-dispatch-queued"] = {
    "task": "outbox.dispatch_queued",
    "schedule": 60.0,
}

# --- REST API ---
# Tokens are stored as HMAC-SHA256(pepper, secret); the pepper never enters the database.
API_TOKEN_PEPPER = env_secret("API_TOKEN_PEPPER")
if not API_TOKEN_PEPPER:
    if not DEV_MODE:
        raise ImproperlyConfigured("API_TOKEN_PEPPER must be set (any long random string).")
    API_TOKEN_PEPPER = "hearth-api-pepper:" + SECRET_KEY
API_TOKEN_DEFAULT_DAYS = env_int("API_TOKEN_DEFAULT_DAYS", 90)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)
# (requests, seconds) per token or logged-in user, and per client IP.
API_RATE_LIMITS = {
    "credential": (env_int("API_RATE_PER_CREDENTIAL", 600), 60),
    "address": (env_int("API_RATE_PER_ADDRESS", 1200), 60),
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ScopedAccess"],
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.PerAddressThrottle",
        "api.throttling.PerCredentialThrottle",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hearth API",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_problem_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ResourceStateEnum": "provisioning.engine.choices.ResourceState",
        "JobStateEnum": "provisioning.engine.choices.JobState",
        "StepStateEnum": "provisioning.engine.choices.StepState",
    },
}
