import pytest

from engine.dag import execute
from engine.dag.store import DirectoryStore
from engine.limits import Limits


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
