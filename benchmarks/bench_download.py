"""Figure 3: GET /cache/{hash} of the 256 MiB file vs reading it from disk.

Both read the same warm file in 1 MiB chunks; the server's side adds
Django, the WSGI file wrapper and a loopback socket. The web server's peak
RSS is reset before the downloads (clear_refs) and read after, so a body
held in memory would show as growth.

3c (information) puts the HTTP figure next to the transport's own ceiling: a
bare Python socket pair on loopback copying the same file in 1 MiB chunks.

3d (information) is the same comparison from a cold page cache, i.e. really
from the disk: the cache is dropped before each side (needs root; skipped
otherwise). Warm, the baseline is a memory copy, which no socket matches.
"""

from __future__ import annotations

import os
import socket
import threading

from .common import (MiB, Row, fmt_rate, log, median, proc_status_kib, read_chunks,
                     reset_peak_rss, timed)

REPEATS = 3
TARGET_RATIO = 0.5
TARGET_GROWTH_MIB = 64


def drop_page_cache() -> bool:
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as control:
            control.write("3\n")
        return True
    except OSError:
        return False


def cold_comparison(path, downloader, content_hash: str, repeats: int) -> tuple[float, float] | None:
    disk, http = [], []
    for _ in range(repeats):
        if not drop_page_cache():
            return None
        disk.append(timed(lambda: read_chunks(path)))
        drop_page_cache()
        http.append(timed(lambda: downloader.download(f"/cache/{content_hash}")))
    return median(disk), median(http)


def socket_copy(path) -> int:
    """Send the file over a loopback TCP connection, read + sendall in 1 MiB
    chunks (what the WSGI file wrapper does), and receive it; returns bytes."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(30)  # never leave the sender blocked in accept()

    def send() -> None:
        conn, _ = listener.accept()
        with conn:
            read_chunks(path, sink=conn.sendall)

    sender = threading.Thread(target=send)
    sender.start()
    total = 0
    try:
        with socket.create_connection(listener.getsockname()) as sock:
            buffer = bytearray(MiB)
            while n := sock.recv_into(buffer):
                total += n
    finally:
        sender.join()
        listener.close()
    return total


def run(env, server, client, content_hash: str, repeats: int = REPEATS) -> list[Row]:
    path = env.cache_file(content_hash)
    size = path.stat().st_size
    read_chunks(path)  # warm
    downloader = client.clone()
    web_pid = server.child_pid()  # the gunicorn worker that serves the requests
    try:
        rss_before = proc_status_kib(web_pid, "VmRSS")
        hwm_reset = reset_peak_rss(web_pid)
        hwm_before = proc_status_kib(web_pid, "VmHWM")
        disk, http, bare = [], [], []
        for _ in range(repeats):
            disk.append(timed(lambda: read_chunks(path)))
            bare.append(timed(lambda: socket_copy(path)))
            got = []
            http.append(timed(lambda: got.append(downloader.download(f"/cache/{content_hash}"))))
            if got[0] != size:
                raise RuntimeError(f"downloaded {got[0]} bytes, expected {size}")
        rss_after = proc_status_kib(web_pid, "VmRSS")
        hwm_after = proc_status_kib(web_pid, "VmHWM")
        cold = cold_comparison(path, downloader, content_hash, repeats)
        read_chunks(path)  # leave it warm for whoever comes next
    finally:
        downloader.close()
    t_disk, t_http, t_bare = median(disk), median(http), median(bare)
    ratio = t_disk / t_http
    # With the peak reset, HWM-after minus RSS-before is the largest the
    # server grew during the downloads; without it, the plain RSS difference.
    base = hwm_before if hwm_reset else rss_before
    growth_mib = ((hwm_after if hwm_reset else rss_after) - base) / 1024
    log(f"download 256 MiB: disk {t_disk:.3f} s, http {t_http:.3f} s, socket {t_bare:.3f} s, "
        f"server RSS {rss_before / 1024:.0f} -> {rss_after / 1024:.0f} MiB, "
        f"peak {hwm_after / 1024:.0f} MiB")
    return [
        Row("3. GET /cache/{hash} of 256 MiB vs reading the file from disk (throughput)",
            fmt_rate(size, t_http), fmt_rate(size, t_disk), ratio, f">= {TARGET_RATIO}",
            ratio >= TARGET_RATIO, note=f"median of {repeats}, interleaved, warm page cache"),
        Row("3b. web server RSS growth during the downloads",
            f"{growth_mib:.1f} MiB", f"RSS before {rss_before / 1024:.0f} MiB", None,
            f"< {TARGET_GROWTH_MIB} MiB", growth_mib < TARGET_GROWTH_MIB,
            note=("VmHWM after reset" if hwm_reset else "VmRSS after - before")
            + f", RSS after {rss_after / 1024:.0f} MiB"),
        Row("3c. GET /cache/{hash} vs a bare Python loopback socket copy of the file",
            fmt_rate(size, t_http), fmt_rate(size, t_bare), t_bare / t_http, "info", None,
            note=f"median of {repeats}, interleaved with 3"),
    ] + ([Row("3d. GET /cache/{hash} vs reading the file from disk, both from a cold page cache",
              fmt_rate(size, cold[1]), fmt_rate(size, cold[0]), cold[0] / cold[1], "info", None,
              note=f"median of {repeats}; page cache dropped before each side")]
         if cold else [])
