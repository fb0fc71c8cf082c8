"""Every executor on values in memory: ``run(config, inputs, ctx)`` called
directly, pictures generated on the fly so a test sees what each op reads."""

import tracemalloc
import weakref

import numpy as np
import pytest

from engine.dag.ops import (_audio, analyze, audio_mix, blend, effect, layer, mux, resize,
                            segment, source, transform)
from engine.dag.ops._values import Audio, from_frames, still

from .made import Numbered, Values, beat_track, number, numbered, streamed, tone

ANALYSIS = {"min_bpm": 60.0, "max_bpm": 180.0}


def pictures(clip):
    return [(number(f.image), round(f.start, 6), round(f.duration, 6)) for f in clip.frames()]


# --- EFFECT -------------------------------------------------------------------

def test_an_effect_over_a_clip_keeps_its_timing_sound_and_format():
    sound = tone(2.0)
    source = numbered(20, fps=10, audio=sound)
    out = effect.run({"effect": "invert", "params": {}}, [source], Values())
    frames = list(out.frames())
    assert [255 - int(f.image[0, 0, 0]) for f in frames] == list(range(20))
    assert [(f.start, f.duration) for f in frames] == [(f.start, f.duration)
                                                       for f in source.frames()]
    assert out.audio is sound and out.size == (64, 48) and out.count == 20
    gif = from_frames([np.zeros((8, 8, 3), np.uint8)] * 2, [0.1, 0.2], format="GIF", loop=0)
    animated = effect.run({"effect": "invert", "params": {}}, [gif], Values())
    assert (animated.format, animated.loop, animated.duration) == ("GIF", 0, gif.duration)


def test_an_effect_that_changes_the_size_declares_it_and_computes_the_first_picture_once():
    calls = []

    def rotate(images):
        calls.append(1)
        return np.ascontiguousarray(np.rot90(images[0]))

    out = effect.combined([numbered(12, size=(64, 48))], rotate)
    assert out.size == (48, 64) and len(calls) == 1  # known before the writer reads
    assert [f.image.shape for f in out.frames()] == [(64, 48, 3)] * 12
    assert len(calls) == 12  # the first picture was not computed again
    assert effect.run({"effect": "rotate", "params": {"degrees": 90}},
                      [numbered(3, size=(64, 48))], Values()).size == (48, 64)


def test_hstack_of_a_still_beside_a_clip_follows_the_clips_time():
    clip = numbered(6, fps=10, size=(40, 30), audio=tone(0.6))
    side = still(np.full((30, 20, 3), 99, np.uint8))
    out = effect.run({"effect": "hstack", "params": {}}, [side, clip], Values())
    frames = list(out.frames())
    assert out.size == (60, 30) and len(frames) == 6 and out.audio is clip.audio
    assert [number(f.image[:, 20:]) for f in frames] == list(range(6))
    assert all(int(f.image[0, 0, 0]) == 99 for f in frames)


def test_an_effect_over_a_clip_holds_a_few_frames_whatever_its_length():
    def peak(count: int) -> tuple[int, int]:
        source = numbered(count, fps=25, size=(320, 240))
        out = effect.run({"effect": "invert", "params": {}}, [source], Values())
        alive, most = [], 0
        tracemalloc.start()
        try:
            for frame in out.frames():  # as a writer pulls them
                alive.append(weakref.ref(frame.image))
                most = max(most, sum(r() is not None for r in alive[-8:]))
                del frame
            return tracemalloc.get_traced_memory()[1], most
        finally:
            tracemalloc.stop()

    short, short_alive = peak(100)
    long, long_alive = peak(1000)
    assert long / short < 1.5, (short, long)
    assert short_alive <= 2 and long_alive <= 2
    assert long < 20 * 320 * 240 * 3  # a handful of frames, never the clip


# --- TRANSFORM ----------------------------------------------------------------

def _textured(count: int = 4):
    rng = np.random.default_rng(1)
    images = [rng.integers(30, 220, (48, 64, 3)).astype(np.uint8) for _ in range(count)]
    return from_frames(images, [0.1] * count, tone(0.1 * count))


@pytest.mark.parametrize("op, amount, check", [
    ("brightness", 1.5, lambda a, b: b.mean() > a.mean()),
    ("contrast", 2.0, lambda a, b: b.std() > a.std()),
    ("saturation", 0.0, lambda a, b: np.ptp(b.astype(int), axis=2).max() <= 1),
    ("hue", 120.0, lambda a, b: not np.array_equal(a, b) and abs(int(a.mean()) - int(b.mean())) < 8),
    ("gamma", 2.0, lambda a, b: b.mean() > a.mean()),
    ("blur", 3.0, lambda a, b: b.std() < a.std()),
    ("sharpen", 2.0, lambda a, b: np.abs(np.diff(b.astype(int), axis=1)).sum()
     > np.abs(np.diff(a.astype(int), axis=1)).sum()),
])
def test_each_transform_changes_every_picture_as_named(op, amount, check):
    clip = _textured()
    out = transform.run({"op": op, "amount": amount}, [clip], Values())
    pairs = list(zip(clip.frames(), out.frames()))
    assert len(pairs) == 4 and out.audio is clip.audio and out.duration == clip.duration
    assert all(check(a.image, b.image) for a, b in pairs)


def test_speed_divides_the_timestamps_and_resamples_the_sound_like_a_tape():
    sound = beat_track(seconds=2.0)
    out = transform.run({"op": "speed", "amount": 2.0}, [numbered(20, fps=10, audio=sound)],
                        Values())
    assert abs(out.duration - 1.0) < 1e-9 and float(out.fps) == 20.0
    assert pictures(out)[:3] == [(0, 0.0, 0.05), (1, 0.05, 0.05), (2, 0.1, 0.05)]
    assert [number(f.image) for f in out.frames(0.5)][0] == 10  # frames(t) seeks in its time
    expected = sound.samples[(np.arange(len(sound.samples) // 2) * 2.0).astype(np.int64)]
    assert np.array_equal(out.audio.samples, expected)


def test_speed_gives_the_same_sound_streamed_in_chunks_as_in_memory():
    sound = beat_track(seconds=1.0)
    for factor in (0.75, 1.5, 3.0):
        whole = _audio.respeed(sound, factor).samples
        assert np.array_equal(_audio.respeed(streamed(sound, 999), factor).samples, whole)
        assert abs(len(whole) - len(sound.samples) / factor) <= 1


# --- RESIZE, LAYER, BLEND -------------------------------------------------------

@pytest.mark.parametrize("mode, size", [("fit", (64, 43)), ("fill", (64, 64)),
                                        ("stretch", (64, 64)), ("pad", (64, 64))])
def test_resize_modes_give_the_sizes_they_promise_before_and_after_reading(mode, size):
    clip = from_frames([np.full((64, 96, 3), 80, np.uint8)] * 3, [0.1] * 3)
    out = resize.run({"width": 64, "height": 64, "mode": mode}, [clip], Values())
    assert out.size == size
    assert [f.image.shape[1::-1] for f in out.frames()] == [size] * 3


def photograph_like(height: int, width: int, seed: int = 3) -> np.ndarray:
    """Noise with a photograph's spectrum (amplitude falling as 1/f^1.2): detail
    at every scale, fine detail faint, as a camera sees the world."""
    rng = np.random.default_rng(seed)
    f = np.hypot(np.fft.fftfreq(height)[:, None], np.fft.rfftfreq(width)[None, :])
    f[0, 0] = 1.0
    planes = []
    for _ in range(3):
        spectrum = (rng.normal(size=f.shape) + 1j * rng.normal(size=f.shape)) / f ** 1.2
        plane = np.fft.irfft2(spectrum, s=(height, width))
        planes.append((plane - plane.mean()) / plane.std() * 50 + 128)
    return np.clip(np.stack(planes, axis=2), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("shrink", [2, 3, 4, 6])
def test_resize_shrinks_in_two_steps_that_look_like_plain_lanczos(shrink):
    from PIL import Image

    big = photograph_like(62 * shrink, 106 * shrink)
    clip = from_frames([big], [0.1])
    out = resize.run({"width": 106, "height": 62, "mode": "fill"}, [clip], Values()).first()
    plain = np.asarray(Image.fromarray(big).resize((106, 62), Image.LANCZOS))
    difference = np.abs(out.astype(np.int16) - plain)
    if shrink < 3:  # no whole factor leaves Lanczos 1.5 times to do
        assert not difference.any()
    else:
        # Close (a box average alone is 2 to 3 levels off, bicubic about one),
        # and not the same bytes: the box reduction ran.
        assert 0 < difference.mean() < 1.5 and np.percentile(difference, 99) <= 5
    again = resize.run({"width": 106, "height": 62, "mode": "fill"}, [clip], Values()).first()
    assert again.tobytes() == out.tobytes()


def test_layer_places_a_scaled_faded_overlay():
    base = still(np.zeros((100, 100, 3), np.uint8))
    top = still(np.full((100, 100, 3), 200, np.uint8))
    out = layer.run({"x": 0.5, "y": 0.5, "scale": 0.25, "opacity": 0.5},
                    {"base": base, "overlay": top}, Values())
    frame = out.first()
    assert frame[60, 60].tolist() == [100, 100, 100] and frame[40, 40].tolist() == [0, 0, 0]
    assert frame[74, 74].tolist() == [100, 100, 100] and frame[76, 76].tolist() == [0, 0, 0]


def test_a_still_base_under_a_moving_overlay_takes_the_overlays_time():
    overlay = numbered(5, fps=10, size=(20, 20), audio=tone(0.5))
    out = layer.run({"x": 0.0, "y": 0.0, "scale": 1.0, "opacity": 1.0},
                    {"base": still(np.zeros((40, 50, 3), np.uint8)), "overlay": overlay},
                    Values())
    assert out.size == (50, 40) and out.audio is overlay.audio and out.format is None
    assert [number(f.image) for f in out.frames()] == list(range(5))


@pytest.mark.parametrize("mode, expected", [
    ("multiply", 50), ("screen", 178), ("add", 150), ("subtract", 50), ("average", 114),
    ("difference", 0), ("lighten", 100), ("darken", 100), ("overlay", 100)])
def test_blend_modes_compute_their_formula_and_resize_the_second(mode, expected):
    grey = still(np.full((40, 40, 3), 100, np.uint8))
    level = 100 if mode in ("difference", "lighten", "darken") else 128
    if mode in ("add", "subtract"):
        level = 50
    other = still(np.full((10, 30, 3), level, np.uint8))
    out = blend.run({"mode": mode, "opacity": 1.0}, {"a": grey, "b": other}, Values())
    assert out.size == (40, 40) and abs(int(out.first()[5, 5, 0]) - expected) <= 1


def test_blend_of_two_clips_pairs_the_pictures_showing_at_the_same_time():
    fast, slow = numbered(10, fps=10, size=(16, 16)), numbered(5, fps=5, size=(16, 16), tint=0)
    out = blend.run({"mode": "lighten", "opacity": 1.0}, {"a": fast, "b": slow}, Values())
    # lighten keeps the larger number: the fast clip's i against the slow clip's i // 2
    assert [number(f.image) for f in out.frames()] == list(range(10))
    assert out.duration == fast.duration and out.count == 10


# --- SEGMENT --------------------------------------------------------------------

def test_a_segment_from_the_middle_starts_at_zero_and_reads_nothing_before_it():
    sound = beat_track(seconds=3.0)
    made = Numbered(30, fps=10, audio=streamed(sound))
    out = segment.run({"start": 1.25, "duration": 1.0}, [made.clip], Values())
    frames = pictures(out)
    assert frames[0] == (12, 0.0, 0.05) and frames[1] == (13, 0.05, 0.1)
    assert frames[-1] == (22, 0.95, 0.05) and len(frames) == 11
    assert abs(sum(f[2] for f in frames) - 1.0) < 1e-9 and abs(out.duration - 1.0) < 1e-9
    assert min(made.opened) >= 1.25 and made.produced <= 12  # seeked, not read from 0
    rate = sound.rate
    assert np.array_equal(out.audio.samples,
                          sound.samples[int(round(1.25 * rate)):int(round(2.25 * rate))])
    assert [number(f.image) for f in out.frames(0.5)][:2] == [17, 18]


def test_a_segment_of_sound_alone_is_cut_by_samples():
    sound = tone(2.0, rate=48000, channels=1)
    out = segment.run({"start": 0.5, "duration": 0.0}, [streamed(sound, 4096)], Values())
    assert isinstance(out, Audio) and out.channels == 1
    assert np.array_equal(out.samples, sound.samples[24000:])


def test_a_segment_past_the_end_is_refused_with_a_reason():
    with pytest.raises(Exception, match="lasts"):
        segment.run({"start": 9.0, "duration": 0.0}, [numbered(10)], Values())


# --- MUX, AUDIO_MIX, SOURCE ------------------------------------------------------

def test_mux_puts_one_inputs_sound_under_anothers_pictures_fitted_to_their_length():
    music = beat_track(seconds=3.0)
    video = numbered(10, fps=10, audio=tone(1.0))
    out = mux.run({}, {"video": video, "audio": streamed(music)}, Values())
    assert abs(out.audio.duration - 1.0) < 1e-9 and out.duration == video.duration
    assert np.array_equal(out.audio.samples, music.samples[:music.rate])
    longer = mux.run({}, {"video": numbered(40, fps=10), "audio": music}, Values())
    padded = longer.audio.samples
    assert len(padded) == 4 * music.rate and not padded[3 * music.rate:].any()


def test_mux_of_a_still_with_sound_makes_a_video_as_long_as_the_sound():
    image = np.full((30, 40, 3), 50, np.uint8)
    # The sound is a clip's soundtrack: its pictures are never read.
    soundtrack = Numbered(25, fps=10, audio=tone(2.5), pictures=False).clip
    out = mux.run({}, {"video": still(image), "audio": soundtrack}, Values())
    assert out.duration == 2.5 and not out.still and out.format is None
    assert [(f.start, f.duration) for f in out.frames()] == [(0.0, 2.5)]
    assert np.array_equal(out.first(), image)
    assert np.array_equal(out.audio.samples, tone(2.5).samples)


def test_audio_mix_applies_gains_and_normalizes_the_peak():
    out = audio_mix.run({"gains": [1.0, 0.5], "normalize": True},
                        [beat_track(seconds=1.0), beat_track(seconds=2.0, rate=16000)], Values())
    assert out.rate == 22050 and abs(out.duration - 2.0) < 0.01
    assert 0.97 < float(np.abs(out.samples).max()) <= 0.99


def test_audio_mix_takes_a_clips_soundtrack_without_reading_its_pictures():
    track = Numbered(10, audio=tone(1.0), pictures=False).clip
    out = audio_mix.run({"gains": [1.0], "normalize": False}, [track], Values())
    assert np.array_equal(out.samples, tone(1.0).samples)


@pytest.mark.parametrize("op, inputs", [
    (mux, {"video": "pictures", "audio": "silent"}),
    (audio_mix, ["sound", "silent"]),
])
def test_a_node_that_needs_sound_names_itself_and_the_silent_input(op, inputs):
    values = {"pictures": numbered(3), "silent": numbered(3), "sound": tone(0.3)}
    ctx = Values(node="mix")
    ctx.input_names = {"audio": "music", 1: "music"}
    given = ({k: values[v] for k, v in inputs.items()} if isinstance(inputs, dict)
             else [values[v] for v in inputs])
    config = {"gains": [1.0, 1.0], "normalize": True}
    with pytest.raises(_audio.NoSound, match="^node 'mix': input 'music' has no sound$"):
        op.run(config, given, ctx)


def test_a_still_given_a_duration_lasts_that_long():
    out = source.run({"duration": 2.0}, [still(np.zeros((4, 4, 3), np.uint8))], Values())
    assert out.duration == 2.0 and [f.duration for f in out.frames()] == [2.0]


# --- ANALYZE --------------------------------------------------------------------

@pytest.mark.parametrize("bpm", [90, 120, 150])
def test_analyze_finds_the_tempo_and_beats_of_music(bpm):
    facts = analyze.run(ANALYSIS, [beat_track(bpm=bpm, seconds=4.0)], Values())
    assert abs(facts["tempo"] - bpm) / bpm < 0.03
    gaps = np.diff(facts["beats"])
    assert np.all(np.abs(gaps - 60 / bpm) < 0.02) and len(facts["onsets"]) >= 4
    assert facts["kind"] == "audio" and abs(facts["duration"] - 4.0) < 0.01


def test_analyze_gives_the_same_facts_for_sound_streamed_in_chunks():
    music = beat_track(bpm=120, seconds=3.0)
    assert analyze.run(ANALYSIS, [streamed(music, 777)], Values()) == \
        analyze.run(ANALYSIS, [music], Values())


def test_analyze_of_a_video_reads_its_soundtrack_and_never_its_pictures():
    music = beat_track(bpm=120, seconds=3.0)
    video = Numbered(36, fps=12, size=(97, 61), audio=streamed(music), pictures=False).clip
    facts = analyze.run(ANALYSIS, [video], Values())
    assert (facts["kind"], facts["width"], facts["height"], facts["frames"], facts["fps"]) == \
        ("video", 97, 61, 36, 12.0)
    assert abs(facts["tempo"] - 120) < 4 and facts["beats"] == \
        analyze.run(ANALYSIS, [music], Values())["beats"]


def test_analyze_of_a_video_without_sound_gives_facts_without_beats():
    facts = analyze.run(ANALYSIS, [Numbered(12, fps=12, pictures=False).clip], Values())
    assert facts == {"duration": 1.0, "kind": "video", "width": 64, "height": 48,
                     "frames": 12, "fps": 12.0}
