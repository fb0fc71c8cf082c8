"""A small, real L2 registry on loopback for tests: it checks the token, reads
the run back from the L1 that published it (run, signed provenance verified
with the L1's public key, output bytes re-hashed), and answers as planned."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "verify_provenance", Path(__file__).resolve().parents[2] / "docs" / "verify_provenance.py")
verifier = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(verifier)


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=30) as reply:
        return reply.status, reply.read()


class StandIn:
    """plans: what each successive call does ("ok", "slow", "trickle", "500", "422"); the
    last repeats."""

    def __init__(self, *plans: str, token: str, slow_seconds: float = 0):
        self.plans = list(plans)
        self.token = token
        self.slow_seconds = slow_seconds
        self.calls: list[dict] = []
        self.records: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                standin._handle(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, handler, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _handle(self, handler) -> None:
        body = json.loads(handler.rfile.read(int(handler.headers["Content-Length"])))
        with self._lock:
            plan = self.plans[min(len(self.calls), len(self.plans) - 1)]
            call = {"path": handler.path, "body": body, "plan": plan,
                    "authorization": handler.headers.get("Authorization"), "callbacks": {}}
            self.calls.append(call)
        if handler.path != "/registry/record-run":
            return self._answer(handler, 404, {"error": "no such path"})
        if call["authorization"] != f"Bearer {self.token}":
            return self._answer(handler, 401, {"error": "bad token"})
        if plan == "slow":
            time.sleep(self.slow_seconds)
            return self._answer(handler, 200, {"record_id": "too-late"})
        if plan == "trickle":  # each byte well within the socket timeout, the whole far past it
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", "1000")
            handler.end_headers()
            try:
                for _ in range(1000):
                    handler.wfile.write(b" ")
                    handler.wfile.flush()
                    time.sleep(self.slow_seconds)
            except OSError:
                pass  # L1 gave up and closed the connection
            return None
        if plan == "500":
            return self._answer(handler, 500, {"error": "registry database is down"})
        if plan == "422":
            return self._answer(handler, 422, {"error": "this registry does not take dog renders"})
        problem = self._read_back(body, call["callbacks"])
        if problem:
            return self._answer(handler, 422, {"error": problem})
        key = (body["l1_server"], body["run_id"])
        with self._lock:  # idempotent on (l1_server, run_id)
            record_id = self.records.setdefault(key, f"l2-record-{len(self.records) + 1}")
        return self._answer(handler, 201, {"record_id": record_id, "status": "recorded",
                                           "verified": True})

    def _read_back(self, body: dict, seen: dict) -> str | None:
        """What a real L2 does before recording: read the run back and check it."""
        l1, run_id = body["l1_server"], body["run_id"]
        status, raw = _get(f"{l1}/runs/{run_id}")
        run = json.loads(raw)
        seen["run"] = status
        if run["status"] != "completed":
            return f"run is {run['status']}"
        status, raw = _get(f"{l1}/runs/{run_id}/provenance")
        seen["provenance"] = status
        record = json.loads(raw)
        actor = json.loads(_get(f"{l1}/actor")[1])
        valid, reason = verifier.verify(record, verifier.load_key(actor["public_key"]))
        seen["signature"] = reason
        if not valid:
            return f"provenance: {reason}"
        status, data = _get(f"{l1}/cache/{run['output_hash']}")
        seen["output"] = status
        if hashlib.sha3_256(data).hexdigest() != run["output_hash"]:
            return "output bytes do not match their hash"
        if record["output"]["content_hash"] != run["output_hash"]:
            return "provenance names another output"
        return None
