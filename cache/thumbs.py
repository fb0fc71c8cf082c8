"""Thumbnails: WebP previews made once per content hash and size, of
stills, animations (animated) and videos (a poster frame); sound has none.

They live beside the cache (THUMB_DIR, by default <cache dir>/../thumbs) at
thumbs/ab/<hash>-<size>.webp. The name is the source's hash and the size,
and the bytes are a pure function of both, so a thumbnail never changes once
written: it is served with an ETag and immutable caching. Files are written to
a temp file and renamed, so a reader sees a whole thumbnail or none.

Pages never make thumbnails themselves: the first request for a missing one
queues a Celery task and answers "pending"; uploads, imports and renders queue
the task as soon as their row is committed.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.cache import cache as local_cache
from django.db import transaction
from django.http import FileResponse, HttpResponse
import av
from PIL import Image, ImageOps, ImageSequence

from engine import probe
from l1site.celery import app

from . import content
from .headers import immutable_cache_control
from .models import CacheItem

log = logging.getLogger(__name__)

# Queued by name: cache.tasks imports this module.
MAKE_THUMBNAILS = "cache.tasks.make_thumbnails"
SIZES = (256, 1024)
MEDIA_TYPE = "image/webp"
# An animated thumbnail keeps frames until it holds this many pixels; a longer
# animation is cut short rather than costing the worker unbounded memory.
MAX_ANIMATED_PIXELS = 40_000_000


def thumb_root() -> Path:
    return Path(settings.THUMB_DIR) if settings.THUMB_DIR else settings.CACHE_DIR.parent / "thumbs"


def thumb_path(content_hash: str, size: int) -> Path:
    return thumb_root() / content_hash[:2] / f"{content_hash}-{size}.webp"


def _failed_marker(content_hash: str) -> Path:
    return thumb_root() / content_hash[:2] / f"{content_hash}.failed"


def can_preview(item: CacheItem) -> bool:
    """Files with pictures (stills, animations, video: a poster frame) that
    decoded when they entered the cache get thumbnails; sound gets none."""
    return item.is_visual and not item.decode_error


def thumbnail_state(item: CacheItem, size: int) -> str:
    """"ready", "pending" (queued or about to be), or "none" (no preview possible)."""
    if not can_preview(item) or _failed_marker(item.content_hash).exists():
        return "none"
    return "ready" if thumb_path(item.content_hash, size).exists() else "pending"


def _frames(image: Image.Image, size: int) -> tuple[list[Image.Image], list[int]]:
    frames, durations, pixels = [], [], 0
    for frame in ImageSequence.Iterator(image):
        small = frame.convert("RGBA")
        small.thumbnail((size, size), Image.Resampling.LANCZOS)
        pixels += small.width * small.height
        if frames and pixels > MAX_ANIMATED_PIXELS:
            break
        frames.append(small)
        durations.append(int(frame.info.get("duration") or 100))
    return frames, durations


def _encode(source, size: int, target) -> None:
    with Image.open(source) as image:
        if getattr(image, "n_frames", 1) > 1 and image.format != "MPO":
            # Animated GIF/WebP/PNG, multi-page TIFF: an animated WebP
            # thumbnail, timing kept.
            frames, durations = _frames(image, size)
            frames[0].save(target, "WEBP", save_all=len(frames) > 1, append_images=frames[1:],
                           duration=durations, loop=0, quality=80, method=4)
            return
        image.thumbnail((size, size), Image.Resampling.LANCZOS)  # drafts JPEGs: decodes small
        # Shown as the camera held it, the way the engine reads it.
        image = ImageOps.exif_transpose(image)
        _save_still(image, target)


def _save_still(image: Image.Image, target) -> None:
    mode = "RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB"
    image.convert(mode).save(target, "WEBP", quality=82, method=4)


# Where a video's poster is taken: a tenth of the way in, past the fade from
# black most clips open with.
POSTER_AT = 0.1
# Frames decoded past the keyframe before the poster's moment, at most: a
# clip with rare keyframes gets a poster a little early rather than a long
# decode.
POSTER_MAX_DECODE = 300
ROTATE = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180,
          270: Image.Transpose.ROTATE_270}


def _poster(source, duration: float | None) -> Image.Image:
    """A video's picture at POSTER_AT of its length (its first picture if the
    length is unknown), turned upright as a phone recorded it."""
    with av.open(source, options=dict(probe.OPEN_OPTIONS)) as container:
        stream = next((s for s in container.streams.video
                       if not s.disposition & av.stream.Disposition.attached_pic), None)
        if stream is None:
            raise ValueError("the file has no video")
        at = (duration or 0.0) * POSTER_AT
        begins = float((stream.start_time or 0) * stream.time_base)
        if at > 0:
            container.seek(int((begins + at) / stream.time_base), stream=stream, backward=True)
        picture = None
        for count, frame in enumerate(container.decode(stream)):
            picture = frame
            if frame.time is None or frame.time - begins >= at or count >= POSTER_MAX_DECODE:
                break
        if picture is None:
            raise ValueError("the video has no picture that decodes")
        image = picture.to_image()
        # frame.rotation is counterclockwise, as Pillow's ROTATE_* are.
        turn = ROTATE.get(round(picture.rotation / 90) % 4 * 90)
        return image.transpose(turn) if turn is not None else image


def _write_atomically(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = thumb_root() / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=tmp_dir, prefix="thumb-", delete=False) as temp:
        try:
            write(temp)
            temp.flush()
            os.fsync(temp.fileno())
        except BaseException:
            temp.close()
            os.unlink(temp.name)
            raise
    os.chmod(temp.name, 0o644)
    os.replace(temp.name, path)


def thumbnails_make(content_hash: str) -> list[Path]:
    """Make every missing thumbnail of one cached image (the task's work).
    Returns the paths that exist afterwards; idempotent."""
    item = CacheItem.objects.filter(pk=content_hash).first()
    if item is None or not can_preview(item):
        return []
    try:
        source = content.ensure_local(content_hash)  # fetched from the shared store if need be
    except content.ContentMissing:
        # The row outlived its bytes (removed by hand, quarantined by
        # cache_verify --repair): say "no preview" rather than leave pages
        # waiting for a thumbnail that cannot come. Storing the bytes again
        # lifts it (thumbnails_retry).
        _write_atomically(_failed_marker(content_hash),
                          lambda temp: temp.write(b"the file's bytes are no longer in the cache"))
        return []
    except content.ContentCorrupt:
        return []
    opened = _open_regular(source)
    if opened is None:
        return []
    with opened:
        return _make_sizes(item, opened)


def _open_regular(path: Path):
    """The file, opened once, if it is a regular file. A pipe or device at a
    cache path must never be read: opening one without O_NONBLOCK, or reading
    it, could block this worker forever."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _make_sizes(item: CacheItem, source) -> list[Path]:
    content_hash = item.content_hash
    made, poster = [], None
    for size in SIZES:
        path = thumb_path(content_hash, size)
        if not path.exists():
            try:
                source.seek(0)
                if item.kind == CacheItem.Kind.VIDEO:
                    poster = poster or _poster(source, item.duration)  # once, for every size
                    _write_atomically(path, lambda temp, size=size: _save_still(
                        _fitted(poster, size), temp))
                else:
                    _write_atomically(path, lambda temp, size=size: _encode(source, size, temp))
            except (av.FFmpegError, OSError, ValueError, SyntaxError,
                    Image.DecompressionBombError) as exc:
                if (isinstance(exc, OSError) and not isinstance(exc, av.FFmpegError)
                        and exc.errno is not None):
                    raise  # the disk, not the image (full, read-only): worth another try later
                # It decoded at upload but not now (e.g. a format quirk Pillow
                # cannot re-encode): remember, so pages show an icon instead
                # of waiting for a thumbnail that will never come.
                log.warning("no thumbnail for %s: %s", content_hash, exc)
                reason = str(exc).encode()
                _write_atomically(_failed_marker(content_hash), lambda temp: temp.write(reason))
                return made
        made.append(path)
    return made


def _fitted(image: Image.Image, size: int) -> Image.Image:
    small = image.copy()
    small.thumbnail((size, size), Image.Resampling.LANCZOS)
    return small


def thumbnails_missing():
    """Cached pictures with at least one thumbnail still to make (for backfills)."""
    images = CacheItem.objects.filter(
        kind__in=[CacheItem.Kind.STILL, CacheItem.Kind.ANIMATION, CacheItem.Kind.VIDEO],
        decode_error="").order_by("-created_at", "-content_hash")
    for item in images.iterator(chunk_size=2000):
        if any(thumbnail_state(item, size) == "pending" for size in SIZES):
            yield item


def _queue(content_hash: str) -> None:
    queue = {"queue": settings.THUMB_QUEUE} if settings.THUMB_QUEUE else {}
    # ignore_result as the task declares it: nobody waits for a result.
    app.send_task(MAKE_THUMBNAILS, args=[content_hash], ignore_result=True, **queue)


def thumbnails_queue(item: CacheItem) -> None:
    """Queue the thumbnails of a new cache item once its row is committed."""
    if can_preview(item):
        # robust: a broker outage must not fail the upload; pages queue again on first need.
        transaction.on_commit(lambda: _queue(item.content_hash), robust=True)


def thumbnails_retry(item: CacheItem) -> None:
    """The bytes of an indexed file were stored again: if its thumbnails had
    been given up on, try once more."""
    marker = _failed_marker(item.content_hash)
    if marker.exists():
        marker.unlink(missing_ok=True)
        thumbnails_queue(item)


def thumbnail_request(item: CacheItem, size: int) -> Path | None:
    """The thumbnail's path if it exists; otherwise queue it (at most once a
    minute per item in this process) and return None."""
    path = thumb_path(item.content_hash, size)
    if path.exists():
        return path
    if thumbnail_state(item, size) == "pending" and local_cache.add(
            f"thumb-queued:{item.content_hash}", 1, timeout=60):
        try:
            _queue(item.content_hash)
        except Exception:  # noqa: BLE001 - a broker outage: the next request tries again
            log.exception("could not queue thumbnails of %s", item.content_hash)
            local_cache.delete(f"thumb-queued:{item.content_hash}")
    return None


def serve_thumbnail(item: CacheItem, size: int, path: Path, *, if_none_match: str) -> HttpResponse:
    etag = f'"{item.content_hash}-{size}"'
    if etag in {tag.strip() for tag in if_none_match.split(",")}:
        response = HttpResponse(status=304)
    else:
        response = FileResponse(open(path, "rb"), content_type=MEDIA_TYPE)
    response["ETag"] = etag
    response["Cache-Control"] = immutable_cache_control()  # as the original's
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="{item.content_hash}-{size}.webp"'
    return response
