"""Steps many tests share: uploading, waiting for a run, looking at the cache dir,
picking a port for a server a test starts. Importable without Django set up
(benchmarks/chaos.py uses free_port through tests.faults.stack)."""

import socket
import time

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile


def post_file(client, data: bytes, name: str = "in.png"):
    return client.post("/cache", {"file": SimpleUploadedFile(name, data)}, format="multipart")


def upload(client, data: bytes, name: str = "in.png") -> str:
    response = post_file(client, data, name)
    assert response.status_code in (200, 201), response.json()
    return response.json()["content_hash"]


def cache_files() -> set[str]:
    """Every file under the cache dir, temp files included: what "nothing
    written" is checked against."""
    return {p.name for p in settings.CACHE_DIR.rglob("*") if p.is_file()}


def wait_for_run(client, run_id: str, timeout: float = 90) -> dict:
    """Poll like a client would. The timeout only bounds a hung test; it
    asserts nothing about speed."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/runs/{run_id}").json()
        if body["status"] in ("completed", "failed", "cancelled") or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def free_port() -> int:
    """A port nothing listens on now, for a server the test is about to start."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
