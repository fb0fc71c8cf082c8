"""The demo recipes end to end, on generated media stored as files."""

from pathlib import Path

import numpy as np

from engine.dag import execute, plan
from engine.dag.ops import avio
from engine.dag.ops.resize import resize_frame
from engine.dag.store import DirectoryStore
from engine.dag.validate import validate
from engine.limits import Limits

RECIPES = Path(plan.__file__).parent / "recipes"


def load(name: str) -> dict:
    return validate((RECIPES / f"{name}.yaml").read_text())


def read(store, cache_id):
    path, media_type = store.find(cache_id)
    return avio.read(path, media_type=media_type, limits=Limits()), media_type


def colour(frame):  # the median ignores the bar sweeping across each clip
    return np.median(frame.reshape(-1, 3), axis=0)


def frame_at(clip, t: float) -> np.ndarray:
    return next(iter(clip.frames(t))).image


def beat_cuts(store, ctx, media, music: str, **params):
    p = plan.build(load("beat-cuts"), inputs={"music": media[music], "videos": media["clips"]},
                   params={"width": 96, "height": 64, **params})
    return p, execute.execute(p, ctx)


def test_beat_cuts_cuts_the_clips_on_the_musics_beats_and_keeps_the_music(store, ctx, media):
    _, out = beat_cuts(store, ctx, media, "music")
    video, media_type = read(store, out["output"])
    assert media_type == "video/mp4"
    assert abs(video.length - 3.0) < 0.1 and video.audio is not None
    # 120 bpm: a cut every 0.5 s, the clips taking turns. Each clip has its own
    # background colour, so the picture just after each beat names its clip.
    firsts = [colour(read(store, c)[0].first()) for c in media["clips"]]
    for cut in range(6):
        seen = colour(frame_at(video, cut * 0.5 + 0.1))
        nearest = int(np.argmin([np.abs(seen - f).sum() for f in firsts]))
        assert nearest == cut % 3, f"cut {cut} shows clip {nearest}"


def test_beat_cuts_whose_music_is_the_soundtrack_of_a_video(store, ctx, media):
    _, out = beat_cuts(store, ctx, media, "music_video")
    video, _ = read(store, out["output"])
    assert abs(video.length - 3.0) < 0.1 and video.audio is not None
    firsts = [colour(read(store, c)[0].first()) for c in media["clips"]]
    for cut in range(6):
        seen = colour(frame_at(video, cut * 0.5 + 0.1))
        assert int(np.argmin([np.abs(seen - f).sum() for f in firsts])) == cut % 3


def test_beat_cuts_again_with_two_beats_per_cut_reuses_the_analysis(store, ctx, media):
    beat_cuts(store, ctx, media, "music")
    again = execute.Context(store, ctx.limits, temp_dir=ctx.temp_dir)
    p, _ = beat_cuts(store, again, media, "music", beats_per_cut=2)
    rendered = {s.node for s in p.steps if s.cache_id in again.executed}
    assert rendered == {"cut", "out"}  # ANALYZE of the music came from the cache


def test_the_same_plan_renders_the_same_bytes_in_another_store(tmp_path, store, ctx, media):
    p, out = beat_cuts(store, ctx, media, "music")
    first = store.content_hash(out["output"])
    other = DirectoryStore(tmp_path / "other")
    for source in [media["music"], *media["clips"]]:
        path, media_type = store.find(source)
        other.put_file(path, media_type)
    other.put_list(media["clips"])
    second = execute.execute(p, execute.Context(other, Limits(), temp_dir=ctx.temp_dir))
    assert other.content_hash(second["output"]) == first


def test_slideshow_turns_stills_into_a_crossfaded_video(store, ctx, media):
    p = plan.build(load("slideshow"), inputs={"images": media["stills"]}, params={"crossfade": 0.5})
    video, media_type = read(store, execute.execute(p, ctx)["output"])
    assert media_type == "video/mp4" and video.size == (640, 360)
    assert abs(video.duration - (3 * 2.0 - 2 * 0.5)) < 0.1
    # Each still was fitted by its own MAP step: three RESIZE renders.
    # Stills given durations, resizes, the MAP's list, the sequence.
    assert len(ctx.executed) == 3 + 3 + 1 + 1


def test_picture_in_picture_lays_the_inset_over_a_corner(store, ctx, media):
    main, inset = media["clips"][0], media["silent"]
    p = plan.build(load("picture-in-picture"), inputs=[main, inset],
                   params={"opacity": 1.0, "scale": 0.5})
    video, _ = read(store, execute.execute(p, ctx)["output"])
    # The 80x48 inset at half size, placed at (0.65, 0.05) of the 96x64 main clip.
    expected = resize_frame(read(store, inset)[0].first(), 40, 24, "stretch")[:, :34]
    corner = video.first()[3:27, 62:96]
    assert np.abs(corner.astype(int) - expected.astype(int)).mean() < 6  # H.264 is lossy
    assert np.abs(video.first()[40:, :40].astype(int)
                  - read(store, main)[0].first()[40:, :40].astype(int)).mean() < 6
    assert video.audio is not None  # the main clip's sound
