"""Settings for the artdag L1 server.

This is the only module that reads the environment, through the typed
readers of l1site.env. Every value has a working default (SQLite and a
filesystem broker under ARTDAG_DATA_DIR, so `make run` needs no outside
service); a value that is set but malformed stops start-up with
ImproperlyConfigured naming the variable, the value and what it expects,
instead of being silently ignored.

Each setting is written once, as a literal: INSTALLED_APPS, MIDDLEWARE and
REST_FRAMEWORK are read here whole (tests/test_settings.py keeps them so).
"""

import getpass
import socket
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from l1site.env import (env_bool, env_choice, env_database_url, env_int, env_list, env_path,
                        env_paths, env_rate, env_str, env_url, env_urls, refuse_retired)

BASE_DIR = Path(__file__).resolve().parent.parent
VERSION = "0.1.0"

DEBUG = env_bool("ARTDAG_DEBUG", False)
# A stable local default keeps sessions valid across restarts of a dev box;
# production sets DJANGO_SECRET_KEY (and ARTDAG_REQUIRE_SECRET_KEY=true).
_local_secret_key = "artdag-l1-local-only-" + socket.gethostname()
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "") or _local_secret_key
if SECRET_KEY == _local_secret_key and env_bool("ARTDAG_REQUIRE_SECRET_KEY", False) and not DEBUG:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"])
CSRF_TRUSTED_ORIGINS = env_urls("CSRF_TRUSTED_ORIGINS", [], kind="http")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_results",
    "l1site",  # creates the shared cache's table at migrate (l1site.apps)
    "axes",  # login lock-out (accounts.lockout)
    "cache",
    "assets",
    "runs",
    "accounts",  # owners, API tokens, the login lock-out
    "provenance",  # signed provenance, reproducing, publishing to L2
    # HTML pages on the API's own paths for browser navigations
    # (dashboard.negotiation), thumbnails, Django's session login for the pages.
    "dashboard",
    "batches",
    "webhooks",
    # Run events as Server-Sent Events (GET /runs/{id}/events, GET /events),
    # previews of long renders, the drawn graph.
    "live",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "l1site.middleware.ContentSecurityPolicy",
    "l1site.middleware.RefuseNulBytes",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the session and CSRF middleware: it sees the Vary: Cookie they add.
    "l1site.middleware.PersonalAnswersArePrivate",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A browser's navigation to an API path gets the dashboard's page.
    "dashboard.negotiation.HtmlPages",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login's answer into the lock-out's.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "l1site.urls"
APPEND_SLASH = False
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [BASE_DIR / "templates"],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
WSGI_APPLICATION = "l1site.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- Local state: one data dir holds the SQLite file, the cache and the broker.
DATA_DIR = env_path("ARTDAG_DATA_DIR", Path.home() / ".artdag")
CACHE_DIR = env_path("ARTDAG_CACHE_DIR", DATA_DIR / "cache")
# Folders /cache/import may read, separated like PATH (os.pathsep).
IMPORT_ROOTS = env_paths("ARTDAG_IMPORT_ROOTS", [DATA_DIR / "import"])
MAX_UPLOAD_BYTES = env_int("ARTDAG_MAX_UPLOAD_BYTES", 1024 * 1024 * 1024, minimum=1)
MAX_JSON_BYTES = env_int("ARTDAG_MAX_JSON_BYTES", 1024 * 1024, minimum=1024)
PORT = env_int("PORT", 8100, minimum=1)

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True  # serve straight from the apps in `make run`, no collectstatic step

# Uploads stream to disk (into the cache's temp dir) instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
FILE_UPLOAD_HANDLERS = ["cache.uploads.CacheUploadHandler"]

# --- Media limits (engine.limits.Limits) -------------------------------------
# Frames stream through a render one at a time, so memory follows the size of
# one frame and time the length of the media: the limits are per frame and
# per second, checked at submission from the cache's facts (a 413 naming the
# input) and by the readers from each file's header before decoding. The
# defaults let a 10-minute 1080p clip and a 60-second 4K clip render.
MAX_FRAME_PIXELS = env_int("ARTDAG_MAX_FRAME_PIXELS", 40_000_000, minimum=1)
MAX_MEDIA_SECONDS = env_int("ARTDAG_MAX_MEDIA_SECONDS", 7200, minimum=1)
# The largest file one step may write (a long clip at a high bit rate).
MAX_OUTPUT_BYTES = env_int("ARTDAG_MAX_OUTPUT_BYTES", 20 * 1024 ** 3, minimum=1)
refuse_retired("ARTDAG_MAX_PIXELS", why="it counted all frames together",
               instead="ARTDAG_MAX_FRAME_PIXELS (pixels in one frame)")
refuse_retired("ARTDAG_MAX_FRAMES", why="it counted all frames together",
               instead="ARTDAG_MAX_MEDIA_SECONDS (seconds of media)")

# --- Effect threads (engine.limits.Limits.effect_threads) --------------------
# Threads one effect may split a frame over (OpenCV's row split). 1 keeps each
# worker process on one core, as the worker concurrency assumes; a worker with
# idle cores may give a big still more. It never changes the output bytes.
EFFECT_THREADS = env_int("ARTDAG_EFFECT_THREADS", 1, minimum=1, maximum=256)

_database = env_database_url("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}",
                             conn_max_age=60, conn_health_checks=True)
DATABASES = {"default": _database if _database["ENGINE"] != "django.db.backends.sqlite3" else {
    **_database,
    # The web process and the worker share the file: wait for locks instead of
    # failing, and let readers run beside the writer.
    "CONN_MAX_AGE": 0,
    "OPTIONS": {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    },
}}

# DRF throttles, per scope; "N/s|min|hour|day". Generous by default (a
# polling client, a benchmark, a busy dashboard stay far below); they stop
# floods. Counted in Django's cache (CACHES below), shared by every web process.
THROTTLE_RATES = {
    "anon": env_rate("ARTDAG_THROTTLE_ANON", "6000/min"),
    "user": env_rate("ARTDAG_THROTTLE_USER", "60000/min"),
    "submit": env_rate("ARTDAG_THROTTLE_SUBMIT", "6000/min"),
    "upload": env_rate("ARTDAG_THROTTLE_UPLOAD", "3000/min"),
}
REST_FRAMEWORK = {
    # Named API tokens (hashed at rest); DRF's one-per-user tokens keep working.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Reads are open unless L1_PRIVATE; writes always need a login.
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.ReadOpenUnlessPrivate"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["l1site.parsers.BoundedJSONParser",
                               "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "l1site.error_responses.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["l1site.throttles.AnonThrottle",
                                 "l1site.throttles.UserThrottle",
                                 "l1site.throttles.ScopedThrottle"],
    "DEFAULT_THROTTLE_RATES": THROTTLE_RATES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "artdag L1",
    "DESCRIPTION": "Rendering server of the Art DAG: content-addressed cache, assets, recipes, runs.",
    "VERSION": VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "l1site.schema.add_error_responses"],
}

# The time one render task may take. The soft limit raises inside the
# render (recorded as a clean failure); the hard limit kills a render stuck
# where the soft one cannot reach (C code, a stalled file system). 0 turns the
# soft limit off. Six hours lets a 10-minute 1080p clip through a recipe of
# several steps on a slow core; a long render renews its step's lease, so no
# other worker takes it meanwhile.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("ARTDAG_RENDER_SOFT_LIMIT", 6 * 3600, minimum=0) or None
CELERY_TASK_TIME_LIMIT = env_int("ARTDAG_RENDER_HARD_LIMIT", 6 * 3600 + 600, minimum=1)
if CELERY_TASK_SOFT_TIME_LIMIT and CELERY_TASK_SOFT_TIME_LIMIT >= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(f"ARTDAG_RENDER_SOFT_LIMIT must be below ARTDAG_RENDER_HARD_LIMIT, "
                               f"got {CELERY_TASK_SOFT_TIME_LIMIT} and {CELERY_TASK_TIME_LIMIT}")
# --- Celery: Redis in production and tests; a filesystem queue by default so a
# real worker process still takes work from a real queue with no server.
# (The folders are created at start-up by cache.apps, not here: settings stay free of side effects.)
# CELERY_BROKER_URL, else REDIS_URL, else the filesystem queue.
CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", env_url("REDIS_URL", "filesystem://localhost/",
                                                         kind="broker"), kind="broker")
_filesystem_broker = CELERY_BROKER_URL.startswith("filesystem://")
_redis_broker = CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
_broker_dir = DATA_DIR / "broker"
# A render can outlast the default 1 h visibility window, after which Redis
# hands the message to another worker: by default the window outlasts the
# hard limit. (A copy delivered early finds the run or step claimed under a
# live heartbeat or lease and renders nothing.)
_visibility_timeout = env_int("ARTDAG_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + 3600, minimum=60)
# make run's queue takes a run's priority into account as Redis does (l1site.fsqueue).
CELERY_BROKER_TRANSPORT = "l1site.fsqueue:Transport" if _filesystem_broker else None
if _filesystem_broker:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # The home page pings workers (a broadcast); the filesystem transport keeps
        # its exchange table in ./control unless told otherwise: keep it in the data dir.
        "control_folder": str(_broker_dir / "control"),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": _visibility_timeout,
        # Redis keeps one list per priority step (ten; 0 is served first): a
        # high run's messages go at 0, normal at 4, low at 8. The router gives
        # every message its priority (no task_default_priority: a task's
        # default would override the router's). Queues are served in the
        # order of CELERY_TASK_QUEUES.
        "queue_order_strategy": "priority",
        "priority_steps": list(range(10)),
    }
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# The messages a worker process reserves, the one it renders included. 1
# (with late acks) reserves no other: a long render never keeps back a run
# another worker could take, at the price of a broker round trip between
# tasks, which a host of many tiny renders may choose to trade away.
CELERY_WORKER_PREFETCH_MULTIPLIER = env_int("ARTDAG_WORKER_PREFETCH", 1, minimum=1)
MAX_RENDER_ATTEMPTS = env_int("ARTDAG_MAX_RENDER_ATTEMPTS", 3, minimum=1)
CELERY_TASK_DEFAULT_QUEUE = env_str("ARTDAG_QUEUE", "artdag")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup would close every database connection around every
# task; l1site.celery recycles them as Django does per request instead.
CELERY_DB_REUSE_MAX = 2 ** 62
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_choice(
        "ARTDAG_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))},
}

# --- Graph recipes (engine.dag) ---------------------------------------------
# A worker rendering a step holds a lease it renews every third of this; a
# claim whose lease ran out (its worker died) can be taken by another worker.
STEP_LEASE_SECONDS = env_int("ARTDAG_STEP_LEASE_SECONDS", 60, minimum=3)
# --- Reliability: the sweep and reaper (celery beat), limits, hygiene.
# Every RUN_SWEEP_INTERVAL seconds celery beat queues runs.tasks.sweep_runs,
# which (1) queues pending runs whose message never reached the broker,
# (2) re-sends pending runs queued long ago that no worker claimed (the broker
# lost its messages), (3) re-queues or fails running runs whose worker stopped
# sending heartbeats, and (4) fails runs past the hard time limit.
RUN_SWEEP_INTERVAL = env_int("ARTDAG_SWEEP_INTERVAL", 30, minimum=1)
RUN_QUEUE_GRACE = env_int("ARTDAG_QUEUE_GRACE", 10, minimum=0)
RUN_REQUEUE_AFTER = env_int("ARTDAG_REQUEUE_AFTER", 900, minimum=1)
RUN_HEARTBEAT_INTERVAL = env_int("ARTDAG_HEARTBEAT_INTERVAL", 10, minimum=1)
RUN_HEARTBEAT_TIMEOUT = env_int("ARTDAG_HEARTBEAT_TIMEOUT", 60, minimum=2)
if RUN_HEARTBEAT_TIMEOUT <= 2 * RUN_HEARTBEAT_INTERVAL:
    raise ImproperlyConfigured(f"ARTDAG_HEARTBEAT_TIMEOUT must be over twice ARTDAG_HEARTBEAT_INTERVAL, "
                               f"got {RUN_HEARTBEAT_TIMEOUT} and {RUN_HEARTBEAT_INTERVAL}")
CELERY_BEAT_SCHEDULE = {
    "sweep-runs": {
        "task": "runs.tasks.sweep_runs",
        "schedule": float(RUN_SWEEP_INTERVAL),
        # Sweeps that piled up while the broker or workers were away are
        # worthless: the next one does the same work.
        "options": {"expires": float(RUN_SWEEP_INTERVAL)},
    },
    # Events and previews older than LIVE_EVENT_KEEP_DAYS.
    "prune-live-events": {
        "task": "live.tasks.prune_events", "schedule": 3600.0, "options": {"expires": 3600.0}},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(env_path("ARTDAG_BEAT_SCHEDULE", DATA_DIR / "celerybeat-schedule"))

MAX_RECIPE_BYTES = env_int("ARTDAG_MAX_RECIPE_BYTES", 64 * 1024, minimum=256)
MAX_ACTIVE_RUNS_PER_USER = env_int("ARTDAG_MAX_ACTIVE_RUNS_PER_USER", 500, minimum=1)
# Django's cache holds what every web process must see alike: the throttle
# counters, the "thumbnails already queued" marks, the dashboard's broker
# answer. In Redis when the broker is Redis; otherwise (`make run`) in the
# database's own table, which every `migrate` creates (l1site.apps). Never in
# process memory: two gunicorn workers would each allow the full rate.
# ARTDAG_CACHE_URL names another Redis, or "database".
CACHE_URL = env_url("ARTDAG_CACHE_URL", CELERY_BROKER_URL if _redis_broker else "database",
                    kind="redis", words=("database",))
if CACHE_URL == "database":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                          "LOCATION": "artdag_cache", "KEY_PREFIX": "artdag-cache"}}
else:
    CACHES = {"default": {
        "BACKEND": "l1site.shared_cache.SharedRedisCache", "LOCATION": CACHE_URL,
        # Beside the broker's keys in the same db: ours carry the prefix, and
        # clear() removes only them.
        "KEY_PREFIX": "artdag-cache",
        # A Redis that is away is a miss at once, not a hung request.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }}

# Security headers. Pages (admin, /docs, the dashboard) load their scripts,
# styles and fonts from this server only; images may also be data: URLs.
CONTENT_SECURITY_POLICY = env_str(
    "ARTDAG_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Behind HTTPS (directly or through a proxy that sets X-Forwarded-Proto):
# cookies only over TLS, HSTS, and plain HTTP redirected. Without it each of
# these is Django's default; the variables are still read, so a malformed one
# stops start-up before the day HTTPS is turned on.
HTTPS = env_bool("ARTDAG_HTTPS", False)
_ssl_redirect = env_bool("ARTDAG_SSL_REDIRECT", True)
_hsts_seconds = env_int("ARTDAG_HSTS_SECONDS", 31536000, minimum=0)
_hsts_subdomains = env_bool("ARTDAG_HSTS_SUBDOMAINS", True)
_hsts_preload = env_bool("ARTDAG_HSTS_PRELOAD", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_SSL_REDIRECT = HTTPS and _ssl_redirect
# The load balancer's probe speaks plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health$"] if HTTPS else []
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = _hsts_seconds if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS and _hsts_subdomains
SECURE_HSTS_PRELOAD = HTTPS and _hsts_preload
SESSION_COOKIE_HTTPONLY = True
if env_bool("ARTDAG_PRODUCTION", False):
    # Production refuses the conveniences of a dev box instead of running with them.
    if DEBUG:
        raise ImproperlyConfigured("ARTDAG_DEBUG must be off when ARTDAG_PRODUCTION is on")
    if SECRET_KEY.startswith("artdag-l1-local-only-"):
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when ARTDAG_PRODUCTION is on")
    if ALLOWED_HOSTS == ["*"]:
        raise ImproperlyConfigured("ALLOWED_HOSTS must name this server's hosts when ARTDAG_PRODUCTION is on")
# cache_gc: outputs of runs finished in the last GC_KEEP_DAYS days are kept;
# nothing younger than GC_GRACE_SECONDS is collected (a render records its
# output a moment before the run points at it; an upload is hashed before it is indexed).
GC_KEEP_DAYS = env_int("ARTDAG_GC_KEEP_DAYS", 30, minimum=0)
GC_GRACE_SECONDS = env_int("ARTDAG_GC_GRACE", 3600, minimum=0)

# --- Owners, signed provenance, reproducing and publishing to L2.
L1_PRIVATE = env_bool("L1_PRIVATE", False)
# Users are actors @<username>@<L1_DOMAIN>; the server itself is L1_ACTOR.
L1_DOMAIN = env_str("L1_DOMAIN", socket.gethostname())
L1_ACTOR = env_str("L1_ACTOR", f"@{getpass.getuser()}@{L1_DOMAIN}")
# None: $ARTDAG_DATA_DIR/keys/l1-ed25519.pem, created on first start. Workers
# on other hosts must read the same key file (they sign what they render).
SIGNING_KEY_FILE = env_path("ARTDAG_SIGNING_KEY_FILE", None)
# Where L2 reaches this server; empty: the host and scheme of the publish request.
L1_PUBLIC_URL = env_url("L1_PUBLIC_URL", "", kind="http").rstrip("/")
L2_URL = env_url("L2_URL", "", kind="http").rstrip("/")  # empty: publishing is off
L2_TOKEN = env_str("L2_TOKEN", "")
L2_PUBLISH_TIMEOUT = env_int("L2_PUBLISH_TIMEOUT", 30, minimum=1)
L2_PUBLISH_MAX_RETRIES = env_int("L2_PUBLISH_MAX_RETRIES", 8, minimum=0)
L2_PUBLISH_BACKOFF = env_int("L2_PUBLISH_BACKOFF", 15, minimum=1)  # seconds; doubles per retry
L2_PUBLISH_QUEUE = env_str("L2_PUBLISH_QUEUE", "")  # empty: the render queue (ARTDAG_QUEUE)
# --- Dashboard and thumbnails.
# Thumbnails live beside the cache (not inside it: the cache holds only
# content-addressed originals). None means <parent of the cache dir>/thumbs.
THUMB_DIR = env_path("ARTDAG_THUMB_DIR", None)
# Cache browser page size (keyset pagination, so depth never costs more).
DASHBOARD_PAGE_SIZE = env_int("ARTDAG_DASHBOARD_PAGE_SIZE", 48, minimum=1)
# Thumbnail tasks follow every upload, import and render; a queue of their own
# (with its own workers) keeps them from delaying renders. Empty: the render queue.
THUMB_QUEUE = env_str("ARTDAG_THUMB_QUEUE", "")
# --- Shared content store (workers on several hosts).
# "local": CACHE_DIR is the store (one host, or a shared network filesystem
# mounted at the same path everywhere). "s3": an S3-compatible bucket is the
# store and CACHE_DIR is this host's bounded hot cache in front of it.
CONTENT_STORE = env_choice("ARTDAG_STORE", "local", ("local", "s3"))
S3_BUCKET = env_str("ARTDAG_S3_BUCKET", "")
if CONTENT_STORE == "s3" and not S3_BUCKET:
    raise ImproperlyConfigured("ARTDAG_STORE=s3 needs ARTDAG_S3_BUCKET")
# Empty means AWS itself; set it for MinIO, Ceph, R2, etc.
S3_ENDPOINT_URL = env_url("ARTDAG_S3_ENDPOINT_URL", "", kind="http")
S3_REGION = env_str("ARTDAG_S3_REGION", "us-east-1")
# Empty keys leave boto3 its own chain (instance role, ~/.aws, AWS_* variables).
S3_ACCESS_KEY_ID = env_str("ARTDAG_S3_ACCESS_KEY_ID", "")
S3_SECRET_ACCESS_KEY = env_str("ARTDAG_S3_SECRET_ACCESS_KEY", "")
if bool(S3_ACCESS_KEY_ID) != bool(S3_SECRET_ACCESS_KEY):
    raise ImproperlyConfigured("set both ARTDAG_S3_ACCESS_KEY_ID and ARTDAG_S3_SECRET_ACCESS_KEY, or neither")
S3_PREFIX = env_str("ARTDAG_S3_PREFIX", "")
# With the s3 store: the most bytes this host keeps in CACHE_DIR.
HOT_CACHE_BYTES = env_int("ARTDAG_HOT_CACHE_BYTES", 20 * 1024 ** 3, minimum=1)
# --- Login lock-out (django-axes, accounts.lockout) and API token scopes.
# Failed password logins (/login, /admin/login/, HTTP Basic on POST /tokens)
# are counted in the database, so every web process shares them. After
# ARTDAG_LOGIN_FAILURE_LIMIT failures, each within ARTDAG_LOGIN_COOLOFF
# minutes of the one before, that username from that address and that address
# for any username are refused for the cool-off: the forms say so with the
# time left, the API answers 429 with Retry-After.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out tries before any password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("ARTDAG_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ARTDAG_LOGIN_COOLOFF", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
# A try refused while locked is not counted again: the cool-off ends when the
# form said it would.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# accounts.lockout resets on success, for that username from that address
# only; axes' own reset would clear the whole address.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
AXES_ENABLE_ADMIN = False  # accounts.admin lists and lifts lock-outs for staff
# Axes logs each failure with the username and address masked (a password
# typed into the username field stays out of the log); accounts.lockout logs
# each lock-out with both, and no start-up banner on every command.
AXES_VERBOSE = False
# Reverse proxies in front of the web server that append to X-Forwarded-For
# (0: clients connect directly, and their socket address is the one counted).
PROXY_COUNT = env_int("ARTDAG_PROXY_COUNT", 0, minimum=0)
# --- Queues by kind of work, priority and fair share (l1site.queues, runs.dispatch).
# Stills, video and upkeep each have a queue named after ARTDAG_QUEUE; a
# worker with no -Q takes all of them, in this order (upkeep and stills
# before video: on Redis the order is kept, queue_order_strategy
# "priority"), and the base queue too, for messages from before the split.
CELERY_TASK_QUEUES = [Queue(f"{CELERY_TASK_DEFAULT_QUEUE}.{kind}")
                      for kind in ("upkeep", "stills", "video")] + [Queue(CELERY_TASK_DEFAULT_QUEUE)]
CELERY_TASK_ROUTES = ("l1site.queues.route_task",)
# Fair share: the most runs of one user handed to the broker or rendering at
# once; the rest wait in the database, in order of priority, and the next is
# released when one finishes. So one user's backlog puts at most this many
# renders ahead of another user's run.
DISPATCH_PER_USER = env_int("ARTDAG_DISPATCH_PER_USER", 4, minimum=1)
# Batches (POST /batches): the most runs one batch may ask for.
MAX_BATCH_RUNS = env_int("ARTDAG_MAX_BATCH_RUNS", 256, minimum=1)
# Webhooks: callbacks when a user's run completes or fails, signed with the
# webhook's secret. Private, loopback and link-local addresses are refused
# (at registration and again, after resolving, at each delivery) unless this
# is on: a server must not be made to call into its own network.
WEBHOOK_ALLOW_PRIVATE = env_bool("ARTDAG_WEBHOOK_ALLOW_PRIVATE", False)
WEBHOOK_TIMEOUT = env_int("ARTDAG_WEBHOOK_TIMEOUT", 10, minimum=1)
WEBHOOK_MAX_ATTEMPTS = env_int("ARTDAG_WEBHOOK_MAX_ATTEMPTS", 8, minimum=1)
WEBHOOK_BACKOFF = env_int("ARTDAG_WEBHOOK_BACKOFF", 10, minimum=1)  # seconds; doubles per retry
WEBHOOK_MAX_PER_USER = env_int("ARTDAG_WEBHOOK_MAX_PER_USER", 20, minimum=1)
# --- Live: run events as Server-Sent Events, previews, the drawn graph.
# Events and previews older than this are pruned (live.tasks.prune_events, hourly).
LIVE_EVENT_KEEP_DAYS = env_int("ARTDAG_LIVE_KEEP_DAYS", 7, minimum=1)
LIVE_TIMING_KEEP_DAYS = env_int("ARTDAG_LIVE_TIMING_KEEP_DAYS", 90, minimum=1)
# Redis wakes the streams the moment an event is written; without it (the
# embedded SQLite mode) each web process reads the table every LIVE_POLL_MS.
# ARTDAG_LIVE_REDIS_URL=off polls even where the broker is Redis.
_live_redis_url = env_url("ARTDAG_LIVE_REDIS_URL", CELERY_BROKER_URL if _redis_broker else "",
                          kind="redis", words=("off",))
LIVE_REDIS_URL = "" if _live_redis_url == "off" else _live_redis_url
LIVE_POLL_MS = env_int("ARTDAG_LIVE_POLL_MS", 250, minimum=20)
# With Redis, the table is still read this often: a missed message costs no event.
LIVE_SAFETY_POLL_MS = env_int("ARTDAG_LIVE_SAFETY_POLL_MS", 2000, minimum=100)
# Frame counts of a running step: at most one event this often per run.
LIVE_PROGRESS_MS = env_int("ARTDAG_LIVE_PROGRESS_MS", 500, minimum=0)
# A long render's preview frame: refreshed this often, this many pixels on its long side.
LIVE_PREVIEW_SECONDS = env_int("ARTDAG_LIVE_PREVIEW_SECONDS", 3, minimum=1)
LIVE_PREVIEW_PIXELS = env_int("ARTDAG_LIVE_PREVIEW_PIXELS", 320, minimum=16)
# A stream sends a comment this often (proxies close silent connections) and
# ends after LIVE_STREAM_SECONDS; EventSource reconnects with Last-Event-ID.
LIVE_KEEPALIVE_SECONDS = env_int("ARTDAG_LIVE_KEEPALIVE_SECONDS", 15, minimum=1)
LIVE_STREAM_SECONDS = env_int("ARTDAG_LIVE_STREAM_SECONDS", 600, minimum=1)
# The web server (scripts/web.sh): threads per process for the ordinary
# (WSGI) views; the event streams cost none, they wait on the event loop.
WEB_THREADS = env_int("ARTDAG_WEB_THREADS", 8, minimum=1)
# --- Worker liveness (l1site.pool, l1site.health).
# The prefork pool whose processes may be killed at any moment (OOM killer,
# kill -9) without wedging the worker; `-P` on the command line overrides it.
CELERY_WORKER_POOL = "l1site.pool:TaskPool"
# /health answers 503 naming a queue as stalled when messages have waited in
# it this long (nothing was taken from it meanwhile) while a worker that
# consumes it answers with a free pool process (a worker busy with long
# renders is busy, not stalled).
QUEUE_STALL_SECONDS = env_int("ARTDAG_QUEUE_STALL_SECONDS", 120, minimum=2)
# How long /health waits for workers to answer its broadcast (only sent when
# a queue has a message older than QUEUE_STALL_SECONDS).
HEALTH_WORKER_TIMEOUT = env_int("ARTDAG_HEALTH_WORKER_TIMEOUT", 1, minimum=1)
