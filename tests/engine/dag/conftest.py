from pathlib import Path

import pytest

from engine.dag import execute, plan
from engine.dag.store import DirectoryStore
from engine.limits import Limits

# The recipes shipped with the engine (the README's examples).
DEMO_RECIPES = Path(plan.__file__).parent / "recipes"


@pytest.fixture
def store(tmp_path):
    return DirectoryStore(tmp_path / "store")


@pytest.fixture
def temp_dir(tmp_path):
    """Where writers put a step's file before the store takes it over."""
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def ctx(store, temp_dir):
    return execute.Context(store, Limits(), temp_dir=temp_dir)


@pytest.fixture
def upload(store, temp_dir):
    """Store a value as a user would upload it: encoded for delivery by avio."""
    from engine.dag.ops import avio

    def put(value) -> str:
        path, media_type = avio.write(value, deliver=True, directory=temp_dir)
        try:
            return store.put_file(path, media_type)
        finally:
            path.unlink()

    return put


@pytest.fixture
def media(upload):
    """Generated demo media, stored as a user would upload it."""
    from engine.dag.ops._values import still

    from .made import beat_track, sweep

    return {
        "music": upload(beat_track(bpm=120, seconds=3)),
        # The same music as the soundtrack of a video.
        "music_video": upload(sweep(seed=9, seconds=3.0).with_(audio=beat_track(bpm=120,
                                                                              seconds=3))),
        "clips": [upload(sweep(seed=i, seconds=1.5, tone_hz=300 + 100 * i)) for i in range(3)],
        "silent": upload(sweep(seed=7, seconds=1.0, size=(80, 48))),
        "stills": [upload(still(sweep(seed=i, seconds=1, fps=1).first())) for i in range(3)],
    }


@pytest.fixture
def demo_recipe_paths() -> list[Path]:
    """The demo recipe files. The tests that use them assert the list is not
    empty: a moved folder or a renamed suffix must fail them, not pass them."""
    return sorted(DEMO_RECIPES.glob("*.yaml"))
