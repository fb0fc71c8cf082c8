"""SEQUENCE on values in memory: pieces are read by time, never listed."""

import numpy as np
import pytest

from engine.dag.ops import _audio, analyze, sequence
from engine.dag.ops._values import Items, still

from .made import Numbered, Values, beat_track, number, numbered, streamed, tone

CONFIG = {"transition": "cut", "transition_duration": 0.5, "width": 0, "height": 0, "fps": 0.0,
          "beats_per_cut": 1}
ANALYSIS = {"min_bpm": 60.0, "max_bpm": 180.0}


def run(clips, beats=None, **config):
    ctx = Values({f"c{i}": clip for i, clip in enumerate(clips)}, node="cut")
    inputs = {"clips": Items([f"c{i}" for i in range(len(clips))])}
    if beats is not None:
        inputs["beats"] = beats
    return sequence.run({**CONFIG, **config}, inputs, ctx)


@pytest.mark.parametrize("transition, expected", [("cut", 2.5), ("crossfade", 2.0),
                                                  ("fade", 2.5)])
def test_a_sequence_of_mixed_sizes_rates_and_sound_conforms_to_the_first(transition, expected):
    first = numbered(18, fps=12, size=(96, 64), audio=tone(1.5), tint=250)
    second = numbered(25, fps=25, size=(40, 30), tint=200)  # no sound
    out = run([first, second], transition=transition)
    frames = list(out.frames())
    assert out.size == (96, 64) and float(out.fps) == 12.0
    assert {f.image.shape for f in frames} == {(64, 96, 3)}
    assert abs(out.duration - expected) < 0.1 and len(frames) == out.count
    assert out.audio is not None and abs(out.audio.duration - expected) < 0.1
    assert [round(f.start * 12) for f in frames] == list(range(len(frames)))
    if transition == "fade":
        boundary = int(1.5 * 12)  # the dip to black sits on the cut
        tint = [int(f.image[0, 0, 2]) for f in frames]
        assert tint[boundary] < 0.3 * tint[boundary - 6] and tint[boundary - 6] == 250
    if transition == "cut":
        assert [number(f.image) for f in frames[:18]] == list(range(18))
        assert frames[18].image[0, 0, 2] == 200  # the second clip, resized


def test_a_crossfade_mixes_the_outgoing_clip_under_the_incoming_one():
    black = still(np.zeros((8, 8, 3), np.uint8))
    white = still(np.full((8, 8, 3), 200, np.uint8))
    out = run([black, white], transition="crossfade", transition_duration=1.0, fps=10.0)
    levels = [int(f.image[0, 0, 0]) for f in out.frames()]
    # 2 s each, overlapping by 1 s: black, a ramp up across [1, 2), white.
    assert len(levels) == 30 and levels[:10] == [0] * 10 and levels[20:] == [200] * 10
    assert levels[10:20] == sorted(levels[10:20]) and 0 < levels[10] < levels[19] < 200


def test_beats_from_the_analysis_of_a_videos_soundtrack_cut_the_clips_in_turn():
    music = beat_track(bpm=120, seconds=3.0)
    # The music is the soundtrack of a video whose pictures the analysis never reads.
    video = Numbered(75, fps=25, audio=streamed(music), pictures=False).clip
    beats = analyze.run(ANALYSIS, [video], Values())
    assert abs(beats["tempo"] - 120) < 4
    sources = [Numbered(100, fps=25, tint=40 * (i + 1)) for i in range(3)]
    out = run([s.clip for s in sources], beats, width=32, height=24, fps=25.0)
    frames = list(out.frames())
    assert abs(out.duration - 3.0) < 0.05 and out.size == (32, 24)
    cuts = [0.0] + [b for b in beats["beats"] if 0 < b < 3.0]
    for k, (start, stop) in enumerate(zip(cuts, cuts[1:] + [3.0])):
        inside = [f for f in frames if start + 0.02 < f.start + f.duration / 2 < stop - 0.02]
        assert {int(f.image[0, 0, 2]) for f in inside} == {40 * (k % 3 + 1)}, f"cut {k}"
    # Each clip resumes where it stopped: clip 0's second piece goes on from its first.
    # (an output frame shows what is on at its centre)
    first_piece = [number(f.image) for f in frames if f.start + 0.02 < cuts[1]]
    second_piece = [number(f.image) for f in frames if cuts[3] <= f.start + 0.02 < cuts[4]]
    assert second_piece[0] == first_piece[-1] + 1
    # Read by time: each clip decoded about the seconds it shows, not its 4 s.
    assert all(s.produced < 25 * 1.5 for s in sources)
    assert out.audio is None  # the clips are silent; MUX lays the music under them


def test_a_clip_shorter_than_its_cut_loops():
    short = numbered(5, fps=10)  # 0.5 s
    beats = {"duration": 1.2, "beats": [1.0]}
    out = run([short], beats, fps=10.0)
    assert [number(f.image) for f in out.frames()] == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]


def test_the_sound_of_each_piece_comes_from_its_clips_window():
    sound = beat_track(seconds=2.0)
    clip = numbered(20, fps=10, audio=sound)
    beats = {"duration": 1.0, "beats": [0.5]}
    out = run([clip, numbered(20, fps=10)], beats, fps=10.0)
    rate = sound.rate
    half = int(round(0.5 * rate))
    assert np.array_equal(out.audio.samples[:half], sound.samples[:half])
    assert not out.audio.samples[half:].any()  # the second clip is silent


def test_frames_from_a_later_start_are_the_same_as_reading_from_the_beginning():
    out = run([numbered(30, fps=10), numbered(30, fps=10, tint=90)], transition="crossfade",
              transition_duration=0.5, fps=10.0)
    whole = [(f.start, f.image.tobytes()) for f in out.frames()]
    later = [(f.start, f.image.tobytes()) for f in out.frames(2.75)]
    assert later == whole[27:]


def test_beats_from_media_without_sound_are_refused_naming_the_node_and_input():
    facts = analyze.run(ANALYSIS, [Numbered(10, pictures=False).clip], Values())
    ctx = Values({"c0": numbered(10)}, node="cut")
    ctx.input_names = {"clips": "videos", "beats": "beats"}
    with pytest.raises(_audio.NoSound, match="^node 'cut': input 'beats' has no sound"):
        sequence.run(CONFIG, {"clips": Items(["c0"]), "beats": facts}, ctx)


def tracked(clip, live: list[int]):
    """The clip, counting its open readers in ``live`` ([now, most at once])."""
    def opener(start):
        def frames():
            live[0] += 1
            live[1] = max(live[1], live[0])
            try:
                yield from clip.frames(start)
            finally:
                live[0] -= 1
        return frames()
    return clip.with_(opener=opener)


def test_a_clip_resumed_by_later_cuts_decodes_on_instead_of_opening_again():
    sources = [Numbered(40, fps=10, tint=40 * (i + 1)) for i in range(3)]
    beats = {"duration": 6.0, "beats": [0.5 * k for k in range(1, 12)]}
    frames = list(run([s.clip for s in sources], beats, fps=10.0).frames())
    # 12 cuts, four for each clip: 2 s of its 4 s, read in one pass from its start.
    for source in sources:
        shown = [number(f.image) for f in frames if f.image[0, 0, 2] == source.tint]
        assert shown == list(range(20))
        assert len(source.opened) == 1 and source.produced <= 21


def test_a_clip_looping_in_its_cuts_opens_once_a_pass():
    short = Numbered(5, fps=10)  # 0.5 s, shown 2 s in three cuts
    out = run([short.clip], {"duration": 2.0, "beats": [0.7, 1.4]}, fps=10.0)
    assert [number(f.image) for f in out.frames()] == list(range(5)) * 4
    assert len(short.opened) == 4 and all(t < 0.1 for t in short.opened)


def test_a_crossfade_of_a_clip_into_itself_reads_its_two_windows_at_once():
    source = Numbered(100, fps=25)
    out = run([source.clip], {"duration": 2.0, "beats": [1.0]}, fps=10.0,
              transition="crossfade", transition_duration=0.4)
    levels = [int(f.image[0, 0, 0]) for f in out.frames()]
    # The first cut lasts to 1.4 s (its tail under the second); the second
    # resumes the clip there, so over [1.0, 1.4) frame t and frame t + 0.4 mix.
    def shown(t):
        return int(t * 25 + 1e-6)
    for i, level in enumerate(levels):
        t = (i + 0.5) / 10
        if t < 1.0:
            assert level == shown(t)
        elif t < 1.4:
            under, top, alpha = shown(t), shown(t + 0.4), (t - 1.0) / 0.4
            assert abs(level - (under + (top - under) * alpha)) <= 0.5 + 1e-3
        else:
            assert level == shown(t + 0.4)
    assert len(source.opened) == 2  # one reader each window, not one each frame


@pytest.mark.parametrize("budget, most_open, opened", [
    (sequence.IDLE_PIXELS, 6, [1] * 6), (2 * 64 * 48, 3, [1, 1, 3, 3, 3, 3])])
def test_idle_readers_stay_within_their_budget_without_changing_a_picture(
        monkeypatch, budget, most_open, opened):
    def clips():
        return [Numbered(60, fps=10, tint=30 * (i + 1)) for i in range(6)]

    beats = {"duration": 5.4, "beats": [0.3 * k for k in range(1, 18)]}  # 3 cuts a clip
    whole = [f.image.tobytes() for f in run([s.clip for s in clips()], beats,
                                            fps=10.0).frames()]
    monkeypatch.setattr(sequence, "IDLE_PIXELS", budget)
    sources, live = clips(), [0, 0]
    got = [f.image.tobytes() for f in run([tracked(s.clip, live) for s in sources], beats,
                                          fps=10.0).frames()]
    assert got == whole and live == [0, most_open]
    # With room for two idle readers, the two kept are those whose clips come
    # back soonest, every time: the other four reopen for each later cut.
    assert [len(s.opened) for s in sources] == opened


def test_a_source_picture_shown_by_several_output_frames_is_resized_once(monkeypatch):
    calls = []
    real = sequence.resize_frame
    monkeypatch.setattr(sequence, "resize_frame",
                        lambda *args, **kw: calls.append(1) or real(*args, **kw))
    sources = [Numbered(20, fps=5, tint=60 * (i + 1)) for i in range(2)]
    # 25 output frames a second over 5 a second; the cuts fall inside source
    # frames, so a clip resumes on the picture it stopped on.
    frames = list(run([s.clip for s in sources], {"duration": 3.6, "beats": [0.9, 1.8, 2.7]},
                      width=32, height=24, fps=25.0).frames())
    shown = {(int(f.image[0, 0, 2]), number(f.image)) for f in frames}
    assert len(frames) == 90 and len(calls) == len(shown) == 18
