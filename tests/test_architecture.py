"""The dependency rule (docs/architecture.md) holds: import-linter's
contracts in .importlinter are kept, and an import inside a function is
there for a reason its comment gives."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

APPS = ["accounts", "assets", "batches", "cache", "dashboard", "engine", "l1site", "live",
        "provenance", "runs", "webhooks"]


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


def function_level_imports(path: Path) -> list[tuple[int, str]]:
    """(line, text) of each import inside a function that has no comment on
    its line or the line above."""
    source = path.read_text()
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, (ast.Import, ast.ImportFrom)):
                here, above = lines[inner.lineno - 1], lines[inner.lineno - 2]
                if "#" not in here and not above.strip().startswith("#"):
                    found.append((inner.lineno, here.strip()))
    return sorted(set(found))


def test_every_import_inside_a_function_says_why():
    unexplained = [f"{path.relative_to(ROOT)}:{line}: {text}"
                   for app in APPS for path in sorted((ROOT / app).rglob("*.py"))
                   if "migrations" not in path.parts
                   for line, text in function_level_imports(path)]
    assert not unexplained, "imports inside functions without a reason:\n" + "\n".join(unexplained)


def test_the_check_finds_an_unexplained_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import json\n    return json\n\n"
                      "def g():\n    # PyAV: kept out of the web process\n    import av\n")
    assert function_level_imports(sample) == [(2, "import json")]
