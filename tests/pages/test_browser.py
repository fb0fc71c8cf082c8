"""The dashboard in a real headless Chromium (Debian's package, driven by
Playwright; no browser download) against a live server and a real Celery
worker process. Saves the README's screenshots to docs/images/."""

import json
import time
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from runs import services
from runs.demo import CAT, seed_demo
from tests.factories import UserFactory

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "images"
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
WAIT_MS = 120_000  # bounds a hung test only; nothing here asserts speed

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason=f"no Chromium at {CHROMIUM}: `make browser` installs it with apt-get"),
]


def wait_until(page, expression: str, timeout: float = WAIT_MS) -> None:
    """Poll a page expression from the test. Playwright's wait_for_function
    evaluates its predicate with eval inside the page, which the server's
    Content-Security-Policy (script-src 'self') rightly refuses; the test keeps
    that policy on, so the pages are tested as users get them."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout / 1000:.0f} s: {expression}"
        time.sleep(0.1)


@pytest.fixture
def site(worker, live_server, django_capture_on_commit_callbacks):
    """A live server with the demo, an artist, and two runs a worker renders
    in the background (so the home page has something to show)."""
    seed_demo()
    artist = UserFactory(username="painter")
    for recipe in ("sepia-print", "pixel-art"):
        services.run_submit(recipe=recipe, inputs=["cat"], owner=artist)
    return live_server.url


@pytest.fixture
def page(site):
    # Imported here so collection works where Playwright is not installed yet.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS,
                                              headless=True)
        context = chromium.new_context(viewport={"width": 1280, "height": 860},
                                       base_url=site)
        context.set_default_timeout(WAIT_MS)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
        page = context.new_page()
        # Anything the Content-Security-Policy blocked (an inline style or
        # script the pages should not have) shows as a console error.
        blocked = []
        page.on("console", lambda message: blocked.append(message.text)
                if "Content Security Policy" in message.text else None)
        yield page
        context.close()
        chromium.close()
    assert blocked == []


def log_in(page):
    page.goto("/login")
    page.fill("#id_username", "painter")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    assert page.locator("header.top").inner_text().count("painter") == 1


def test_an_artist_uploads_renders_through_dog_and_watches_the_run_finish_live(page, tmp_path):
    log_in(page)

    # Upload through the page: the file goes to POST /cache with a progress bar.
    # The demo cat, mirrored: a new image (new hash), and a nicer screenshot than noise.
    upload = tmp_path / "cat-mirrored.png"
    with Image.open(CAT) as cat:
        ImageOps.mirror(cat).save(upload)
    page.goto("/upload")
    page.set_input_files("#upload-file", str(upload))
    with page.expect_response(lambda r: r.url.endswith("/cache") and r.request.method == "POST") \
            as posted:
        page.click("#uploader button[type=submit]")
    assert posted.value.status == 201  # the API itself, with the session and CSRF token
    assert posted.value.request.header_value("x-csrftoken")
    page.wait_for_url("**/cache/*/detail")
    content_hash = page.url.rsplit("/", 2)[-2]
    assert page.locator("#content-hash").inner_text() == content_hash
    assert page.locator("h1").inner_text() == "cat-mirrored.png"

    # Render it through `dog` from the render form.
    page.click("header.top >> text=Render")
    page.select_option("#id_recipe", "dog")
    page.fill("#id_in_image", content_hash)
    page.fill("#id_output_name", "cat-mirrored-dog")
    page.click("#render-submit")
    page.wait_for_url("**/runs/*")
    run_id = page.url.rsplit("/", 1)[-1]

    # The run page updates itself: no navigation and no reload until it completes.
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url)
            if frame == page.main_frame else None)
    page.evaluate("window.stillTheSamePage = true")
    wait_until(
        page, "document.querySelector('#run-status').textContent.trim() === 'completed'",
        timeout=WAIT_MS)
    assert navigations == []
    assert page.evaluate("window.stillTheSamePage") is True
    output_hash = page.locator("#run-output").get_attribute("href").split("/")[2]
    provenance = json.loads(page.locator("#provenance-json").inner_text())
    assert provenance["output"]["content_hash"] == output_hash
    page.click("text=Copy as JSON")
    assert json.loads(page.evaluate("navigator.clipboard.readText()")) == provenance
    # The output's preview (a thumbnail a worker makes on demand) appears in place.
    wait_until(page, "document.querySelector('#run-output img').naturalWidth > 0")
    page.screenshot(path=str(SCREENSHOTS / "dashboard-run.png"), full_page=True)

    # The output in the cache browser, its preview loaded.
    page.goto("/cache?origin=rendered")
    card = page.locator(f"#cache-grid a[href='/cache/{output_hash}/detail']")
    assert card.count() == 1
    card.locator("img").scroll_into_view_if_needed()
    wait_until(
        page, f"document.querySelector(\"a[href='/cache/{output_hash}/detail'] img\").naturalWidth > 0")
    page.goto("/cache")
    wait_until(page, "[...document.querySelectorAll('#cache-grid img')]"
                           ".every(img => img.complete && img.naturalWidth > 0)")
    page.screenshot(path=str(SCREENSHOTS / "dashboard-cache.png"))

    card = page.locator(f"#cache-grid a[href='/cache/{output_hash}/detail']")
    card.click()
    page.wait_for_url(f"**/cache/{output_hash}/detail")
    assert page.locator(f"table a[href='/runs/{run_id}']").count() == 1  # "produced by"
    assert page.locator(f"#lineage a[href='/runs/{run_id}']").count() == 1  # its lineage

    # Home: counts, the latest runs with previews, and the worker answering.
    page.goto("/")
    wait_until(page, "document.querySelector('#workers code') !== null")
    wait_until(page, "[...document.querySelectorAll('.cards img')]"
                           ".every(img => img.complete && img.naturalWidth > 0)")
    page.screenshot(path=str(SCREENSHOTS / "dashboard-home.png"))


def test_pages_fit_a_phone_screen_follow_dark_mode_and_start_with_a_skip_link(page):
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/", "/cache", "/runs", "/recipes/dog", "/login"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
    page.emulate_media(color_scheme="dark")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(22, 23, 26)"
    page.emulate_media(color_scheme="light")
    page.goto("/cache")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    assert page.evaluate("[...document.images].every(img => img.alt)")


def test_the_render_form_follows_the_chosen_recipe_and_sends_the_params_set(page):
    log_in(page)
    # The ORM cannot be called while Playwright's loop runs: ask the API.
    cat = page.request.get("/assets/cat", headers={"Accept": "application/json"}).json()[
        "content_hash"]
    page.goto("/render")
    page.fill("#id_in_image", cat)
    # Another recipe: the form reloads for it, keeping the input given so far.
    page.select_option("#id_recipe", "diptych")
    page.wait_for_url("**/render?recipe=diptych*")
    assert page.input_value("#id_in_left") == cat and page.locator("#render-params").count() == 0
    page.select_option("#id_recipe", "dog")
    page.wait_for_url("**/render?recipe=dog*")
    sigma = page.locator("[data-param=sigma]")
    assert "float, 0.3 to 10, default 1.4" in sigma.inner_text()
    assert page.get_attribute("#id_param_sigma", "placeholder") == "1.4"
    page.fill("#id_param_sigma", "2.5")
    page.fill("#id_param_levels", "3")
    page.click("#render-submit")
    page.wait_for_url("**/runs/*")
    run = page.request.get(page.url, headers={"Accept": "application/json"}).json()
    assert run["recipe"] == "dog" and run["params"] == {"sigma": 2.5, "levels": 3}
    wait_until(page, "document.querySelector('#run-status').textContent.trim() === 'completed'")


def test_an_artist_renders_a_phone_clip_through_dog_and_sees_its_poster_and_facts(
        page, tmp_path):
    import av
    import numpy as np

    log_in(page)
    # The demo cat panning past the camera: H.264 with B-frames and sound.
    clip = tmp_path / "phone-cat.mp4"
    with Image.open(CAT) as cat:
        picture = np.asarray(cat.convert("RGB").resize((480, 360)))
    with av.open(str(clip), "w") as out:
        video = out.add_stream("libx264", rate=24)
        video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
        sound = out.add_stream("aac", rate=48000)
        for i in range(36):
            frame = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(picture[60:300, 4 * i:4 * i + 320]), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode())
        t = np.arange(int(1.5 * 48000)) / 48000
        tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
        samples = av.AudioFrame.from_ndarray(np.repeat(tone, 2, axis=0), format="fltp",
                                             layout="stereo")
        samples.sample_rate, samples.pts = 48000, 0
        out.mux(sound.encode(samples))
        out.mux(sound.encode())
    page.goto("/upload")
    page.set_input_files("#upload-file", str(clip))
    page.click("#uploader button[type=submit]")
    page.wait_for_url("**/cache/*/detail")
    content_hash = page.url.rsplit("/", 2)[-2]
    assert page.locator("#media-kind").inner_text() == "video"
    assert "24" in page.locator("#media-length").inner_text()

    # dog with one of its params set on the form.
    page.goto(f"/render?recipe=dog&inputs={content_hash}")
    page.fill("#id_param_levels", "4")
    page.fill("#id_output_name", "phone-cat-dog")
    page.click("#render-submit")
    page.wait_for_url("**/runs/*")
    wait_until(
        page, "document.querySelector('#run-status').textContent.trim() === 'completed'",
        timeout=WAIT_MS)
    output_hash = page.locator("#run-output").get_attribute("href").split("/")[2]

    page.goto(f"/cache/{output_hash}/detail")
    assert page.locator("#media-kind").inner_text() == "video"
    assert page.locator("#media-video").inner_text() == "h264"
    # Its poster is a real picture a worker made, shown in the player.
    wait_until(page, "document.querySelector('video') !== null")
    poster = page.locator("video").get_attribute("poster")
    wait_until(page, f"fetch('{poster}').then(r => r.status === 200)")
    page.reload()
    page.screenshot(path=str(SCREENSHOTS / "dashboard-video.png"), full_page=True)
    response = page.request.get(poster)
    assert response.status == 200 and response.headers["content-type"].startswith("image/")
