"""Reproducing runs: render again bypassing the cache, compare hashes, record the answer."""

import pytest
from django.core.management import CommandError, call_command

from cache.store import cache_path
from provenance.models import Reproduction
from runs.builtin import effect_chain
from runs.graphs import recipe_post
from runs.models import Run
from tests import images
from tests.helpers import upload
from tests.provenance.conftest import render_here

pytestmark = pytest.mark.django_db


def test_the_command_reproduces_a_run_bit_for_bit_and_records_it(api, completed_run, capsys):
    call_command("reproduce", completed_run)
    assert capsys.readouterr().out.startswith("reproduced: expected ")
    shown = api.get(f"/runs/{completed_run}").json()["reproductions"]
    run = Run.objects.get(pk=completed_run)
    assert len(shown) == 1
    assert shown[0]["status"] == "reproduced" and shown[0]["same_software"] is True
    assert shown[0]["expected_hash"] == shown[0]["actual_hash"] == run.output_id
    assert shown[0]["host"] and len(shown[0]["software_hash"]) == 64 and shown[0]["finished_at"]


def test_a_run_whose_recorded_output_is_not_what_its_recipe_makes_differs(api, demo, owner):
    run_id = render_here("invert", ["cat"], owner=owner)
    sepia = Run.objects.get(pk=render_here("sepia-print", ["cat"], owner=owner))
    # As if another renderer had recorded different bytes for this run.
    Run.objects.filter(pk=run_id).update(output=sepia.output)
    with pytest.raises(CommandError, match="^differs: expected "):
        call_command("reproduce", run_id)
    shown = api.get(f"/runs/{run_id}").json()["reproductions"][0]
    assert shown["status"] == "differs"
    assert shown["expected_hash"] == sepia.output_id != shown["actual_hash"]


def test_a_run_whose_input_left_the_cache_fails_to_reproduce_and_says_why(api, owner_api, demo,
                                                                         owner):
    fresh = upload(owner_api, images.png(20, 20, seed=77))
    run_id = render_here("invert", [fresh], owner=owner)
    cache_path(fresh).unlink()
    with pytest.raises(CommandError, match="no longer in the cache"):
        call_command("reproduce", run_id)
    assert api.get(f"/runs/{run_id}").json()["reproductions"][0]["status"] == "failed"


def test_asking_twice_while_one_is_queued_returns_the_same_reproduction(owner_api, other_api,
                                                                       completed_run):
    first = owner_api.post(f"/runs/{completed_run}/reproduce")
    second = other_api.post(f"/runs/{completed_run}/reproduce")
    assert first.status_code == 202 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"] and first.json()["status"] == "queued"
    assert Reproduction.objects.count() == 1
    with pytest.raises(CommandError, match="already queued"):
        call_command("reproduce", completed_run)


def test_only_completed_runs_can_be_reproduced(owner_api, demo, owner):
    from runs.services import run_submit

    pending = run_submit(recipe="dog", inputs=["cat"], owner=owner)[0]
    response = owner_api.post(f"/runs/{pending.id}/reproduce")
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_reproducible"
    assert owner_api.post(f"/runs/{'0' * 64}/reproduce").status_code == 404
    with pytest.raises(CommandError, match="only completed runs"):
        call_command("reproduce", pending.id)
    with pytest.raises(CommandError, match="no run with id"):
        call_command("reproduce", "nope")
    assert Reproduction.objects.count() == 0


def test_a_run_reproduces_from_its_own_plan_whatever_its_recipe_became(completed_run):
    recipe_post(effect_chain("dog", [("invert", {})]), builtin=True)
    assert Run.objects.get(pk=completed_run).recipe.definition_hash != \
        Run.objects.get(pk=completed_run).recipe_hash
    call_command("reproduce", completed_run)
    reproduction = Reproduction.objects.get(run_id=completed_run)
    assert reproduction.status == "reproduced", reproduction.error


def test_an_identity_run_rehashes_its_stored_bytes_instead_of_trusting_their_name(owner_api,
                                                                                  owner):
    import os

    from runs.demo import seed_builtin_recipes

    seed_builtin_recipes()
    fresh = upload(owner_api, images.png(16, 16, seed=78))
    run_id = render_here("identity", [fresh], owner=owner)
    call_command("reproduce", run_id)  # the bytes are intact
    path = cache_path(fresh)
    os.chmod(path, 0o644)
    path.write_bytes(images.png(16, 16, seed=79))  # bit rot under the same name
    with pytest.raises(CommandError, match="^differs"):
        call_command("reproduce", run_id)


def test_a_reproduction_lost_from_the_queue_no_longer_blocks_a_new_one(owner_api, completed_run):
    from datetime import timedelta

    from django.utils import timezone

    first = owner_api.post(f"/runs/{completed_run}/reproduce").json()
    Reproduction.objects.update(created_at=timezone.now() - timedelta(hours=1))
    second = owner_api.post(f"/runs/{completed_run}/reproduce")
    assert second.status_code == 202 and second.json()["id"] != first["id"]
    lost = Reproduction.objects.get(pk=first["id"])
    assert lost.status == "failed" and lost.error.startswith("lost")
