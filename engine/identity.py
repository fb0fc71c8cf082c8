"""Software and hardware identity for provenance records.

The software hash covers the project's own source (not tests, data or the
virtualenv): sorted relative paths with the SHA3-256 of each file, so every
checkout of one commit gives the same hash. The hardware hash covers a stable
description of the machine (no load, no uptime, nothing that changes).
"""

from __future__ import annotations

import os
import platform
import socket
from functools import lru_cache
from pathlib import Path

from .canonical import hash_object, sha3_hex

SOURCE_DIRS = ("engine", "l1site", "cache", "assets", "runs", "templates", "static")
SOURCE_FILES = ("manage.py", "requirements.txt")
SOURCE_SUFFIXES = {".py", ".html", ".css", ".js", ".txt", ".png", ".svg"}
SKIP_PARTS = {"__pycache__", "tests", "migrations_tmp"}


def _source_files(root: Path) -> list[Path]:
    found = [root / name for name in SOURCE_FILES if (root / name).is_file()]
    for top in SOURCE_DIRS:
        for path in (root / top).rglob("*"):
            if (path.is_file() and path.suffix in SOURCE_SUFFIXES
                    and not SKIP_PARTS.intersection(path.relative_to(root).parts)):
                found.append(path)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


@lru_cache(maxsize=None)
def software_identity(root: Path, version: str) -> dict:
    files = [[p.relative_to(root).as_posix(), sha3_hex(p.read_bytes())]
             for p in _source_files(root)]
    return {
        "name": "infra:artdag",
        "version": version,
        "content_hash": hash_object({"version": version, "files": files}),
        "files": len(files),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


@lru_cache(maxsize=None)
def hardware_identity() -> dict:
    host = socket.gethostname()
    description = {
        "host": host,
        "machine": platform.machine(),
        "system": platform.system(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count() or 0,
        # Rounded to GiB: the kernel reports slightly different totals across boots.
        "memory_gib": round(_memory_bytes() / 2**30),
    }
    return {"name": f"infra:{host}", "content_hash": hash_object(description),
            "description": description}
