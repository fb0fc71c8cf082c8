"""An S3-compatible HTTP server for the shared-store tests, and Celery
workers that each keep their own local cache in front of it.

The server is moto's standalone server (ThreadedMotoServer): a stand-in for
real object storage (AWS S3, MinIO, Ceph...) that speaks the same HTTP API,
so boto3 and the workers talk to it exactly as they would to the real thing.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest
from django.conf import settings
from moto.server import ThreadedMotoServer

from tests.conftest import ROOT, SESSION, worker_env
from tests.helpers import free_port

KEY_ID, SECRET = "artdag-test", "artdag-test-secret"


@pytest.fixture(scope="session")
def s3_endpoint():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def s3_env(endpoint: str, bucket: str) -> dict[str, str]:
    return {"ARTDAG_STORE": "s3", "ARTDAG_S3_BUCKET": bucket, "ARTDAG_S3_ENDPOINT_URL": endpoint,
            "ARTDAG_S3_ACCESS_KEY_ID": KEY_ID, "ARTDAG_S3_SECRET_ACCESS_KEY": SECRET}


@pytest.fixture
def bucket(s3_endpoint, settings, tmp_path):
    """A fresh bucket, with this process (the web side) using it as its store
    and a hot cache dir of its own."""
    name = f"artdag-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                 aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET).create_bucket(Bucket=name)
    settings.CONTENT_STORE = "s3"
    settings.S3_BUCKET = name
    settings.S3_ENDPOINT_URL = s3_endpoint
    settings.S3_ACCESS_KEY_ID, settings.S3_SECRET_ACCESS_KEY = KEY_ID, SECRET
    settings.S3_PREFIX = ""
    settings.CACHE_DIR = tmp_path / "web-cache"
    (settings.CACHE_DIR / "tmp").mkdir(parents=True)
    return name


def listing(bucket: str) -> dict[str, int]:
    """Key -> size of every object in the bucket, read over HTTP."""
    client = boto3.client("s3", endpoint_url=settings.S3_ENDPOINT_URL, region_name="us-east-1",
                          aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)
    return {o["Key"]: o["Size"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])}


class Worker:
    """A `celery worker` process with its own data dir, cache dir and queue."""

    def __init__(self, name: str, data_dir: Path, env: dict):
        self.name, self.data_dir = name, data_dir
        self.cache_dir = data_dir / "cache"
        self.queue = env["ARTDAG_QUEUE"]
        self.log_path = data_dir / "worker.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "l1site", "worker", "--loglevel=INFO",
                 "--concurrency=1", "--pool=prefork", "--without-gossip", "--without-mingle",
                 f"--hostname={name}-{SESSION}@%h"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while "ready." not in self.log():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"worker {self.name} did not start:\n{self.log()[-4000:]}")
            time.sleep(0.1)

    def fetched(self) -> list[str]:
        """Content hashes this worker fetched from the shared store, from its log."""
        return [line.split("fetched ", 1)[1].split()[0]
                for line in self.log().splitlines() if "fetched " in line and " from s3://" in line]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture
def two_workers(transactional_db, bucket, redis_url, tmp_path):
    """Workers "a" and "b": separate data and cache dirs, separate queues;
    they share only PostgreSQL, Redis and the bucket."""
    from django.db import connection

    workers = {}
    for name in ("a", "b"):
        data_dir = tmp_path / f"host-{name}"
        (data_dir / "import").mkdir(parents=True)
        env = worker_env(data_dir, redis_url, connection.settings_dict["NAME"])
        env.update(s3_env(settings.S3_ENDPOINT_URL, bucket),
                   ARTDAG_QUEUE=f"artdag-test-{SESSION}-{name}", L1_ACTOR=f"@worker-{name}")
        workers[name] = Worker(name, data_dir, env)
    try:
        for w in workers.values():
            w.wait_ready()
        yield workers
    finally:
        for w in workers.values():
            w.stop()
