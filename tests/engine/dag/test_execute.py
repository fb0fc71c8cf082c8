"""execute() through a DirectoryStore on real files: H.264 with B-frames, odd
sizes, variable frame rate, sound at 44.1 and 48 kHz, stills and silence."""

import subprocess
import sys
from pathlib import Path

import pytest

from engine.dag import execute, plan
from engine.dag.ops import _audio, avio
from engine.dag.validate import validate
from engine.errors import EngineError
from engine.limits import Limits
from tests import media_samples as samples

REPO = Path(__file__).resolve().parents[3]


def recipe(*nodes: str, inputs: tuple[str, ...]) -> dict:
    lines = ["name: probe", "dag:", "  nodes:"]
    lines += [f"    - {{id: {n}, type: SOURCE, config: {{input: true, name: {n}}}}}"
              for n in inputs]
    lines += [f"    - {node}" for node in nodes] + ["  output: out"]
    return validate("\n".join(lines))


def render(store, ctx, r: dict, **bound):
    p = plan.build(r, inputs=bound)
    out = execute.execute(p, ctx)
    path, media_type = store.find(out["output"])
    return p, avio.read(path, media_type=media_type, limits=Limits()), media_type


def put(store, path) -> str:
    kind = {".mp4": "video/mp4", ".mkv": "video/x-matroska", ".wav": "audio/wav",
            ".png": "image/png", ".m4a": "audio/mp4", ".jpg": "image/jpeg",
            ".gif": "image/gif", ".webp": "image/webp"}[path.suffix]
    return store.put_file(path, kind)


def test_an_effect_over_a_clip_delivers_a_video_of_the_same_size_rate_length_and_sound(
        store, ctx, tmp_path, temp_dir):
    source = samples.h264_clip(tmp_path / "in.mp4", size=(176, 144), seconds=1.0, fps=25,
                               audio="stereo", rate=48000)
    r = recipe("{id: out, type: EFFECT, inputs: [v], config: {effect: invert}}", inputs=("v",))
    p, out, media_type = render(store, ctx, r, v=put(store, source))
    original = avio.read(source, media_type="video/mp4", limits=Limits())
    assert media_type == "video/mp4" and out.size == (176, 144)
    assert abs(out.duration - original.duration) < 0.05 and out.count == original.count
    assert out.audio is not None and out.audio.rate == 48000
    frames = list(out.frames())
    assert [samples.frame_index(255 - f.image) for f in frames] == list(range(len(frames)))
    assert ctx.executed == [p.step("out").cache_id] and list(temp_dir.iterdir()) == []


@pytest.mark.parametrize("make, media_type", [
    (lambda d: samples.still(d / "in.jpg", size=(61, 43)), "image/jpeg"),
    (lambda d: samples.animated_gif(d / "in.gif", frames=4), "image/gif"),
    (lambda d: samples.animated_webp(d / "in.webp", frames=3), "image/webp"),
])
def test_an_effect_chain_over_a_still_or_animation_delivers_its_format_and_timing(
        store, ctx, tmp_path, make, media_type):
    source = make(tmp_path)
    r = recipe("{id: fx, type: EFFECT, inputs: [v], config: {effect: invert}}",
               "{id: out, type: EFFECT, inputs: [fx], config: {effect: flip}}", inputs=("v",))
    _, out, delivered = render(store, ctx, r, v=put(store, source))
    original = avio.read(source, media_type=media_type, limits=Limits())
    assert delivered == media_type and out.size == original.size
    assert [round(f.duration, 3) for f in out.frames()] == \
        [round(f.duration, 3) for f in original.frames()]
    assert out.loop == original.loop


def test_a_cached_step_is_not_rendered_again_and_progress_is_reported(store, ctx, tmp_path):
    source = put(store, samples.h264_clip(tmp_path / "in.mp4", size=(97, 61), seconds=2.0,
                                          fps=25))
    r = recipe("{id: out, type: TRANSFORM, inputs: [v], config: {op: contrast, amount: 1.5}}",
               inputs=("v",))
    seen = []
    ctx.on_progress = lambda step, done, total: seen.append((step.node, done, total))
    render(store, ctx, r, v=source)
    assert seen and seen[-1] == ("out", 50, 50) and ("out", 25, 50) in seen
    again = execute.Context(store, ctx.limits, temp_dir=ctx.temp_dir)
    render(store, again, r, v=source)
    assert again.executed == []


def test_a_segment_from_the_middle_of_a_b_frame_clip_starts_on_the_right_picture(
        store, ctx, tmp_path):
    source = samples.h264_clip(tmp_path / "in.mp4", size=(176, 144), seconds=3.0, fps=25,
                               audio="mono", rate=44100)
    r = recipe("{id: out, type: SEGMENT, inputs: [v], config: {start: 1.2, duration: 1.0}}",
               inputs=("v",))
    _, out, _ = render(store, ctx, r, v=put(store, source))
    frames = list(out.frames())
    assert [samples.frame_index(f.image) for f in frames] == list(range(30, 55))
    assert abs(frames[0].start) < 1e-3 and abs(out.duration - 1.0) < 0.05
    assert out.audio.channels == 1 and abs(out.audio.duration - 1.0) < 0.05


def test_mux_of_a_still_with_sound_is_a_video_as_long_as_the_sound(store, ctx, tmp_path):
    image = put(store, samples.png(tmp_path / "in.png", size=(64, 48)))
    music = put(store, samples.wav(tmp_path / "music.wav", seconds=2.0, rate=44100))
    r = recipe("{id: out, type: MUX, inputs: {video: v, audio: a}}", inputs=("v", "a"))
    _, out, media_type = render(store, ctx, r, v=image, a=music)
    assert media_type == "video/mp4" and out.size == (64, 48)
    assert abs(out.length - 2.0) < 0.05 and out.audio.rate == 44100
    assert samples.frame_index(out.first()) == 0


@pytest.mark.parametrize("node, inputs", [
    ("{id: out, type: AUDIO_MIX, inputs: [music], config: {gains: [1.0]}}", ("music",)),
    ("{id: out, type: MUX, inputs: {video: v, audio: music}}", ("v", "music")),
])
def test_a_node_that_needs_sound_names_itself_and_the_silent_input(store, ctx, tmp_path, node,
                                                                   inputs):
    silent = put(store, samples.h264_clip(tmp_path / "quiet.mp4", size=(64, 48), seconds=0.5))
    pictures = put(store, samples.png(tmp_path / "still.png"))
    bound = {"v": pictures, "music": silent}
    with pytest.raises(_audio.NoSound, match="^node 'out': input 'music' has no sound$"):
        render(store, ctx, recipe(node, inputs=inputs), **{n: bound[n] for n in inputs})


def test_analyze_of_a_video_file_gives_its_facts_and_its_soundtracks_beats(store, ctx,
                                                                            tmp_path):
    source = samples.h264_clip(tmp_path / "in.mp4", size=(176, 144), seconds=2.0, fps=25,
                               audio="stereo", vfr=True)
    r = recipe("{id: out, type: ANALYZE, inputs: [v]}", inputs=("v",))
    _, facts, media_type = render(store, ctx, r, v=put(store, source))
    assert media_type == "application/json"
    assert (facts["kind"], facts["width"], facts["height"]) == ("video", 176, 144)
    assert abs(facts["duration"] - 2.0) < 0.1 and facts["sample_rate"] == 44100
    assert "beats" in facts and len(facts["envelope"]) > 150


def test_a_missing_input_is_a_clear_error(store, ctx):
    r = recipe("{id: out, type: EFFECT, inputs: [v], config: {effect: invert}}", inputs=("v",))
    with pytest.raises(EngineError, match="not in the cache"):
        execute.execute(plan.build(r, inputs={"v": "0" * 64}), ctx)


PEAK_RSS = """
import resource, sys
from pathlib import Path
from engine.dag import execute, plan
from engine.dag.ops import avio
from engine.dag.store import DirectoryStore
from engine.limits import Limits
from tests.engine.dag.made import numbered
from tests.engine.dag.test_execute import recipe

root, count = Path(sys.argv[1]), int(sys.argv[2])
store = DirectoryStore(root / "store")
path, media_type = avio.write(numbered(count, fps=25, size=(320, 240)), deliver=False,
                              directory=root)
source = store.put_file(path, media_type)
path.unlink()
r = recipe("{id: out, type: EFFECT, inputs: [v], config: {effect: invert}}", inputs=("v",))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
execute.execute(plan.build(r, inputs={"v": source}), execute.Context(store, Limits(),
                                                                   temp_dir=root))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, before)
"""


def test_an_effect_step_over_a_long_file_holds_no_more_than_over_a_short_one(tmp_path):
    # Peak RSS of a fresh process: decoded pictures live in FFmpeg's memory,
    # which tracemalloc does not see. 1000 frames of 320x240 held would add
    # 230 MB to a process of about 100.
    def peak(count: int) -> int:
        root = tmp_path / str(count)
        root.mkdir()
        done = subprocess.run([sys.executable, "-c", PEAK_RSS, str(root), str(count)],
                              cwd=REPO, capture_output=True, text=True, check=True)
        return int(done.stdout.split()[0])

    short, long = peak(100), peak(1000)
    assert long / short < 1.15, (short, long)


def test_analyze_of_a_video_file_never_opens_its_pictures(store, ctx, tmp_path):
    source = put(store, samples.h264_clip(tmp_path / "in.mp4", seconds=1.0, audio="stereo"))
    video = ctx.load(source)  # the value the step will be given

    def refuse(start):
        raise AssertionError("ANALYZE decoded a picture")

    video.opener = refuse
    r = recipe("{id: out, type: ANALYZE, inputs: [v]}", inputs=("v",))
    out = execute.execute(plan.build(r, inputs={"v": source}), ctx)
    facts = avio.read(store.find(out["output"])[0], media_type="application/json",
                      limits=Limits())
    assert facts["kind"] == "video" and facts["sample_rate"] == 44100 and "beats" in facts
