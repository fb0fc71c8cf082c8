"""The live run page in a real headless Chromium, served as in production
(scripts/web.sh) with a real worker: progress pushed by the event stream,
the graph's node turning from running to done, no reload. Saves the
README's screenshot of a live run (docs/images/dashboard-live.png)."""

from __future__ import annotations

import time

import pytest

from cache.store import cache_path
from runs import services
from tests import media_samples
from tests.factories import UserFactory
from tests.faults.stack import Gate
from tests.helpers import upload
from tests.live.fixtures import web_server  # noqa: F401 - the production web server
from tests.pages.test_browser import ARGS, CHROMIUM, PASSWORD, SCREENSHOTS, WAIT_MS

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason=f"no Chromium at {CHROMIUM}: `make browser` installs it with apt-get"),
]

SAMPLE = """(() => {
  const g = document.querySelector('svg.dag g.node[data-node="invert"]');
  const bar = document.querySelector('#run-frames progress');
  return {node: g ? g.dataset.status : null, frames: bar ? Number(bar.value) : null,
          total: bar ? Number(bar.max) : null,
          status: document.querySelector('#run-status').textContent.trim(),
          preview: !document.querySelector('#run-preview')?.hidden &&
                   !!document.querySelector('#run-preview img')?.getAttribute('src')};
})()"""


@pytest.fixture
def held_run(web_server, demo, api, tmp_path):  # noqa: F811
    """An `invert` run of ten seconds of 640x360 (long enough to report its
    frames several times), its worker waiting at the input's gate. Made
    before the browser starts: Playwright's loop then owns this thread."""
    painter = UserFactory(username="painter")
    api.force_authenticate(painter)
    clip = media_samples.video(tmp_path / "long.mp4", size=(640, 360), seconds=10, fps=25)
    content_hash = upload(api, clip.read_bytes(), "long.mp4")
    gate = Gate(cache_path(content_hash))
    run, _ = services.run_submit(recipe="invert", inputs=[content_hash], owner=painter)
    yield run, gate
    gate.restore()


@pytest.fixture
def chromium_page(web_server, held_run):  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS,
                                              headless=True)
        context = chromium.new_context(viewport={"width": 1280, "height": 900},
                                       base_url=web_server)
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        blocked = []
        page.on("console", lambda message: blocked.append(message.text)
                if "Content Security Policy" in message.text else None)
        yield page
        context.close()
        chromium.close()
    assert blocked == []


def test_the_run_page_shows_progress_advance_and_its_graph_node_turn_done_without_a_reload(
        chromium_page, held_run):
    page = chromium_page
    run, gate = held_run
    page.goto("/login")
    page.fill("#id_username", "painter")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    page.goto(f"/runs/{run.id}")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url)
            if frame == page.main_frame else None)
    page.evaluate("window.stillTheSamePage = true")
    assert page.locator('svg.dag g.node[data-node="invert"]').count() == 1
    gate.release()
    samples, shot = [], False
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        sample = page.evaluate(SAMPLE)
        if not samples or sample != samples[-1]:
            samples.append(sample)
        if sample["status"] == "completed":
            break
        assert time.monotonic() < deadline, samples
        if not shot and sample["node"] == "running" and sample["frames"] and sample["preview"]:
            page.screenshot(path=str(SCREENSHOTS / "dashboard-live.png"), full_page=True)
            shot = True
        time.sleep(0.05)
    running = [s for s in samples if s["node"] == "running" and s["frames"]]
    frames = [s["frames"] for s in running]
    assert len(set(frames)) >= 2 and frames == sorted(frames), samples  # it advanced
    assert all(s["total"] >= 200 for s in running)  # of about 250 frames
    assert any(s["preview"] for s in samples), samples  # a frame of the render, shown
    # The node turned from running to done, on the same page.
    assert samples[-1]["node"] == "done" or page.evaluate(SAMPLE)["node"] == "done"
    page.wait_for_selector('svg.dag g.node.done[data-node="invert"]')
    assert navigations == [] and page.evaluate("window.stillTheSamePage") is True
    # The finished part came with the output; a node's box opens its output.
    output = page.locator("#run-output").get_attribute("href")
    link = page.locator('svg.dag a.node-link:has(g[data-node="invert"])')
    assert link.get_attribute("href") == output
    link.click()
    page.wait_for_url(f"**{output}")


@pytest.fixture
def held_still(web_server, demo, api):  # noqa: F811
    """A `dog` run of a still of its own, held at its input's gate."""
    from tests.live.fixtures import picture

    painter = UserFactory(username="painter")
    api.force_authenticate(painter)
    content_hash = upload(api, picture(11), "still.png")
    gate = Gate(cache_path(content_hash))
    run, _ = services.run_submit(recipe="dog", inputs=[content_hash], owner=painter)
    yield run, gate
    gate.restore()


@pytest.fixture
def list_page(web_server, held_still):  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS,
                                              headless=True)
        context = chromium.new_context(base_url=web_server)
        context.set_default_timeout(WAIT_MS)
        yield context.new_page()
        context.close()
        chromium.close()


def test_the_run_list_and_home_change_a_runs_status_in_place_from_the_stream(list_page,
                                                                            held_still):
    page = list_page
    run, gate = held_still
    page.goto("/login")
    page.fill("#id_username", "painter")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    status = f"document.querySelector('[data-run=\"{run.id}\"] .status').textContent.trim()"
    assert page.evaluate(status) in ("pending", "running")  # home's latest runs
    streams = []
    page.on("response", lambda r: streams.append(r.status) if r.url.endswith("/events") else None)
    page.goto("/runs")
    assert page.evaluate(status) in ("pending", "running")
    page.evaluate("window.stillTheSamePage = true")
    gate.release()
    deadline = time.monotonic() + WAIT_MS / 1000
    while page.evaluate(status) != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert page.evaluate("window.stillTheSamePage") is True
    assert streams and streams[0] == 200  # followed on GET /events, not by polling
    # The refreshed row brought the output's preview and the time it took.
    page.wait_for_selector(f'[data-run="{run.id}"] img')
