"""GET /, the API docs, recipes and effects, and settings that fail loudly
(production ones included)."""

import os
import re
import secrets
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


def test_server_info_names_the_server_its_identity_counts_and_links(api, demo):
    body = api.get("/").json()
    assert body["name"] == "artdag L1" and body["version"]
    assert body["software"]["name"] == "infra:artdag" and len(body["software"]["content_hash"]) == 64
    assert body["hardware"]["name"].startswith("infra:")
    assert body["counts"]["assets"] == 1 and body["counts"]["recipes"] >= 2
    assert body["counts"]["runs"] == {"pending": 0, "running": 0, "completed": 0, "failed": 0,
                                    "cancelled": 0}
    for link in ("/runs", "/cache", "/assets", "/recipes", "/docs"):
        assert link in body["links"].values()


def test_api_docs_and_schema_are_served_without_a_network(api):
    docs = api.get("/docs")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
    # Every script and stylesheet comes from this server, none from a CDN
    # (the start-up script too: /docs?script, as the CSP allows no inline script).
    assets = re.findall(rb'(?:src|href)="([^"]+)"', docs.content)
    assert assets and all(a.startswith((b"/static/", b"/docs?script")) for a in assets), assets
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ("/runs", "/runs/{run_id}", "/cache", "/cache/{content_hash}", "/cache/import",
                 "/assets", "/recipes"):
        assert path in paths


def test_the_api_docs_page_has_no_inline_script_or_style_the_policy_would_block(client):
    page = client.get("/docs").content.decode()
    assert "<script>" not in page.replace(" ", "") and "<style" not in page
    assert "/static/l1site/api-docs.css" in page
    assert client.get("/docs?script").status_code == 200
    assert client.get("/static/l1site/api-docs.css").status_code == 200


def test_the_openapi_schema_validates_without_warnings(capsys):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn")
    assert "openapi: 3" in capsys.readouterr().out


def test_recipes_list_their_effect_chain_and_parameters(api, demo):
    recipes = {r["name"]: r for r in api.get("/recipes").json()["results"]}
    assert {"dog", "identity"} <= set(recipes)
    step = recipes["dog"]["steps"][0]
    assert step["effect"]["name"] == "dog"
    assert {p["name"] for p in step["effect"]["params"]} >= {"sigma", "levels"}
    assert step["params"]["levels"] == 5
    assert api.get("/recipes/dog").json()["definition_hash"] == recipes["dog"]["definition_hash"]


def test_the_effects_endpoint_lists_the_library(api):
    names = {e["name"] for e in api.get("/effects").json()["results"]}
    assert {"identity", "dog", "invert", "grayscale", "sepia", "blur", "sharpen", "posterize",
            "pixelate", "edge", "resize", "rotate", "flip", "hstack"} <= names


@pytest.mark.parametrize("name,value,message", [
    ("ARTDAG_MAX_FRAME_PIXELS", "lots", "ARTDAG_MAX_FRAME_PIXELS must be an integer"),
    ("ARTDAG_MAX_PIXELS", "100", "ARTDAG_MAX_PIXELS is no longer read"),
    ("ARTDAG_DEBUG", "maybe", "ARTDAG_DEBUG must be true or false"),
    ("ARTDAG_MAX_UPLOAD_BYTES", "0", "must be at least 1"),
    ("DATABASE_URL", "nonsense://x", "DATABASE_URL"),
    ("ARTDAG_IMPORT_ROOTS", "relative/dir", "must be absolute"),
    ("ARTDAG_WORKER_PREFETCH", "0", "ARTDAG_WORKER_PREFETCH must be at least 1"),
])
def test_a_malformed_setting_stops_start_up_with_its_name(name, value, message, tmp_path):
    env = {**os.environ, name: value, "ARTDAG_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert message in result.stderr


def test_dog_and_identity_exist_right_after_migrations():
    from runs.models import Recipe

    assert {"dog", "identity"} <= set(Recipe.objects.values_list("name", flat=True))


def production_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARTDAG_", "DJANGO_"))}
    env.update(ARTDAG_PRODUCTION="true", DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
               ALLOWED_HOSTS="l1.example.org", ARTDAG_HTTPS="true",
               ARTDAG_DATA_DIR=os.environ.get("ARTDAG_DATA_DIR", "/tmp"))
    env.update(extra)
    return env


def manage(env: dict, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_passes_with_the_documented_production_environment():
    done = manage(production_env(), "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("override, message", [
    ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY must be set"),
    ({"ARTDAG_DEBUG": "true"}, "ARTDAG_DEBUG must be off"),
    ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must name"),
])
def test_production_settings_refuse_to_start_without_a_secret_key_or_with_debug(override, message):
    done = manage(production_env(**override), "check")
    assert done.returncode != 0 and message in done.stderr
