"""Figure 2's measuring process: ``python -m benchmarks._import_child FILE REPEATS``.

A fresh process started with the bench environment, so Django's settings
point at the bench database and data dir, and so its peak RSS says something
about the import alone. Prints one JSON line on stdout.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path


def main() -> None:
    path, repeats = Path(sys.argv[1]), int(sys.argv[2])
    import django

    django.setup()
    from django.conf import settings
    from cache.models import CacheItem
    from cache.services import cache_import_local
    from cache.store import cache_path

    from benchmarks.common import proc_status_kib, read_chunks, reset_peak_rss

    read_chunks(path)  # warm the page cache once, so both sides read from memory

    def sha3() -> str:
        digest = hashlib.sha3_256()
        read_chunks(path, sink=digest.update)
        return digest.hexdigest()

    def copy() -> None:
        """What the import does besides hashing: write a copy and fsync it."""
        target = settings.CACHE_DIR / "tmp" / "bench-plain-copy"
        with open(target, "wb") as out:
            read_chunks(path, sink=out.write)
            out.flush()
            os.fsync(out.fileno())
        target.unlink()

    expected = sha3()
    # Not ru_maxrss: Linux carries it over exec from the parent, which holds
    # ~0.5 GB of figure 1's arrays, and would hide any growth below that.
    # VmHWM belongs to this process's own address space; reset it to now.
    before = proc_status_kib("self", "VmRSS")
    reset = reset_peak_rss("self")
    sha3_times, copy_times, import_times, content_hash = [], [], [], ""
    for i in range(repeats):
        start = time.perf_counter()
        sha3()
        sha3_times.append(time.perf_counter() - start)

        start = time.perf_counter()
        copy()
        copy_times.append(time.perf_counter() - start)

        start = time.perf_counter()
        item, created = cache_import_local(path)
        import_times.append(time.perf_counter() - start)
        content_hash = item.content_hash
        if content_hash != expected or not created:
            raise SystemExit(f"import gave {content_hash} (created={created}), expected {expected}")
        if i < repeats - 1:
            # Undo it, so every repeat is a real first import (write, fsync,
            # rename, index) rather than the cheaper "already there" path.
            CacheItem.objects.filter(pk=content_hash).delete()
            cache_path(content_hash).unlink()
    peak = proc_status_kib("self", "VmHWM")
    print(json.dumps({"sha3": sha3_times, "copy": copy_times, "import": import_times,
                      "hash": content_hash,
                      "size": path.stat().st_size, "rss_before_kib": before,
                      "peak_after_kib": peak, "peak_reset": reset}))


if __name__ == "__main__":
    main()
