"""The settings (l1site/settings.py) and their readers (l1site/env.py): each
list of apps, middleware and DRF options is written once, as a literal, and
every environment value is checked where it is read, a bad one stopping
start-up with a message that names it."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from l1site import env

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ROOT / "l1site" / "settings.py"
LITERALS = ("INSTALLED_APPS", "MIDDLEWARE", "REST_FRAMEWORK", "CELERY_BEAT_SCHEDULE")
# The variables a deployment sets for this server; a test starts from none of them.
OURS = ("ARTDAG_", "DJANGO_", "L1_", "L2_", "CELERY_", "REDIS_URL", "DATABASE_URL",
        "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "PORT")


def load_settings(*names: str, **environ: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh process under `environ`, printing `names`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    code = "from django.conf import settings\n" + "".join(
        f"print(repr(settings.{name}))\n" for name in names or ("DEBUG",))
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**clean, **environ, "DJANGO_SETTINGS_MODULE": "l1site.settings"})


def refusal(**environ: str) -> str:
    done = load_settings(**environ)
    assert done.returncode != 0, f"started with {environ}"
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("django.core.exceptions.ImproperlyConfigured: "), done.stderr
    return last.removeprefix("django.core.exceptions.ImproperlyConfigured: ")


# --- One literal each ---------------------------------------------------------

def settings_tree() -> ast.Module:
    return ast.parse(SETTINGS.read_text())


def bound_names(node: ast.AST) -> list[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return [n.id for t in targets for n in ast.walk(t)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]


@pytest.mark.parametrize("name", LITERALS)
def test_each_list_of_apps_middleware_and_options_is_assigned_once_as_a_literal(name):
    assignments = [node for node in ast.walk(settings_tree())
                   if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign))
                   and name in bound_names(node)]
    assert len(assignments) == 1, f"{name} is assigned on lines {[a.lineno for a in assignments]}"
    (only,) = assignments
    assert isinstance(only, ast.Assign) and isinstance(only.value, (ast.List, ast.Dict))


@pytest.mark.parametrize("name", LITERALS)
def test_no_line_amends_a_list_of_apps_middleware_or_options_after_it_is_written(name):
    amendments = []
    for node in ast.walk(settings_tree()):
        # MIDDLEWARE.insert(...), INSTALLED_APPS.append(...), REST_FRAMEWORK.update(...)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == name:
            amendments.append(node.lineno)
        # REST_FRAMEWORK["..."] = ..., del MIDDLEWARE[0]
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and node.value.id == name and isinstance(node.ctx, (ast.Store, ast.Del)):
            amendments.append(node.lineno)
    assert not amendments, f"{name} is amended on lines {amendments}"


def test_the_middleware_keeps_the_order_its_comments_ask_for():
    middleware = settings.MIDDLEWARE
    assert middleware[:2] == ["django.middleware.security.SecurityMiddleware",
                              "l1site.middleware.ContentSecurityPolicy"]
    # It must see the Vary: Cookie the session and CSRF middleware add.
    assert middleware.index("l1site.middleware.PersonalAnswersArePrivate") \
        < middleware.index("django.contrib.sessions.middleware.SessionMiddleware")
    assert middleware.index("dashboard.negotiation.HtmlPages") \
        == middleware.index("django.middleware.common.CommonMiddleware") + 1
    assert middleware[-1] == "axes.middleware.AxesMiddleware"


def test_the_api_authenticates_with_named_tokens_and_throttles_with_the_configured_rates():
    options = settings.REST_FRAMEWORK
    assert options["DEFAULT_AUTHENTICATION_CLASSES"][0] == "accounts.authentication.ApiTokenAuthentication"
    assert options["DEFAULT_PERMISSION_CLASSES"] == ["accounts.permissions.ReadOpenUnlessPrivate"]
    assert options["DEFAULT_THROTTLE_RATES"] is settings.THROTTLE_RATES


# --- One place reads the environment ------------------------------------------

APP_PACKAGES = ("accounts", "assets", "batches", "cache", "dashboard", "l1site", "live",
                "provenance", "runs", "webhooks")


def environment_reads(path: Path) -> list[int]:
    """Lines of `path` that read the environment (os.environ, os.getenv, environ
    imported from os), leaving out the entry points' setdefault of the settings module."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "os" \
                and any(a.name in ("environ", "getenv", "environb") for a in node.names):
            lines.append(node.lineno)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == "os" and node.attr in ("environ", "getenv", "environb"):
            lines.append(node.lineno)
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "setdefault" and node.args \
                and isinstance(node.args[0], ast.Constant) and node.args[0].value == "DJANGO_SETTINGS_MODULE":
            lines = [n for n in lines if n != node.lineno]
    return lines


def test_only_the_readers_of_the_settings_touch_the_environment():
    found = {}
    for package in APP_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path.relative_to(ROOT).as_posix() != "l1site/env.py" and (lines := environment_reads(path)):
                found[path.relative_to(ROOT).as_posix()] = lines
    assert not found, f"read the environment in l1site/settings.py (through l1site.env) instead: {found}"


# --- Each reader refuses a bad value, naming the variable ----------------------

@pytest.mark.parametrize("environ, message", [
    # integers, with their bounds
    ({"ARTDAG_EFFECT_THREADS": "abc"}, "ARTDAG_EFFECT_THREADS must be an integer, got 'abc'"),
    ({"ARTDAG_EFFECT_THREADS": "257"}, "ARTDAG_EFFECT_THREADS must be at most 256, got 257"),
    ({"ARTDAG_HSTS_SECONDS": "a year"}, "ARTDAG_HSTS_SECONDS must be an integer, got 'a year'"),
    ({"PORT": "0"}, "PORT must be at least 1, got 0"),
    # booleans: HTTPS's own are read with HTTPS off too, before the day it is turned on
    ({"ARTDAG_SSL_REDIRECT": "maybe"}, "ARTDAG_SSL_REDIRECT must be true or false (or 1/0, yes/no, "
                                       "on/off), got 'maybe'"),
    # choices
    ({"ARTDAG_LOG_LEVEL": "loud"}, "ARTDAG_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, "
                                   "got 'loud'"),
    ({"ARTDAG_STORE": "nfs"}, "ARTDAG_STORE must be local or s3, got 'nfs'"),
    # paths
    ({"ARTDAG_DATA_DIR": "data"}, "ARTDAG_DATA_DIR must be absolute (a path starting with / or ~), "
                                  "got 'data'"),
    ({"ARTDAG_SIGNING_KEY_FILE": "keys/l1.pem"}, "ARTDAG_SIGNING_KEY_FILE must be absolute"),
    ({"ARTDAG_IMPORT_ROOTS": f"/srv/in{os.pathsep}in"}, "ARTDAG_IMPORT_ROOTS must be absolute (a path "
                                                        "starting with / or ~), got 'in'"),
    # URLs, by family
    ({"L2_URL": "l2.example"}, "L2_URL must be an http(s) URL, got 'l2.example'"),
    ({"L1_PUBLIC_URL": "https://"}, "L1_PUBLIC_URL must be an http(s) URL, got 'https://'"),
    ({"CSRF_TRUSTED_ORIGINS": "https://a.example,b.example"},
     "CSRF_TRUSTED_ORIGINS must be an http(s) URL, got 'b.example'"),
    ({"ARTDAG_LIVE_REDIS_URL": "http://redis:6379"},
     "ARTDAG_LIVE_REDIS_URL must be a redis:// URL or 'off', got 'http://redis:6379'"),
    ({"CELERY_BROKER_URL": "redis:6379"},
     "CELERY_BROKER_URL must be a broker URL such as redis://host:6379/0, got 'redis:6379'"),
    ({"REDIS_URL": "localhost"}, "REDIS_URL must be a broker URL such as redis://host:6379/0, got 'localhost'"),
    ({"DATABASE_URL": "postgress://artdag@db/artdag"},
     "DATABASE_URL must be a database URL such as postgres://user:password@host:5432/name"),
    # throttle rates
    ({"ARTDAG_THROTTLE_SUBMIT": "fast"}, "ARTDAG_THROTTLE_SUBMIT must look like 100/min"),
    # variables no longer read
    ({"ARTDAG_MAX_FRAMES": "1000"}, "ARTDAG_MAX_FRAMES is no longer read (it counted all frames "
                                    "together): set ARTDAG_MAX_MEDIA_SECONDS"),
    # values that must agree with each other
    ({"ARTDAG_RENDER_SOFT_LIMIT": "7200", "ARTDAG_RENDER_HARD_LIMIT": "3600"},
     "ARTDAG_RENDER_SOFT_LIMIT must be below ARTDAG_RENDER_HARD_LIMIT, got 7200 and 3600"),
    ({"ARTDAG_HEARTBEAT_INTERVAL": "30"},
     "ARTDAG_HEARTBEAT_TIMEOUT must be over twice ARTDAG_HEARTBEAT_INTERVAL, got 60 and 30"),
], ids=lambda value: "+".join(value) if isinstance(value, dict) else None)
def test_a_bad_value_stops_start_up_naming_the_variable_the_value_and_what_is_expected(environ, message):
    assert message in refusal(**environ)


def test_a_password_in_a_refused_url_is_masked_in_the_message():
    message = refusal(DATABASE_URL="postgress://artdag:s3cret@db/artdag")
    assert "s3cret" not in message and "'postgress://artdag:***@db/artdag'" in message
    assert "s3cret" not in refusal(CELERY_BROKER_URL="redis//:s3cret@redis:6379/0")


def test_unset_and_blank_variables_take_the_defaults():
    done = load_settings("EFFECT_THREADS", "HTTPS", "CONTENT_STORE", "LIVE_REDIS_URL", "THUMB_DIR",
                         ARTDAG_EFFECT_THREADS=" ", ARTDAG_HTTPS="")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "False", "'local'", "''", "None"]


def test_good_values_are_read_as_their_types():
    done = load_settings(
        "LOGGING['root']['level']", "CONTENT_STORE", "DATA_DIR", "IMPORT_ROOTS", "LIVE_REDIS_URL",
        "CACHES['default']['LOCATION']", "L2_URL", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE",
        ARTDAG_LOG_LEVEL="debug", ARTDAG_STORE="S3", ARTDAG_S3_BUCKET="renders",
        ARTDAG_DATA_DIR="~/artdag-data", ARTDAG_IMPORT_ROOTS=os.pathsep.join(["/srv/a", "/srv/b"]),
        CELERY_BROKER_URL="redis://broker:6379/0", ARTDAG_LIVE_REDIS_URL="off",
        L2_URL="https://l2.example/", ARTDAG_HTTPS="yes", ARTDAG_HSTS_SECONDS="600")
    assert done.returncode == 0, done.stderr
    home = Path.home()
    assert done.stdout.splitlines() == [
        "'DEBUG'", "'s3'", repr(home / "artdag-data"), repr([Path("/srv/a"), Path("/srv/b")]), "''",
        "'redis://broker:6379/0'", "'https://l2.example'", "600", "True"]


# --- The readers themselves ---------------------------------------------------

def test_a_choice_is_matched_without_regard_to_case_and_returned_as_spelled(monkeypatch):
    monkeypatch.setenv("ARTDAG_TEST_CHOICE", "Warning")
    assert env.env_choice("ARTDAG_TEST_CHOICE", "INFO", ("INFO", "WARNING")) == "WARNING"


def test_a_url_reader_takes_its_plain_words_and_urls_of_its_family_only(monkeypatch):
    monkeypatch.setenv("ARTDAG_TEST_URL", "database")
    assert env.env_url("ARTDAG_TEST_URL", "", kind="redis", words=("database",)) == "database"
    monkeypatch.setenv("ARTDAG_TEST_URL", "rediss://cache.example:6380/1")
    assert env.env_url("ARTDAG_TEST_URL", "", kind="redis") == "rediss://cache.example:6380/1"
    monkeypatch.setenv("ARTDAG_TEST_URL", "memcached://cache.example")
    with pytest.raises(ImproperlyConfigured, match="ARTDAG_TEST_URL must be a redis:// URL, got"):
        env.env_url("ARTDAG_TEST_URL", "", kind="redis")


def test_an_integer_below_its_minimum_is_refused_with_the_minimum(monkeypatch):
    monkeypatch.setenv("ARTDAG_TEST_INT", "-1")
    with pytest.raises(ImproperlyConfigured, match=r"^ARTDAG_TEST_INT must be at least 0, got -1$"):
        env.env_int("ARTDAG_TEST_INT", 5)
