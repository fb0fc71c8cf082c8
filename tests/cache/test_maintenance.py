"""cache_verify and cache_gc: what they report, what they keep, what they delete."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from assets.models import Asset
from cache.models import CacheItem
from cache.services import cache_store_bytes
from cache.store import cache_path
from runs import services, steps
from runs.models import Run, Step
from tests import images

pytestmark = pytest.mark.django_db


@pytest.fixture
def isolated_cache(settings, tmp_path):
    """A cache dir of this test's own: verify and gc look at every file."""
    settings.CACHE_DIR = tmp_path / "cache"
    (settings.CACHE_DIR / "tmp").mkdir(parents=True)
    return settings.CACHE_DIR


def stored(data: bytes, *, days_old: float = 1, **fields) -> CacheItem:
    item = cache_store_bytes(data, origin=CacheItem.Origin.UPLOADED, name="x.png")
    CacheItem.objects.filter(pk=item.pk).update(
        created_at=timezone.now() - timedelta(days=days_old), **fields)
    item.refresh_from_db()
    return item


def gc(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("cache_gc", "--grace-seconds", "0", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_cache_verify_passes_on_an_intact_cache(isolated_cache, capsys):
    stored(b"one"), stored(b"two")
    call_command("cache_verify")
    assert "checked 2 item(s): 0 missing, 0 corrupt" in capsys.readouterr().err


def test_cache_verify_quarantines_corrupt_files_reports_missing_ones_and_fails(isolated_cache, capsys):
    rotten, gone, fine = stored(b"will rot"), stored(b"will vanish"), stored(b"fine")
    cache_path(rotten.pk).write_bytes(b"did rot")
    cache_path(gone.pk).unlink()

    with pytest.raises(CommandError, match="1 missing, 1 corrupt"):
        call_command("cache_verify")

    out = capsys.readouterr().out
    assert f"corrupt  {rotten.pk}" in out and f"missing  {gone.pk}" in out and fine.pk not in out
    assert not cache_path(rotten.pk).exists()
    assert [p.read_bytes() for p in (isolated_cache / "quarantine").iterdir()] == [b"did rot"]
    assert CacheItem.objects.count() == 3  # without --repair the index is only reported on


def test_cache_verify_repair_drops_lost_items_and_fails_runs_whose_output_was_lost(
        isolated_cache, demo, django_capture_on_commit_callbacks, capsys):
    with django_capture_on_commit_callbacks():
        run, _ = services.run_submit(recipe="invert", inputs=["cat"])
    steps.schedule(run.id, task_id=run.task_id)
    run.refresh_from_db()
    lonely = stored(b"nobody needs me")
    cache_path(run.output_id).unlink()
    cache_path(lonely.pk).unlink()
    cache_path(demo["cat"]).unlink()

    with pytest.raises(CommandError):
        call_command("cache_verify", "--repair")

    run.refresh_from_db()
    assert run.status == "failed" and "submit again" in run.error and run.output_id is None
    assert not CacheItem.objects.filter(pk__in=[lonely.pk, run.output_id or "-"]).exists()
    assert CacheItem.objects.filter(pk=demo["cat"]).exists()  # the asset needs it
    assert "import the original file again" in capsys.readouterr().out


def test_cache_gc_deletes_only_what_nothing_refers_to(isolated_cache, demo, user,
                                                      django_capture_on_commit_callbacks):
    garbage = stored(b"garbage")
    pinned = stored(b"pinned", pinned=True)
    named = stored(images.png(8, 8, seed=1))
    Asset.objects.create(name="kept", content=named)
    needed = stored(images.png(9, 9, seed=2))
    with django_capture_on_commit_callbacks():
        pending, _ = services.run_submit(recipe="invert", inputs=[needed.pk])
        recent, _ = services.run_submit(recipe="sepia-print", inputs=["cat"])
    steps.schedule(recent.id, task_id=recent.task_id)
    recent.refresh_from_db()
    CacheItem.objects.filter(pk=recent.output_id).update(created_at=timezone.now() - timedelta(days=2))

    out = gc("--keep-days", "1")

    assert out.split() == ["deleted", garbage.pk]
    assert not cache_path(garbage.pk).exists()
    for kept in (pinned.pk, named.pk, needed.pk, recent.output_id, demo["cat"]):
        assert CacheItem.objects.filter(pk=kept).exists() and cache_path(kept).exists()
    assert Run.objects.get(pk=pending.pk).status == "pending"


def test_cache_gc_collects_outputs_of_runs_past_the_retention_and_says_so_on_the_run(
        isolated_cache, demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        run, _ = services.run_submit(recipe="invert", inputs=["cat"])
    steps.schedule(run.id, task_id=run.task_id)
    run.refresh_from_db()
    output = run.output_id
    Run.objects.filter(pk=run.pk).update(finished_at=timezone.now() - timedelta(days=40))
    # Every run renders in steps now: the step that made it is as old.
    Step.objects.filter(output_id=output).update(finished_at=timezone.now() - timedelta(days=40))
    CacheItem.objects.filter(pk=output).update(created_at=timezone.now() - timedelta(days=40))

    assert gc("--keep-days", "30").split() == ["deleted", output]

    run.refresh_from_db()
    assert run.status == "failed" and "collected by cache_gc" in run.error
    assert run.provenance["output"]["content_hash"] == output  # history stays
    assert not cache_path(output).exists()


def test_cache_gc_dry_run_deletes_nothing_and_max_bytes_stops_early(isolated_cache):
    old, older = stored(b"a" * 100, days_old=2), stored(b"b" * 100, days_old=3)
    assert gc("--dry-run").split() == ["would", "delete", older.pk, "would", "delete", old.pk]
    assert CacheItem.objects.count() == 2 and cache_path(old.pk).exists()
    assert gc("--max-bytes", "150").split() == ["deleted", older.pk]
    assert CacheItem.objects.filter(pk=old.pk).exists()


def test_cache_gc_removes_files_the_index_does_not_know(isolated_cache):
    orphan = cache_path("f" * 64)
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"left by a crash")
    gc()
    assert not orphan.exists()


@pytest.mark.parametrize("args", [["--keep-days", "-1"], ["--max-bytes", "lots"]])
def test_cache_gc_refuses_bad_arguments_with_a_message(isolated_cache, args):
    stored(b"x")
    with pytest.raises(CommandError, match="expected"):
        gc(*args)
    assert CacheItem.objects.count() == 1


def test_disk_usage_by_origin_and_owner_is_on_the_front_page_and_in_the_admin(
        isolated_cache, api, user, client):
    stored(b"x" * 10, owner=user)
    stored(b"y" * 5)
    usage = api.get("/").json()["disk_usage"]
    assert usage["bytes"] == 15 and usage["items"] == 2
    assert usage["by_origin"] == {"uploaded": {"items": 2, "bytes": 15}}
    assert usage["by_owner"] == {"artist": {"items": 1, "bytes": 10}, "-": {"items": 1, "bytes": 5}}
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    page = client.get("/admin/cache/cacheitem/").content.decode()
    assert "Disk usage: 15" in page and "artist" in page


def test_the_admin_verify_action_quarantines_a_corrupt_item(isolated_cache, user, client):
    item = stored(b"will rot in the admin")
    cache_path(item.pk).write_bytes(b"rotted")
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    response = client.post("/admin/cache/cacheitem/", {
        "action": "verify", "_selected_action": [item.pk]}, follow=True)
    assert f"1 item(s) corrupt (moved to quarantine): {item.pk[:12]}" in response.content.decode()
    assert not cache_path(item.pk).exists()
