"""Graph runs under the sweep, cache_gc and cache_verify."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cache.maintenance import cache_gc
from runs import recovery, steps
from runs.models import Run, Step

pytestmark = pytest.mark.django_db

TINT = """
name: tint
dag:
  nodes:
    - {id: picture, type: SOURCE, config: {input: true, name: picture}}
    - {id: warm, type: TRANSFORM, inputs: [picture], config: {op: hue, amount: 30}}
  output: warm
"""


@pytest.fixture
def graph_run(artist_api, demo, django_capture_on_commit_callbacks):
    """A run rendered step by step, as a plan too big for one task is."""
    artist_api.post("/recipes", TINT, content_type="application/yaml")
    with django_capture_on_commit_callbacks(execute=False):
        run_id = artist_api.post("/runs", {"recipe": "tint", "inputs": ["cat"]},
                                 format="json").json()["run_id"]
    Run.objects.filter(pk=run_id).update(inline=False)
    return run_id


def render_inline(run_id: str, capture) -> None:
    """What the workers do, step by step, in this process."""
    with capture(execute=False):
        for step in Step.objects.exclude(type="SOURCE"):
            steps.render(step.pk, owner="test")
        steps.schedule(run_id)


def test_the_sweep_schedules_unfinished_graph_runs_and_never_reaps_them(graph_run, settings):
    settings.RUN_QUEUE_GRACE = 0
    old = timezone.now() - timedelta(hours=2)
    Run.objects.filter(pk=graph_run).update(created_at=old, status="running", started_at=old)
    done = recovery.run_sweep()
    assert done["scheduled"] == 1 and done["reaped"] == done["failed"] == 0
    run = Run.objects.get(pk=graph_run)
    assert run.status == "running" and not run.error


def test_gc_keeps_the_steps_of_unfinished_graph_runs(graph_run, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        steps.render(Step.objects.get(type="TRANSFORM").pk, owner="test")
    warm = Step.objects.get(type="TRANSFORM")
    Step.objects.filter(pk=warm.pk).update(finished_at=timezone.now() - timedelta(days=90))
    report = cache_gc(keep_days=1, grace_seconds=0)
    assert warm.output_id not in report.deleted
    warm.refresh_from_db()
    assert warm.status == "done"


def test_gc_collects_old_step_outputs_and_the_steps_render_again_when_needed(
        graph_run, django_capture_on_commit_callbacks):
    render_inline(graph_run, django_capture_on_commit_callbacks)
    run = Run.objects.get(pk=graph_run)
    assert run.status == "completed"
    long_ago = timezone.now() - timedelta(days=90)
    Run.objects.filter(pk=graph_run).update(finished_at=long_ago)
    Step.objects.update(finished_at=long_ago)
    output = run.output_id
    report = cache_gc(keep_days=1, grace_seconds=0)
    assert output in report.deleted
    warm = Step.objects.get(type="TRANSFORM")
    assert warm.status == "pending" and warm.output_id is None
    assert Step.objects.get(type="SOURCE").status == "done"  # the cat is an asset: kept


def test_a_graph_runs_provenance_is_signed_and_lists_its_steps(
        graph_run, django_capture_on_commit_callbacks):
    from provenance.services import provenance_verify

    render_inline(graph_run, django_capture_on_commit_callbacks)
    record = Run.objects.get(pk=graph_run).provenance
    assert record["rendered_by"].startswith("@artist@")
    assert {s["node"] for s in record["steps"]} == {"picture", "warm"}
    assert provenance_verify(record).valid
    tampered = {**record, "params": {"turn": 1}}
    assert not provenance_verify(tampered).valid


def test_a_graph_run_reproduces_bit_for_bit_from_its_sources_alone(
        graph_run, django_capture_on_commit_callbacks):
    from provenance.reproduce import reproduce_now

    render_inline(graph_run, django_capture_on_commit_callbacks)
    reproduction = reproduce_now(graph_run)
    assert reproduction.status == "reproduced", reproduction.error
    assert reproduction.actual_hash == Run.objects.get(pk=graph_run).output_id


def test_the_files_a_graph_run_used_show_in_their_lineage(graph_run, artist_api, demo):
    used = artist_api.get(f"/cache/{demo['cat']}/lineage").json()
    assert graph_run in [r["run_id"] for r in used["used_by"]]


def test_a_graph_recipe_over_the_size_limit_is_refused(artist_api, settings):
    settings.MAX_RECIPE_BYTES = 256
    response = artist_api.post("/recipes", TINT, content_type="application/yaml")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "recipe_too_large"
