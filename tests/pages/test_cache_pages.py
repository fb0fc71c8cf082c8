"""The cache browser and a cached file's page."""

import pytest
from django.utils import timezone

from assets.models import Asset
from cache.models import CacheItem
from cache.services import cache_store_bytes
from cache.store import cache_path
from tests import images

pytestmark = pytest.mark.django_db


def store(data: bytes, name: str = "x.png", origin: str = "uploaded") -> CacheItem:
    return cache_store_bytes(data, origin=origin, name=name)


def hashes_on(page) -> list[str]:
    return [item.content_hash for item in page.context["page"].rows]


def test_the_browser_lists_everything_newest_first_with_previews(browser):
    old, new = store(images.png(seed=1), "old.png"), store(images.png(seed=2), "new.png")
    CacheItem.objects.filter(pk=old.pk).update(created_at=timezone.now() - timezone.timedelta(days=1))
    page = browser.get("/cache")
    assert hashes_on(page) == [new.pk, old.pk]
    html = page.content.decode()
    assert f'src="/cache/{new.pk}/thumb/256"' in html and 'alt="new.png (image/png)"' in html


def test_filters_by_media_type_and_origin(browser):
    png = store(images.png(seed=1))
    gif = store(images.animated_gif(), "a.gif", origin="rendered")
    text = store(b"some notes", "notes.txt")
    assert hashes_on(browser.get("/cache", {"media_type": "image/gif"})) == [gif.pk]
    assert set(hashes_on(browser.get("/cache", {"media_type": "image/"}))) == {png.pk, gif.pk}
    assert hashes_on(browser.get("/cache", {"origin": "rendered"})) == [gif.pk]
    assert hashes_on(browser.get("/cache", {"media_type": "text/plain"})) == [text.pk]


def test_search_finds_a_hash_prefix_or_an_asset_name(browser):
    a, b = store(images.png(seed=1)), store(images.png(seed=2))
    Asset.objects.create(name="Lighthouse", content=b)
    assert hashes_on(browser.get("/cache", {"q": a.pk[:6]})) == [a.pk]
    assert hashes_on(browser.get("/cache", {"q": a.pk[:6].upper()})) == [a.pk]
    assert hashes_on(browser.get("/cache", {"q": "light"})) == [b.pk]
    assert hashes_on(browser.get("/cache", {"q": "no-such-thing"})) == []


def test_pages_follow_on_without_gaps_or_repeats_even_when_timestamps_tie(browser, settings):
    settings.DASHBOARD_PAGE_SIZE = 2
    items = [store(images.png(seed=s)) for s in range(5)]
    same = timezone.now()
    CacheItem.objects.filter(pk__in=[i.pk for i in items[1:4]]).update(created_at=same)
    seen, url, query = [], "/cache", {}
    while True:
        page = browser.get(url, query)
        seen += hashes_on(page)
        cursor = page.context["page"].next_cursor
        if not cursor:
            break
        assert "rel=\"next\"" in page.content.decode()
        query = {"after": cursor}
    expected = list(CacheItem.objects.order_by("-created_at", "-content_hash")
                    .values_list("pk", flat=True))
    assert seen == expected and len(set(seen)) == 5


def test_a_bad_filter_or_cursor_is_a_400_page_not_a_500(browser):
    for query in ({"origin": "stolen"}, {"after": "yesterday"}, {"after": "2026-13-40T00:00~ab"}):
        page = browser.get("/cache", query)
        assert page.status_code == 400, query
        assert page["Content-Type"].startswith("text/html")


def test_an_item_page_shows_metadata_download_and_the_runs_around_it(browser, rendered):
    output = rendered.output
    page = browser.get(f"/cache/{output.pk}/detail").content.decode()
    assert output.pk in page and "image/png" in page
    assert f'href="/cache/{output.pk}" download' in page
    assert f'href="/runs/{rendered.id}"' in page  # produced by
    cat = rendered.inputs[0]["content_hash"]
    cat_page = browser.get(f"/cache/{cat}/detail").content.decode()
    assert f'href="/runs/{rendered.id}"' in cat_page  # used as input by
    assert 'href="/assets/cat"' in cat_page


def test_anonymous_visitors_are_asked_to_log_in_before_rendering(browser, artist_browser, demo):
    cat = Asset.objects.get(name="cat").content_id
    assert 'action="/render"' not in browser.get(f"/cache/{cat}/detail").content.decode()
    mine = artist_browser.get(f"/cache/{cat}/detail").content.decode()
    assert 'action="/render"' in mine and "<option>dog</option>" in mine
    # It opens the full form (params, and a second input for diptych) with the file filled in.
    assert f'name="inputs" value="{cat}"' in mine and 'method="get"' in mine
    form = artist_browser.get("/render", {"recipe": "diptych", "inputs": cat}).content.decode()
    assert f'name="in_left" value="{cat}"' in form and 'name="in_right" value=""' in form


def test_a_file_that_is_no_image_shows_an_icon_with_its_type_and_size(browser):
    notes = store(b"x" * 2048, "notes.txt")
    page = browser.get(f"/cache/{notes.pk}/detail").content.decode()
    assert 'class="icon"' in page and "2.0\xa0KB" in page and "/thumb/" not in page


def test_an_item_whose_bytes_are_gone_still_has_a_page_that_says_so(artist_browser):
    item = store(images.png(47, 29, seed=4711), "gone.png")  # bytes no other test stores
    cache_path(item.pk).unlink()
    response = artist_browser.get(f"/cache/{item.pk}/detail")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="bytes-unavailable"' in page and "bytes of this file are not available" in page
    assert item.pk in page and 'id="lineage"' in page
    assert "/thumb/" not in page and f'href="/cache/{item.pk}"' not in page
    assert 'action="/render"' not in page


def test_an_invalid_or_unknown_hash_is_an_html_error_page(browser, db):
    assert browser.get("/cache/nothex/detail").status_code == 400
    assert browser.get(f"/cache/{'a' * 64}/detail").status_code == 404


def test_an_svg_or_html_file_is_an_icon_and_a_download_never_inline(browser):
    svg = store(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "x.svg")
    html = store(b"<script>alert(1)</script>", "x.html")
    for item in (svg, html):
        page = browser.get(f"/cache/{item.pk}/detail").content.decode()
        assert 'class="icon"' in page and "<script>alert" not in page
        raw = browser.get(f"/cache/{item.pk}")
        assert raw["Content-Disposition"].startswith("attachment")
        assert raw["X-Content-Type-Options"] == "nosniff"
        assert browser.get(f"/cache/{item.pk}/thumb/256").status_code == 404


def test_an_output_page_shows_its_lineage_back_to_the_source(browser, rendered):
    cat = rendered.inputs[0]["content_hash"]
    page = browser.get(f"/cache/{rendered.output_id}/detail").content.decode()
    lineage = page.split('id="lineage"')[1]
    assert rendered.id[:12] in lineage and "<code>dog</code>" in lineage
    assert f"/cache/{cat}/detail" in lineage and "(imported)" in lineage
    source = browser.get(f"/cache/{cat}/detail").content.decode()
    assert "A source: imported" in source.split('id="lineage"')[1]


def test_a_video_shows_its_length_rate_and_codecs_with_a_poster(browser, tmp_path):
    from tests import media_samples as samples

    clip = samples.h264_clip(tmp_path / "c.mp4", size=(176, 144), seconds=2, fps=25,
                             audio="stereo", rate=48000)
    item = store(clip.read_bytes(), "holiday.mp4")
    page = browser.get(f"/cache/{item.pk}/detail").content.decode()
    assert '<dd id="media-kind">video</dd>' in page
    assert '<dd id="media-pixels">176 × 144, 50 frames</dd>' in page
    assert '<dd id="media-length">0:02 at 25 fps</dd>' in page
    assert '<dd id="media-video">h264</dd>' in page
    assert '<dd id="media-sound">aac, 48 kHz, stereo</dd>' in page
    assert f'poster="/cache/{item.pk}/thumb/1024"' in page and " controls" in page
    listing = browser.get("/cache").content.decode()
    assert f'<img src="/cache/{item.pk}/thumb/256"' in listing and "▶ 0:02" in listing
    assert "176×144 · 0:02 · 25 fps" in listing and "h264 + aac" in listing


def test_a_sound_file_shows_its_length_and_a_player(browser, tmp_path):
    from tests import media_samples as samples

    item = store(samples.mp3(tmp_path / "s.mp3", seconds=2, rate=44100, channels=1).read_bytes(),
                 "song.mp3")
    page = browser.get(f"/cache/{item.pk}/detail").content.decode()
    assert '<dd id="media-kind">audio</dd>' in page and '<dd id="media-length">0:02</dd>' in page
    assert '<dd id="media-sound">mp3, 44.1 kHz, mono</dd>' in page
    assert f'<audio src="/cache/{item.pk}"' in page and "/thumb/" not in page
    assert "0:02 · " in browser.get("/cache").content.decode()
