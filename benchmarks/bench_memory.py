"""Figure 10: a 2 GiB import (POST /cache/import) and a 2 GiB download
(GET /cache/{hash}) through the web server, whose one gunicorn worker
process must stay under 150 MB resident.

The peak (VmHWM) is reset through /proc/<pid>/clear_refs before each and read
after, and compared with the same process's RSS at rest just before (the
baseline). The file is random bytes made in 16 MiB blocks; free disk space
is checked first (the file and its cached copy need twice its size), and a
smaller size is used, and said, if there is not room.
"""

from __future__ import annotations

import os
import shutil
import time
from urllib.parse import quote

from .common import MiB, Row, log, proc_status_kib, reset_peak_rss

SIZE = 2048 * MiB
LIMIT_MB = 150
HEADROOM = 4096 * MiB  # left free for everyone else on the disk


def _size_that_fits(directory) -> int:
    free = shutil.disk_usage(directory).free
    fits = (free - HEADROOM) // 2 // (16 * MiB) * (16 * MiB)
    return max(min(SIZE, fits), 0)


def _make(path, size: int) -> None:
    block = os.urandom(16 * MiB)
    with open(path, "wb") as out:
        for i in range(size // (16 * MiB)):
            out.write(i.to_bytes(8, "big") + block[8:])  # every block distinct


def run(env, server, client) -> list[Row]:
    size = _size_that_fits(env.import_dir)
    if size < 64 * MiB:
        raise RuntimeError(f"not enough free disk for the memory figure ({shutil.disk_usage(env.import_dir).free} B)")
    label = f"{size / 2**30:.2f} GiB" if size != SIZE else "2 GiB"
    path = env.import_dir / "memory-2GiB.bin"
    _make(path, size)
    pid = server.child_pid()
    try:
        rest = proc_status_kib(pid, "VmRSS")
        reset_peak_rss(pid)
        t0 = time.perf_counter()
        status, item = client.post_json(f"/cache/import?path={quote(str(path))}", {})
        t_import = time.perf_counter() - t0
        if status != 201:
            raise RuntimeError(f"POST /cache/import -> {status}: {item}")
        import_peak = proc_status_kib(pid, "VmHWM")

        reset_peak_rss(pid)
        downloader = client.clone()
        t0 = time.perf_counter()
        got = downloader.download(f"/cache/{item['content_hash']}")
        t_download = time.perf_counter() - t0
        downloader.close()
        if got != size:
            raise RuntimeError(f"downloaded {got} bytes, expected {size}")
        download_peak = proc_status_kib(pid, "VmHWM")
    finally:
        path.unlink(missing_ok=True)
    mb = lambda kib: kib * 1024 / 1e6  # noqa: E731 - MB as the target states it
    log(f"memory: rest {mb(rest):.0f} MB, import peak {mb(import_peak):.0f} MB ({t_import:.1f} s), "
        f"download peak {mb(download_peak):.0f} MB ({t_download:.1f} s)")
    note = f"one gunicorn worker process; VmHWM after reset; RSS at rest {mb(rest):.0f} MB"
    return [
        Row(f"10. web server peak RSS during a {label} POST /cache/import vs at rest",
            f"{mb(import_peak):.0f} MB", f"{mb(rest):.0f} MB", import_peak / rest,
            f"< {LIMIT_MB} MB", mb(import_peak) < LIMIT_MB,
            note=note + f"; import took {t_import:.1f} s ({size / MiB / t_import:,.0f} MiB/s)"),
        Row(f"10b. web server peak RSS during a {label} GET /cache/{{hash}} vs at rest",
            f"{mb(download_peak):.0f} MB", f"{mb(rest):.0f} MB", download_peak / rest,
            f"< {LIMIT_MB} MB", mb(download_peak) < LIMIT_MB,
            note=f"download took {t_download:.1f} s ({size / MiB / t_download:,.0f} MiB/s)"),
    ]
