import time

from django.core.files.uploadedfile import SimpleUploadedFile


def upload(client, data: bytes, name: str = "in.png") -> str:
    response = client.post("/cache", {"file": SimpleUploadedFile(name, data)}, format="multipart")
    assert response.status_code in (200, 201), response.json()
    return response.json()["content_hash"]


def wait_for_run(client, run_id: str, timeout: float = 90) -> dict:
    """Poll like a client would. The timeout only bounds a hung test; it
    asserts nothing about speed."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/runs/{run_id}").json()
        if body["status"] in ("completed", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.1)
