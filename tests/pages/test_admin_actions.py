"""The admin's actions and previews: re-run, cancel, pin, verify."""

import pytest
from django.utils import timezone

from cache.models import CacheItem
from cache.store import cache_path
from runs import services
from runs.models import Run

pytestmark = pytest.mark.django_db


def act(client, model: str, action: str, pks: list[str]):
    response = client.post(f"/admin/{model}/", {"action": action, "_selected_action": pks},
                           follow=True)
    assert response.status_code == 200
    return [str(m) for m in response.context["messages"]]


def test_lists_and_details_show_previews(operator, rendered):
    thumb = f'src="/cache/{rendered.output_id}/thumb/256"'
    assert thumb in operator.get("/admin/runs/run/").content.decode()
    assert thumb in operator.get("/admin/cache/cacheitem/").content.decode()
    detail = operator.get(f"/admin/runs/run/{rendered.id}/change/").content.decode()
    assert f'/cache/{rendered.output_id}/thumb/1024' in detail
    assert "&quot;rendered_by&quot;" in detail  # provenance, read-only and readable
    assert 'name="provenance"' not in detail


def test_pin_and_unpin(operator, rendered):
    messages = act(operator, "cache/cacheitem", "pin", [rendered.output_id])
    assert messages == ["Pinned 1 item(s)."]
    assert CacheItem.objects.get(pk=rendered.output_id).pinned
    act(operator, "cache/cacheitem", "unpin", [rendered.output_id])
    assert not CacheItem.objects.get(pk=rendered.output_id).pinned


def test_verify_reports_intact_and_corrupt_files(operator, rendered):
    cat = rendered.inputs[0]["content_hash"]
    path = cache_path(rendered.output_id)
    original = path.read_bytes()
    path.write_bytes(b"not what was rendered")
    try:
        messages = act(operator, "cache/cacheitem", "verify", [cat, rendered.output_id])
        quarantined = not path.exists()  # corrupt bytes are never served again
    finally:
        path.write_bytes(original)  # the session's cache is shared by later tests
    assert "1 item(s) verified ok." in messages and quarantined
    assert f"1 item(s) corrupt (moved to quarantine): {rendered.output_id[:12]}" in messages


def test_rerun_queues_a_failed_run_again_and_explains_a_completed_one(
        operator, rendered, django_capture_on_commit_callbacks):
    messages = act(operator, "runs/run", "rerun", [rendered.id])
    assert "is already completed" in messages[0]
    Run.objects.filter(pk=rendered.pk).update(status="failed", output=None, error="boom",
                                              finished_at=timezone.now())
    with django_capture_on_commit_callbacks() as queued:
        messages = act(operator, "runs/run", "rerun", [rendered.id])
    assert messages == [f"{rendered.id[:12]}… queued."] and len(queued) == 1
    assert Run.objects.get(pk=rendered.pk).status == "pending"


def test_cancel_stops_a_pending_run_and_says_why_it_cannot_stop_a_finished_one(operator, rendered):
    pending, _ = services.run_submit(recipe="invert", inputs=["cat"])
    messages = act(operator, "runs/run", "cancel", [pending.id, rendered.id])
    assert f"{pending.id[:12]}… cancelled." in messages
    assert any("only pending or running runs can be cancelled" in m for m in messages)
    assert Run.objects.get(pk=pending.pk).status == "cancelled"


def test_hash_prefix_search_finds_cache_items_and_assets(operator, rendered):
    cat = rendered.inputs[0]["content_hash"]
    page = operator.get("/admin/cache/cacheitem/", {"q": cat[:10]}).content.decode()
    assert cat in page and rendered.output_id not in page
    assert "cat" in operator.get("/admin/assets/asset/", {"q": cat[:10]}).content.decode()


def test_editing_a_recipe_in_the_admin_validates_it_and_keeps_its_hash_true(operator, demo):
    import json

    from engine.canonical import hash_object
    from runs.builtin import effect_chain
    from runs.models import Recipe

    recipe = Recipe.objects.get(name="invert")
    url = f"/admin/runs/recipe/{recipe.pk}/change/"
    effects = lambda r: [n["config"]["effect"] for n in r.definition["dag"]["nodes"]  # noqa: E731
                         if n["type"] == "EFFECT"]
    bad = operator.post(url, {"description": "x", "definition": json.dumps(
        effect_chain("invert", [("invert", {})]) | {"dag": {"nodes": [
            {"id": "a", "type": "SOURCE", "config": {"input": True, "name": "image"}},
            {"id": "b", "type": "EFFECT", "inputs": ["a"], "config": {"effect": "no-such"}}],
            "output": "b"}})})
    assert bad.status_code == 200 and "no-such" in bad.content.decode()
    recipe.refresh_from_db()
    assert effects(recipe) == ["invert"]
    good = operator.post(url, {"description": "flipped",
                               "definition": json.dumps(effect_chain("invert", [("flip", {})]))})
    assert good.status_code == 302
    recipe.refresh_from_db()
    assert effects(recipe) == ["flip"] and recipe.description == "flipped"
    assert recipe.definition_hash == hash_object(recipe.definition)