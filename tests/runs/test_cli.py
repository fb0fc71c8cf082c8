"""manage.py render / import_file / seed_demo, run as an operator would."""

import hashlib
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from cache.models import CacheItem
from runs.demo import seed_demo
from runs.models import Run
from tests import images
from tests.conftest import ROOT, worker_env


def manage(*args: str, data_dir, redis_url) -> subprocess.CompletedProcess:
    env = worker_env(data_dir, redis_url, connection.settings_dict["NAME"])
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.worker
def test_render_dog_cat_sync_prints_the_output_hash(worker, data_dir, redis_url):
    seed_demo()
    result = manage("render", "dog", "cat", "--sync", data_dir=data_dir, redis_url=redis_url)
    assert result.returncode == 0, result.stderr
    output = result.stdout.strip()
    run = Run.objects.get(recipe_name="dog")
    assert run.status == "completed" and run.output_id == output
    assert f"/cache/{output}" in result.stderr


@pytest.mark.worker
def test_render_takes_a_recipes_params_and_they_change_the_output(worker, data_dir, redis_url):
    seed_demo()
    plain = manage("render", "pixel-art", "cat", "--sync", data_dir=data_dir, redis_url=redis_url)
    blocky = manage("render", "pixel-art", "image=cat", "--param", "block=16", "--param",
                    "levels=3", "--sync", data_dir=data_dir, redis_url=redis_url)
    assert plain.returncode == blocky.returncode == 0, blocky.stderr
    assert plain.stdout.strip() != blocky.stdout.strip()
    run = Run.objects.get(output_id=blocky.stdout.strip())
    assert run.params == {"block": 16, "levels": 3}
    refused = manage("render", "pixel-art", "cat", "--param", "block=0", data_dir=data_dir,
                     redis_url=redis_url)
    assert refused.returncode == 1 and "between 1 and 512" in refused.stderr


@pytest.mark.worker
def test_render_identity_cat_sync_prints_the_cats_own_hash(worker, data_dir, redis_url):
    cat = seed_demo()["cat"]
    result = manage("render", "identity", "cat", "--sync", data_dir=data_dir, redis_url=redis_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == cat


@pytest.mark.worker
def test_render_without_sync_prints_the_run_id_and_returns(worker, data_dir, redis_url):
    seed_demo()
    result = manage("render", "invert", "cat", data_dir=data_dir, redis_url=redis_url)
    assert result.returncode == 0, result.stderr
    assert Run.objects.filter(pk=result.stdout.strip()).exists()


@pytest.mark.worker
@pytest.mark.parametrize("args,message", [
    (["render", "nope", "cat"], "unknown recipe 'nope'"),
    (["render", "dog", "no-such-asset"], "neither a 64-hex content hash nor an asset name"),
    (["import_file", "/no/such/file.png"], "no such file or folder"),
])
def test_cli_errors_print_a_message_and_exit_1(worker, data_dir, redis_url, args, message):
    seed_demo()
    result = manage(*args, data_dir=data_dir, redis_url=redis_url)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert Run.objects.count() == 0


@pytest.mark.django_db
def test_import_file_imports_a_folder_and_prints_each_hash(tmp_path, capsys):
    folder = tmp_path / "shots"
    (folder / "deeper").mkdir(parents=True)
    files = {folder / "a.png": images.png(seed=1), folder / "deeper" / "b.gif": images.animated_gif()}
    for path, data in files.items():
        path.write_bytes(data)
    call_command("import_file", str(folder))
    out = capsys.readouterr().out
    for path, data in files.items():
        digest = hashlib.sha3_256(data).hexdigest()
        assert f"{digest}  {path}" in out
        assert CacheItem.objects.get(pk=digest).origin == "imported"
    assert CacheItem.objects.get(pk=hashlib.sha3_256(files[folder / "deeper" / "b.gif"]).hexdigest()).frames == 4


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing():
    first = seed_demo()
    second = seed_demo()
    assert first["cat"] == second["cat"] and second["asset_created"] is False


@pytest.mark.django_db
def test_render_refuses_an_unknown_recipe_in_process_too():
    with pytest.raises(CommandError, match="unknown recipe"):
        call_command("render", "nope", "cat")


@pytest.fixture
def media_demo(transactional_db):
    return seed_demo(media=True)


def test_plan_prints_each_step_with_its_cache_id_and_what_is_cached(media_demo, data_dir,
                                                                     redis_url):
    shown = manage("plan", "beat-cuts", "music=demo-music", "videos=demo-clip-1,demo-clip-2",
                   "--param", "beats_per_cut=2", data_dir=data_dir, redis_url=redis_url)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["music", "videos", "beats", "cut", "out"]
    states = {line.split()[0]: line.endswith("cached") for line in lines}
    assert states == {"music": True, "videos": False, "beats": False, "cut": False,
                      "out": False}
    assert "5 steps, 4 to render" in shown.stderr
    assert not Run.objects.exists()


def test_plan_refuses_a_bad_param_with_a_message_and_exit_1(media_demo, data_dir, redis_url):
    shown = manage("plan", "beat-cuts", "music=demo-music", "videos=demo-clip-1",
                   "--param", "beats_per_cut=99", data_dir=data_dir, redis_url=redis_url)
    assert shown.returncode == 1 and "between" in shown.stderr
    assert "Traceback" not in shown.stderr
