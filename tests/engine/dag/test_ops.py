"""Every node type on real media: generated pictures, clips and sound, through PyAV."""

import av
import numpy as np
import pytest

from engine.dag import execute, plan, synth
from engine.dag.ops import avio
from engine.dag.ops._values import Audio, Clip
from engine.dag.validate import validate
from engine.errors import DecodeError, TooLarge

from .conftest import MAX_PIXELS


def run_node(store, ctx, node: str, sources: dict[str, object], output_kind="") -> object:
    """Run a one-node graph over the given inputs and return its value."""
    lines = ["name: probe", "dag:", "  nodes:"]
    names = list(sources)
    for name in names:
        lines.append(f"    - {{id: {name}, type: SOURCE, config: {{input: true, name: {name}}}}}")
    lines += [f"    - {node}", "  output: probe"]
    recipe = validate("\n".join(lines))
    bound = {n: store.put(*synth.as_file(v)) if not isinstance(v, str) else v
             for n, v in sources.items()}
    p = plan.build(recipe, inputs=bound)
    execute.run_plan(p, ctx)
    return ctx.load(p.outputs["output"])


def test_a_clip_survives_a_lossless_round_trip_bit_for_bit_and_encodes_deterministically(tmp_path):
    clip = synth.clip(seed=3, seconds=1.0, tone=440)
    data, media_type = avio.encode(clip)
    assert media_type == "video/x-matroska" and avio.encode(clip)[0] == data
    (tmp_path / "c.mkv").write_bytes(data)
    back = avio.decode(tmp_path / "c.mkv", max_pixels=MAX_PIXELS)
    assert all(np.array_equal(a, b) for a, b in zip(back.frames, clip.frames))
    assert back.durations == clip.durations and len(back.frames) == len(clip.frames)
    assert abs(back.audio.duration - 1.0) < 0.01


@pytest.mark.parametrize("fmt, vcodec, acodec", [("mp4", "libx264", "aac"),
                                                 ("webm", "libvpx-vp9", "libopus"),
                                                 ("matroska", "libx264", "aac")])
def test_videos_from_other_tools_decode_with_pictures_and_sound(tmp_path, fmt, vcodec, acodec):
    path = tmp_path / f"in.{fmt}"
    with av.open(str(path), "w", format=fmt) as out:
        video = out.add_stream(vcodec, rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        sound = out.add_stream(acodec, rate=48000)
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 20, np.uint8), "rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode())
        samples = av.AudioFrame.from_ndarray(np.zeros((1, 48000), np.float32), format="flt",
                                             layout="mono")
        samples.sample_rate = 48000
        samples.pts = 0
        out.mux(sound.encode(samples))
        out.mux(sound.encode())
    clip = avio.decode(path, max_pixels=MAX_PIXELS)
    assert len(clip.frames) == 10 and clip.size == (64, 48)
    assert clip.audio is not None and 0.9 < clip.audio.duration < 1.1


@pytest.mark.parametrize("fmt, codec", [("wav", "pcm_s16le"), ("mp3", "libmp3lame")])
def test_sound_files_decode_to_samples(tmp_path, fmt, codec):
    path = tmp_path / f"in.{fmt}"
    track = synth.beat_track(seconds=1.0)
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=track.rate)
        stream.layout = "stereo"
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(track.samples.T), format="fltp",
                                           layout="stereo")
        frame.sample_rate, frame.pts = track.rate, 0
        out.mux(stream.encode(frame))
        out.mux(stream.encode())
    sound = avio.decode(path, max_pixels=MAX_PIXELS)
    assert isinstance(sound, Audio) and sound.channels == 2 and 0.95 < sound.duration < 1.1


def test_a_damaged_video_and_a_frame_bomb_are_refused(tmp_path):
    data, _ = avio.encode(synth.clip(seconds=1.0), final=True)
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 3])
    with pytest.raises((DecodeError, TooLarge)):
        avio.decode(tmp_path / "cut.mp4", max_pixels=MAX_PIXELS)
    (tmp_path / "ok.mp4").write_bytes(data)
    with pytest.raises(TooLarge):
        avio.decode(tmp_path / "ok.mp4", max_pixels=96 * 64 * 5)


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
def test_each_transform_changes_the_picture_as_named(store, ctx, op, amount, check):
    clip = synth.clip(seed=1, seconds=0.5)
    out = run_node(store, ctx, f"{{id: probe, type: TRANSFORM, inputs: [v], config: "
                               f"{{op: {op}, amount: {amount}}}}}", {"v": clip})
    assert len(out.frames) == len(clip.frames)
    assert check(clip.frames[2], out.frames[2])


def test_speed_halves_the_time_and_keeps_sound_in_step(store, ctx):
    out = run_node(store, ctx, "{id: probe, type: TRANSFORM, inputs: [v], "
                               "config: {op: speed, amount: 2}}",
                   {"v": synth.clip(seconds=2.0, tone=300)})
    assert abs(sum(out.durations) - 1.0) < 0.01 and abs(out.audio.duration - 1.0) < 0.01


@pytest.mark.parametrize("mode, size", [("fit", (64, 43)), ("fill", (64, 64)),
                                        ("stretch", (64, 64)), ("pad", (64, 64))])
def test_resize_modes_give_the_sizes_they_promise(store, ctx, mode, size):
    out = run_node(store, ctx, f"{{id: probe, type: RESIZE, inputs: [v], config: "
                               f"{{width: 64, height: 64, mode: {mode}}}}}",
                   {"v": synth.still(size=(96, 64))})
    assert out.size == size


def test_a_segment_takes_the_time_range_of_pictures_and_sound(store, ctx):
    out = run_node(store, ctx, "{id: probe, type: SEGMENT, inputs: [v], "
                               "config: {start: 0.5, duration: 1.0}}",
                   {"v": synth.clip(seconds=2.0, tone=300)})
    assert abs(sum(out.durations) - 1.0) < 1e-6 and abs(out.audio.duration - 1.0) < 0.01


def test_a_segment_past_the_end_is_refused_with_a_reason(store, ctx):
    with pytest.raises(Exception, match="lasts"):
        run_node(store, ctx, "{id: probe, type: SEGMENT, inputs: [v], config: {start: 9}}",
                 {"v": synth.clip(seconds=1.0)})


@pytest.mark.parametrize("transition, expected", [("cut", 2.5), ("crossfade", 2.0),
                                                  ("fade", 2.5)])
def test_a_sequence_of_mixed_sizes_rates_and_sound_conforms_to_the_first(store, ctx, transition,
                                                                         expected):
    first = synth.clip(seed=1, seconds=1.5, fps=12, tone=300)
    second = synth.clip(seed=2, seconds=1.0, fps=25, size=(40, 30))  # no sound
    items = store.put_list([store.put(*synth.as_file(first)), store.put(*synth.as_file(second))])
    recipe = validate(f"""
name: seq
dag:
  nodes:
    - {{id: v, type: SOURCE, config: {{input: true, name: v, list: true}}}}
    - {{id: s, type: SEQUENCE, inputs: {{clips: v}},
       config: {{transition: {transition}, transition_duration: 0.5}}}}
  output: s
""")
    ids = [store.put(*synth.as_file(first)), store.put(*synth.as_file(second))]
    p = plan.build(recipe, inputs={"v": ids})
    assert p.step("v").cache_id == items
    execute.run_plan(p, ctx)
    out = ctx.load(p.outputs["output"])
    assert out.size == (96, 64) and abs(out.duration - expected) < 0.1
    assert out.audio is not None and abs(out.audio.duration - expected) < 0.1
    if transition == "fade":
        boundary = int(1.5 * 12)  # the dip to black sits on the cut
        assert out.frames[boundary].mean() < 0.3 * out.frames[boundary - 6].mean()


def test_layer_places_a_scaled_faded_overlay(store, ctx):
    base = Clip([np.zeros((100, 100, 3), np.uint8)], [0.0])
    top = Clip([np.full((100, 100, 3), 200, np.uint8)], [0.0])
    out = run_node(store, ctx, "{id: probe, type: LAYER, inputs: {base: b, overlay: o}, "
                               "config: {x: 0.5, y: 0.5, scale: 0.25, opacity: 0.5}}",
                   {"b": base, "o": top})
    frame = out.frames[0]
    assert frame[60, 60].tolist() == [100, 100, 100] and frame[40, 40].tolist() == [0, 0, 0]
    assert frame[74, 74].tolist() == [100, 100, 100] and frame[76, 76].tolist() == [0, 0, 0]


@pytest.mark.parametrize("mode, expected", [
    ("multiply", 50), ("screen", 178), ("add", 150), ("subtract", 50), ("average", 114),
    ("difference", 0), ("lighten", 100), ("darken", 100), ("overlay", 100)])
def test_blend_modes_compute_their_formula_and_resize_the_second(store, ctx, mode, expected):
    grey = Clip([np.full((40, 40, 3), 100, np.uint8)], [0.0])
    other = Clip([np.full((10, 30, 3), 100 if mode in ("difference", "lighten", "darken")
                          else 128, np.uint8)], [0.0])
    if mode in ("add", "subtract"):
        other = Clip([np.full((10, 30, 3), 50, np.uint8)], [0.0])
    out = run_node(store, ctx, f"{{id: probe, type: BLEND, inputs: {{a: x, b: y}}, "
                               f"config: {{mode: {mode}}}}}", {"x": grey, "y": other})
    assert out.size == (40, 40) and abs(int(out.frames[0][5, 5, 0]) - expected) <= 1


def test_mux_puts_one_inputs_sound_under_anothers_pictures(store, ctx):
    out = run_node(store, ctx, "{id: probe, type: MUX, inputs: {video: v, audio: a}}",
                   {"v": synth.clip(seconds=1.0), "a": synth.beat_track(seconds=3.0)})
    assert abs(out.audio.duration - 1.0) < 0.01 and abs(sum(out.durations) - 1.0) < 1e-6


def test_audio_mix_applies_gains_and_normalizes_the_peak(store, ctx):
    out = run_node(store, ctx, "{id: probe, type: AUDIO_MIX, inputs: [a, b], "
                               "config: {gains: [1.0, 0.5]}}",
                   {"a": synth.beat_track(seconds=1.0),
                    "b": synth.beat_track(seconds=2.0, rate=16000)})
    assert out.rate == 22050 and abs(out.duration - 2.0) < 0.01
    assert 0.97 < float(np.abs(out.samples).max()) <= 0.99


@pytest.mark.parametrize("bpm", [90, 120, 150])
def test_analyze_finds_the_tempo_and_beats_of_music(store, ctx, bpm):
    facts = run_node(store, ctx, "{id: probe, type: ANALYZE, inputs: [m]}",
                     {"m": synth.beat_track(bpm=bpm, seconds=4.0)})
    assert abs(facts["tempo"] - bpm) / bpm < 0.03
    gaps = np.diff(facts["beats"])
    assert np.all(np.abs(gaps - 60 / bpm) < 0.02) and len(facts["onsets"]) >= 4
    assert facts["kind"] == "audio" and abs(facts["duration"] - 4.0) < 0.01


def test_analyze_describes_a_video(store, ctx):
    facts = run_node(store, ctx, "{id: probe, type: ANALYZE, inputs: [v]}",
                     {"v": synth.clip(seconds=1.0, fps=12)})
    assert facts["kind"] == "video" and facts["frames"] == 12 and facts["width"] == 96
    assert facts["fps"] == 12.0 and "tempo" not in facts


def test_a_long_lossless_intermediate_is_measured_by_its_frames_not_its_timebase(tmp_path):
    clip = synth.clip(seconds=8.0, fps=4, size=(160, 90))  # 32 frames, 8 s
    data, _ = avio.encode(clip)
    (tmp_path / "long.mkv").write_bytes(data)
    limit = 160 * 90 * 40  # room for 32 frames, not for 8 s at the 1000 Hz timebase
    assert len(avio.decode(tmp_path / "long.mkv", max_pixels=limit).frames) == 32


def test_a_delivery_mp4_is_the_same_bytes_every_time_it_is_encoded():
    # x264 chooses code paths by CPU; on some hosts the same small clip
    # encoded twice in one process gave different bytes before
    # cpu-independent mode, which breaks "same plan, same bytes".
    clip = synth.clip(seed=2, seconds=1.0, fps=25, size=(40, 30))
    assert len({synth.as_file(clip)[0] for _ in range(10)}) == 1
