import shutil

from engine.identity import SOURCE_DIRS, SOURCE_FILES, hardware_identity, software_identity
from tests.conftest import ROOT


def copy_tree(dest):
    for name in SOURCE_DIRS:
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
    for name in SOURCE_FILES:
        shutil.copy(ROOT / name, dest / name)
    return dest


def test_two_checkouts_of_the_same_source_get_the_same_software_hash(tmp_path):
    copy = copy_tree(tmp_path / "other")
    (copy / "runs" / "__pycache__").mkdir(exist_ok=True)
    (copy / "runs" / "__pycache__" / "junk.pyc").write_bytes(b"compiled noise")
    assert software_identity(copy, "1") == {**software_identity(ROOT, "1")}


def test_changing_one_source_line_changes_the_software_hash(tmp_path):
    copy = copy_tree(tmp_path / "edited")
    before = software_identity(copy, "1")["content_hash"]
    with open(copy / "engine" / "render.py", "a") as f:
        f.write("# an edit\n")
    software_identity.cache_clear()
    assert software_identity(copy, "1")["content_hash"] != before


def test_hardware_identity_is_stable_and_named_after_the_host():
    first = hardware_identity()
    hardware_identity.cache_clear()
    assert hardware_identity() == first
    assert first["name"] == "infra:" + first["description"]["host"]
    assert len(first["content_hash"]) == 64
