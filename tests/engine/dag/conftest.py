import pytest

from engine.dag import execute, synth
from engine.dag.store import DirectoryStore

MAX_PIXELS = 200_000_000


@pytest.fixture
def store(tmp_path):
    return DirectoryStore(tmp_path / "store")


@pytest.fixture
def ctx(store):
    return execute.Context(store, max_pixels=MAX_PIXELS)


@pytest.fixture
def media(store):
    """Generated demo media, stored as a user would upload it."""
    return {
        "music": store.put(*synth.as_file(synth.beat_track(bpm=120, seconds=3))),
        "clips": [store.put(*synth.as_file(synth.clip(seed=i, seconds=1.5, tone=300 + 100 * i)))
                  for i in range(3)],
        "silent": store.put(*synth.as_file(synth.clip(seed=7, seconds=1.0, size=(80, 48)))),
        "stills": [store.put(*synth.as_file(synth.still(seed=i))) for i in range(3)],
    }
