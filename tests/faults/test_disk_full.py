"""Fault 7: the disk fills during a render. The cache dir is a small tmpfs
of the test's own (root only: mounting needs it), filled to the last byte,
so the render's write fails with a real ENOSPC from the kernel."""

import errno
import os
import subprocess

import pytest

from cache.store import cache_path
from runs.models import Run
from tests import images

from .conftest import client
from .stack import cache_tree, tally

pytestmark = pytest.mark.faults


@pytest.fixture
def small_disk(fault_dir):
    """fault_dir/data/cache on a 4 MiB tmpfs; set up before the stack and
    unmounted after it stops."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    cache = fault_dir / "data" / "cache"
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "artdag-fault", str(cache)], check=True)
    (cache / "tmp").mkdir()
    yield cache
    subprocess.run(["umount", "-l", str(cache)], check=False)


def fill(path) -> None:
    with open(path, "wb") as filler:
        try:
            while True:
                filler.write(b"\xff" * 65536)
                filler.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        try:
            os.fsync(filler.fileno())
        except OSError:
            pass


def test_a_full_disk_fails_the_render_cleanly_and_the_server_keeps_serving(
        small_disk, make_stack, seeded, report):
    stack = make_stack()
    api = client(stack.web(), seeded)
    stack.worker(concurrency=1)
    digest = api.upload(images.png(300, 200, seed=71), "full.png")
    before = set(cache_tree(small_disk))
    fill(small_disk / "filler")

    run = api.wait_finished(api.submit("invert", [digest])["run_id"])

    assert run["status"] == "failed"
    assert "No space left on device" in run["error"]
    assert set(cache_tree(small_disk)) == before  # nothing partial published
    assert list((small_disk / "tmp").iterdir()) == []  # nor left behind
    # The server keeps serving: reads work, an upload is refused with a clear error.
    assert api.get("/runs").status_code == 200
    assert api.get(f"/cache/{digest}").content == cache_path(digest).read_bytes()
    refused = api.post("/cache", files={"file": ("more.png", images.png(200, 200, seed=72))})
    assert refused.status_code == 507 and refused.json()["error"]["code"] == "disk_full"
    assert list((small_disk / "tmp").iterdir()) == []

    (small_disk / "filler").unlink()  # the operator frees space; asking again works
    again = api.wait_finished(api.submit("invert", [digest])["run_id"])
    assert again["status"] == "completed"
    assert Run.objects.get(pk=run["run_id"]).output_id == again["output_hash"]
    report(fault=7, **tally(stack, api, [run["run_id"]], resubmitted_after_freeing_space=1,
                            completed_after_freeing_space=int(again["status"] == "completed")))
