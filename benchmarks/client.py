"""A minimal HTTP client on http.client.

By default every request opens its own TCP connection, as curl does, so
every endpoint pays the same connection set-up; with ``keep_alive=True`` one
connection is reused (figure 4b compares the two).
"""

from __future__ import annotations

import http.client
import json
import secrets
import time

from .common import MiB


class Client:
    def __init__(self, host: str, port: int, token: str | None = None, timeout: float = 120,
                 keep_alive: bool = False):
        self.host, self.port, self.timeout = host, port, timeout
        self.keep_alive = keep_alive
        self.headers = {"Authorization": f"Token {token}"} if token else {}
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)

    def clone(self, keep_alive: bool | None = None) -> "Client":
        """Same server and credentials, its own connection."""
        other = Client(self.host, self.port, timeout=self.timeout,
                       keep_alive=self.keep_alive if keep_alive is None else keep_alive)
        other.headers = dict(self.headers)
        return other

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, bytes]:
        all_headers = {**self.headers, **(headers or {})}
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=all_headers)
                response = self.conn.getresponse()
                result = response.status, response.read()
                if not self.keep_alive:
                    self.conn.close()  # http.client reconnects on the next request
                return result
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: open a new one once.
                self.conn.close()
                if attempt == 2:
                    raise
            except (OSError, http.client.HTTPException):
                self.conn.close()  # leave the connection reusable for the next call
                raise
        raise AssertionError("unreachable")

    def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes]:
        return self.request("GET", path, headers=headers)

    def get_json(self, path: str) -> dict:
        status, body = self.get(path)
        if status != 200:
            raise RuntimeError(f"GET {path} -> {status}: {body[:500]!r}")
        return json.loads(body)

    def post_json(self, path: str, payload: dict) -> tuple[int, dict]:
        status, body = self.request("POST", path, json.dumps(payload).encode(),
                                    {"Content-Type": "application/json"})
        return status, json.loads(body)

    def upload(self, path: str, name: str, data: bytes, content_type: str) -> tuple[int, dict]:
        boundary = "bench" + secrets.token_hex(12)
        body = b"".join([
            f"--{boundary}\r\n".encode(),
            f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'.encode(),
            f"Content-Type: {content_type}\r\n\r\n".encode(),
            data,
            f"\r\n--{boundary}--\r\n".encode(),
        ])
        status, raw = self.request("POST", path, body,
                                   {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        return status, json.loads(raw)

    def download(self, path: str, chunk: int = MiB) -> int:
        """GET a body in chunks into one reused buffer; returns its length."""
        try:
            self.conn.request("GET", path, headers=self.headers)
            response = self.conn.getresponse()
            if response.status != 200:
                raise RuntimeError(f"GET {path} -> {response.status}: {response.read(500)!r}")
            buffer = bytearray(chunk)
            total = 0
            while n := response.readinto(buffer):
                total += n
            if not self.keep_alive:
                self.conn.close()
            return total
        except BaseException:
            self.conn.close()
            raise

    def wait_run(self, run_id: str, timeout: float = 300, interval: float = 0.01) -> dict:
        """Poll GET /runs/{id} until the run is completed; a failed run is an error."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.get_json(f"/runs/{run_id}")
            if run["status"] == "completed":
                return run
            if run["status"] == "failed":
                raise RuntimeError(f"run {run_id} failed: {run['error']}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} still {run['status']} after {timeout} s")
            time.sleep(interval)

    def close(self) -> None:
        self.conn.close()
