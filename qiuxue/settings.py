"""One settings module, driven by the environment (django-environ).

Two modes:
- default (development/demo): SQLite file, Celery eager when no broker is set, DEBUG on;
- ``QIUXUE_ENV=production``: everything secure by default; ``manage.py check --deploy
  --fail-level WARNING`` passes once SECRET_KEY, ALLOWED_HOSTS and FIELD_ENCRYPTION_KEY are set.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PRODUCTION = env("QIUXUE_ENV", default="development") == "production"

DEV_SECRET = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"
SECRET_KEY = env("SECRET_KEY") if PRODUCTION else env("SECRET_KEY", default=DEV_SECRET)
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Personal numbers (ID card, bank card) are encrypted with Fernet keys (urlsafe base64 of 32
# bytes). FIELD_ENCRYPTION_KEYS lists them newest first: the first encrypts, all decrypt, and
# `manage.py encryption_keys_rotate` re-encrypts every row to the first. The HMAC index (for
# equality look-ups) is keyed by FIELD_HMAC_KEY, by default the oldest listed key, so it does
# not move when a new key is added; set it explicitly before retiring that oldest key.
DEV_FIELD_KEY = "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE="
_single_key = env("FIELD_ENCRYPTION_KEY", default=None if PRODUCTION else DEV_FIELD_KEY)
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[_single_key] if _single_key else [])
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS (or FIELD_ENCRYPTION_KEY) must be set in production")
FIELD_ENCRYPTION_KEY = FIELD_ENCRYPTION_KEYS[0]
FIELD_HMAC_KEY = env("FIELD_HMAC_KEY", default=FIELD_ENCRYPTION_KEYS[-1])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Staff two-factor: TOTP authenticators and printed recovery codes (quotas/two_factor.py).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Our apps, in their one-way dependency order.
    "quotas",
    "applications",
    "reviews",
    "payouts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "quotas.two_factor.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "qiuxue.urls"

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
                "applications.context_processors.unread_messages",
            ],
        },
    },
]

WSGI_APPLICATION = "qiuxue.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Persistent connections in production: a burst at window open must not pay a PostgreSQL
# connection set-up (~5 ms and a backend fork) per request. Health checks drop dead ones.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600 if PRODUCTION else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_MAX_AGE"] > 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs Celery eagerly inside web requests; give SQLite room for concurrent requests.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://")
    if not env("REDIS_URL", default="")
    else {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env("REDIS_URL")}
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2 is not in our pinned set; PBKDF2 with Django's current iteration count is the default.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# Every page is in Simplified Chinese whatever the browser asks for (an English phone
# still gets Chinese): no LocaleMiddleware. Strings go through gettext so English can follow.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# favicon.ico and robots.txt at the site root, answered by WhiteNoise before Django: a phone
# asks for the icon on every page, and a 404 page for it cost a session, user and message
# look-up each time.
WHITENOISE_ROOT = BASE_DIR / "public"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads and exports are private: MEDIA_URL is never routed; files go out through
# permission-checked views only.
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media-not-served/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)

LOGIN_URL = "applications:login"
LOGIN_REDIRECT_URL = "applications:home"
LOGOUT_REDIRECT_URL = "applications:login"

# Login throttling counts by account and by the real client address. Only a proxy we run
# may set the client address: the number of trusted proxies in front of us (0 = ignore
# X-Forwarded-For entirely, so a forged header cannot reset the counter).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Celery -------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=env("REDIS_URL", default="")) or "memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL == "memory://")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="qiuxue")
CELERY_TIMEZONE = TIME_ZONE
# Beat: schedules that keep windows, publicity periods and quota releases on time.
# Each task is idempotent, so a beat tick twice or a retry changes nothing the second time.
CELERY_BEAT_SCHEDULE = {
    # The outbox of the email/SMS copies of each message (applications/notifications.py).
    "notifications-every-10s": {
        "task": "applications.tasks.notification_deliver_pending",
        "schedule": timedelta(seconds=10),
    },
    "tick-every-minute": {
        "task": "payouts.tasks.scheduler_tick",
        "schedule": timedelta(minutes=1),
    },
    # Programmes in stages: reminders before a stage's deadline, lapses after it.
    "stage-deadlines-every-10-min": {
        "task": "applications.tasks.stage_deadlines_sweep",
        "schedule": timedelta(minutes=10),
    },
    # Reserved places for the priority groups that nobody used (applications/seats.py).
    "seats-release-reserved-every-5-minutes": {
        "task": "applications.tasks.seats_release_reserved",
        "schedule": timedelta(minutes=5),
    },
    # The dashboard's pre-aggregated figures (payouts/dashboard/snapshots.py).
    "dashboard-snapshots": {
        "task": "payouts.tasks.dashboard_snapshots_refresh",
        "schedule": timedelta(seconds=env.int("DASHBOARD_MAX_AGE_SECONDS", default=60)),
    },
    # Risk flags left 核对中 by a lost task are run again (reviews/flag_checks.py).
    "flag-checks-sweep-every-minute": {
        "task": "reviews.tasks.flag_checks_sweep",
        "schedule": timedelta(minutes=1),
    },
    "review-digest-daily": {
        "task": "payouts.tasks.review_digest_send",
        "schedule": crontab(hour=8, minute=0),
    },
}

# The dashboard shows figures at most this old (0: always live, no snapshots).
DASHBOARD_MAX_AGE_SECONDS = env.int("DASHBOARD_MAX_AGE_SECONDS", default=60)

# --- 学信网 report reading (applications/verifiers.py) ---------------------------------------
# The shipped verifier reads the PDF's text layer; a deployment with an official verification
# service points this at its own adapter (same ``verify(data=, code=)`` interface).
CHSI_VERIFIER = env("CHSI_VERIFIER", default="applications.verifiers.PdfTextVerifier")

# --- Mail and SMS -------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="qiuxue@localhost")
SMS_BACKEND = env("SMS_BACKEND", default="applications.sms.LoggingSmsBackend")
# The gateways send approved templates only: the signature and one template id per kind of
# message (applications/sms.py SMS_TEMPLATE_TEXTS gives the wording to file with them).
SMS_SIGN_NAME = env("SMS_SIGN_NAME", default="求学圆梦行动")
SMS_TEMPLATES = {
    key: env(f"SMS_TEMPLATE_{key.upper()}", default="")
    for key in ("code", "registered", "not_registered", "login_alert", "notice")
}
SMS_GATEWAY_PROTOCOL = env("SMS_GATEWAY_PROTOCOL", default="https")
SMS_ALIYUN_ACCESS_KEY_ID = env("SMS_ALIYUN_ACCESS_KEY_ID", default="")
SMS_ALIYUN_ACCESS_KEY_SECRET = env("SMS_ALIYUN_ACCESS_KEY_SECRET", default="")
SMS_ALIYUN_ENDPOINT = env("SMS_ALIYUN_ENDPOINT", default="dysmsapi.aliyuncs.com")
SMS_TENCENT_SECRET_ID = env("SMS_TENCENT_SECRET_ID", default="")
SMS_TENCENT_SECRET_KEY = env("SMS_TENCENT_SECRET_KEY", default="")
SMS_TENCENT_APP_ID = env("SMS_TENCENT_APP_ID", default="")
SMS_TENCENT_REGION = env("SMS_TENCENT_REGION", default="ap-guangzhou")
SMS_TENCENT_ENDPOINT = env("SMS_TENCENT_ENDPOINT", default="sms.tencentcloudapi.com")
# Demo only: show the text of the SMS on the page (with a note that none was sent), since
# the demo has no gateway. Never in production (the code would prove nothing there).
SMS_SHOW_ON_PAGE = (not PRODUCTION) and env.bool("SMS_SHOW_ON_PAGE", default=False)

# --- Staff sign-in ------------------------------------------------------------------
# Every staff account signs in with password + TOTP authenticator (django-otp). Managers
# and finance always; reviewers too unless STAFF_OTP_REVIEWERS is turned off. Turning
# STAFF_OTP_REQUIRED off is for the demo only (make demo does), never a deployment.
STAFF_OTP_REQUIRED = env.bool("STAFF_OTP_REQUIRED", default=True)
STAFF_OTP_REVIEWERS = env.bool("STAFF_OTP_REVIEWERS", default=True)
OTP_TOTP_ISSUER = "求学圆梦行动"

# --- Security -----------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 8
# Sessions stay server-side (a logout or a password change ends them everywhere; signed
# cookies could not be revoked). With a shared Redis cache they are read from Redis and
# written through to the database (cached_db), so every page of a burst skips the session
# query and a Redis flush logs nobody out; qiuxue/sessions.py reads the database when Redis
# is down, so a dead Redis costs speed, never a signed-in worker. Without Redis (demo) plain
# database sessions: a per-process memory cache would keep a logged-out session alive in
# other processes.
SESSION_ENGINE = env(
    "SESSION_ENGINE",
    default="qiuxue.sessions" if env("REDIS_URL", default="") else "django.contrib.sessions.backends.db",
)
X_FRAME_OPTIONS = "DENY"  # the admin attachment preview opts in with @xframe_options_sameorigin
# Content Security Policy on every page (Django's middleware; a view that sets its own, like
# the attachment download and preview, keeps it). Everything comes from this server (an
# intranet, no CDN); no inline script or on* handler anywhere (tests/test_csp.py checks the
# templates); inline styles stay allowed for the SVG charts and the bar widths.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
    "loggers": {"qiuxue.sms": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

ADMIN_SITE_HEADER = "求学圆梦行动 管理平台"

# --- Several machines: object storage, jobs that survive, health, errors (issue 14) -------
# Kept in one block so other settings edits do not collide with it.

# Object storage. With STORAGE_BUCKET set, uploads, payout and report exports and imported
# files go to an S3-protocol bucket (django-storages + boto3): AWS S3, MinIO, Aliyun OSS or
# Tencent COS (STORAGE_URL is the service's endpoint, e.g. https://oss-cn-hangzhou.aliyuncs.com
# or https://cos.ap-guangzhou.myqcloud.com; empty means AWS). The bucket is private (no ACL
# is set on objects, so they get the bucket's own: keep it private), every object is written
# with server-side encryption requested, and files only leave through the permission-checked
# views, which stream them. Keys come from the environment or the machine's role, never the
# repository. Without a bucket (the demo) files stay under MEDIA_ROOT.
STORAGE_BUCKET = env("STORAGE_BUCKET", default="")
if STORAGE_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_BUCKET,
            "endpoint_url": env("STORAGE_URL", default="") or None,
            "region_name": env("STORAGE_REGION", default="") or None,
            "access_key": env("STORAGE_ACCESS_KEY_ID", default="") or None,
            "secret_key": env("STORAGE_SECRET_ACCESS_KEY", default="") or None,
            "location": env("STORAGE_PREFIX", default=""),
            "addressing_style": env("STORAGE_ADDRESSING_STYLE", default="") or None,
            "signature_version": "s3v4",
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": 60,
            "object_parameters": {"ServerSideEncryption": env("STORAGE_SSE", default="AES256")},
        },
    }

# Jobs (quotas/jobs.py): a running job beats every JOB_HEARTBEAT_SECONDS; beat's watchdog
# fails one whose heartbeat is older than JOB_STALE_AFTER_SECONDS (its worker died).
JOB_HEARTBEAT_SECONDS = env.float("JOB_HEARTBEAT_SECONDS", default=15)
JOB_STALE_AFTER_SECONDS = env.int("JOB_STALE_AFTER_SECONDS", default=120)
JOB_QUEUED_LIMIT_SECONDS = env.int("JOB_QUEUED_LIMIT_SECONDS", default=6 * 3600)
CELERY_BEAT_SCHEDULE["job-watchdog-every-minute"] = {
    "task": "quotas.tasks.job_watchdog",
    "schedule": timedelta(minutes=1),
}
# acks_late + reject_on_worker_lost (above) keep a task's message until it finished; the
# visibility timeout is how long Redis waits before handing an unacknowledged message
# (its worker died) to another worker. Longer than the longest job (a province's
# allocation or a 200,000-row export take minutes), shorter than a working day.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 3600),
}

# Health: /healthz/ for the load balancer (database, cache, broker, storage, beat).
INSTALLED_APPS += ["health_check"]
HEALTH_BEAT_MAX_AGE_SECONDS = env.int("HEALTH_BEAT_MAX_AGE_SECONDS", default=5 * 60)
HEALTH_CHECK_BEAT = env.bool("HEALTH_CHECK_BEAT", default=not CELERY_TASK_ALWAYS_EAGER)
if PRODUCTION:
    # The load balancer asks over plain HTTP on the private network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]

# Every log line of a request carries its id (X-Request-ID from nginx, or a new one).
MIDDLEWARE.insert(0, "qiuxue.observability.RequestIdMiddleware")
LOGGING["filters"] = {"request_id": {"()": "qiuxue.observability.RequestIdFilter"}}
LOGGING["formatters"] = {"plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}}
for _handler in LOGGING["handlers"].values():
    _handler.setdefault("filters", []).append("request_id")
    _handler.setdefault("formatter", "plain")

# Errors to Sentry when SENTRY_DSN is set, personal numbers scrubbed before sending.
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    from qiuxue.observability import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment="production" if PRODUCTION else "development")
