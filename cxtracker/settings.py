"""Settings, all read from the environment.

With nothing set, cxtracker runs on an embedded default: SQLite under ``var/``, Celery tasks
executed eagerly in the web process, e-mail printed to the console. Set ``DATABASE_URL`` and
``REDIS_URL`` to run on PostgreSQL with a real Celery broker.
"""

from pathlib import Path

import environ
import plotly
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
# The embedded default keeps its SQLite database, media and collected static files here; the
# folder is not in git, so a fresh clone creates it.
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The embedded default must run out of the box; production sets SECRET_KEY (check --deploy says so).
SECRET_KEY = env("SECRET_KEY", default="django-insecure-cxtracker-embedded-default-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "cxtracker.tenancy",
    "experience",
    "deployment",
    "kpis",
    "steering",
    "connectors",
    "dashboards",
    "privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cxtracker.tenancy.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cxtracker.urls"
WSGI_APPLICATION = "cxtracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cxtracker.tenancy.context_processors.tenancy",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'cxtracker.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # PostgreSQL ≥ 14 notices a client gone mid-statement (a worker killed while it waits on a lock)
    # within this many ms and ends its session, freeing its locks (the recomputation's advisory
    # lock among them); 0 leaves it to the statement's end. Older servers: set 0.
    check_ms = env.int("PG_CONNECTION_CHECK_MS", default=1000)
    if check_ms:
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c client_connection_check_interval={check_ms}".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "cxtracker.tenancy.backends.EmailOrUsernameBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failed logins (django-axes): per username and IP address.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_USERNAME_CALLABLE = "cxtracker.tenancy.backends.axes_username"
# Behind N trusted reverse proxies, the client address is the N-th from the right of
# X-Forwarded-For; with 0 (no proxy), the header is ignored so that it cannot be forged.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None
if AXES_IPWARE_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "cxtracker_language"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
# plotly.js is served from the plotly package itself, so the page and the Python figures always
# use the same, pinned version and no CDN is ever needed.
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor/plotly", Path(plotly.__file__).parent / "package_data")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and env.bool("STATIC_MANIFEST", default=True)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)

# E-mail: console by default, SMTP (or anything django-environ understands) via EMAIL_URL.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="cxtracker <noreply@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# Redis: the Celery broker and result backend, and the cache. Without REDIS_URL, tasks run
# eagerly in the web process and the cache is local memory.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
    # Nothing depends on the cache being up (sessions and login lockouts are in the database; the
    # API throttle lets requests through while it is down): give up on it quickly.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT", default=1.0),
                "socket_timeout": env.float("REDIS_SOCKET_TIMEOUT", default=2.0),
            },
        }
    }
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_EAGER_PROPAGATES = True
# Writes mark their months dirty; one recomputation per organization runs this long after the
# first write of a burst.
RECOMPUTE_DEBOUNCE_SECONDS = env.int("RECOMPUTE_DEBOUNCE_SECONDS", default=60)
# /health/ready/ answers 503 when no worker has run the minute's sweep for this long, or when a
# dirty mark has waited this long past its debounce.
HEALTH_HEARTBEAT_MAX_SECONDS = env.int("HEALTH_HEARTBEAT_MAX_SECONDS", default=180)
HEALTH_STALE_MAX_SECONDS = env.int("HEALTH_STALE_MAX_SECONDS", default=300)
# Survey-response and metric-value files uploaded in the browser.
KPIS_UPLOAD_MAX_BYTES = env.int("KPIS_UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
# A task whose worker process dies (killed, out of memory) goes back to the queue: acks_late alone
# would count it as done.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker whose broker goes away waits for it as long as it takes, rather than exiting after
# 100 tries: the work it is owed is in the dirty marks, not in the broker.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_RESULT_EXPIRES = 24 * 3600
# A write must not fail because the broker is down: publish gives up quickly, the data stays
# marked for recomputation and the nightly job catches up (SPEC §6).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    # A Redis host that drops packets (rather than refusing) must not hang a request either.
    "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT", default=1.0),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cxtracker.tenancy.api_auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # Every endpoint is an OrgApiView (cxtracker/api/views.py), which sets its parser (with a
    # body size limit), throttle and pagination; bad input of any kind answers JSON 4xx.
    "EXCEPTION_HANDLER": "cxtracker.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_THROTTLE_RATES": {"api_key": env("API_THROTTLE_RATE", default="600/min")},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "cxtracker API",
    "DESCRIPTION": "Organization-scoped REST API of cxtracker: org structure, people, experience "
    "models, field observations, survey responses, business and operational results.\n\n"
    "**Authentication**: `Authorization: Api-Key cxt_<prefix>_<secret>`; the key decides the "
    "organization, scope `read` for GET and `write` for writes. A browser session works too (with "
    "the CSRF token on writes); a user of several organizations names one with the `X-Organization` "
    "header or `?org=<slug>`.\n\n"
    "**Writes** take one object (201 with the stored object, 200 for a duplicate or an update, 400 "
    '`{"field": ["message"]}`) or a list of at most 1,000 (200 with `created`, `duplicates`, '
    "`updated`, `rejected` and a result per item: valid items are stored even when others are "
    "rejected). `external_id` makes a write idempotent; units, members, metrics and metric values "
    "are upserts. Objects are named by their codes, datetimes carry their offset, months are `YYYY-MM`.\n\n"
    "**Errors** are JSON 4xx; 413 above the body size limit, 429 (with `Retry-After`) above the rate "
    "limit of the key; 503 (with `Retry-After`) while the database is unreachable: retry the same "
    "request, `external_id` keeps it from being stored twice.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "UnitKindEnum": "cxtracker.tenancy.models.UnitKind",
        "ObservationKindEnum": "deployment.models.ObservationKind",
        "AnimationKindEnum": "deployment.models.AnimationKind",
        "ActionPlanStatusEnum": "steering.models.ActionPlanStatus",
        "SurveyTriggerEnum": "kpis.models.SurveyTrigger",
    },
}

# Production hardening, on whenever DEBUG is off and the deployment says it runs behind HTTPS.
SECURE_SSL = env.bool("SECURE_SSL", default=False)
if SECURE_SSL:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        # A 403 or 404 is one line in the log, not a traceback (cxtracker/log_filters.py).
        "client_error_without_traceback": {"()": "cxtracker.log_filters.ClientErrorWithoutTraceback"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "django.utils.log.AdminEmailHandler",
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # Eager tasks and the in-memory broker of the embedded default log at INFO on every write.
    "loggers": {
        # Django's own records reach the console once, through the root: Django's default adds
        # a console handler of its own (under DEBUG), which printed each of them twice.
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        "django.request": {"filters": ["client_error_without_traceback"]},
        "axes": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
        "kombu": {"level": "ERROR"},
    },
}
