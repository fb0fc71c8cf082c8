"""The S3-compatible bucket behind ARTDAG_STORE=s3 (boto3).

Objects are named ARTDAG_S3_PREFIX + content hash and never change once
written (same name, same bytes), so uploads can skip what is already there
and any number of hosts can write at once without coordination.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from engine.canonical import is_content_hash

# boto3 and botocore are imported inside the functions that call the bucket,
# never at module level: cache.content imports this module in every process,
# and a web process on the local store (ARTDAG_STORE=local) would carry
# boto3's memory for nothing (importing it adds about 7 MB of resident memory
# per process here, and a client about 14 MB more).

CHUNK = 1024 * 1024


class StoreUnavailable(Exception):
    """The bucket could not be reached or refused us (not "no such object")."""


class ObjectMissing(Exception):
    pass


@functools.lru_cache(maxsize=1)
def _transfer():
    from boto3.s3.transfer import TransferConfig  # not at the top: see above

    # Multipart above 64 MiB, four parts in flight: about 64 MiB of buffers at
    # most, whatever the file size (boto3's default of ten 8 MiB parts is close,
    # but this keeps request counts down for big files).
    return TransferConfig(multipart_threshold=64 * 1024 ** 2,
                          multipart_chunksize=16 * 1024 ** 2, max_concurrency=4)


@functools.lru_cache(maxsize=4)
def _client(endpoint: str, region: str, key_id: str, secret: str):
    import boto3  # not at the top: see above
    from botocore.config import Config  # likewise

    credentials = {"aws_access_key_id": key_id, "aws_secret_access_key": secret} if key_id else {}
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint or None, region_name=region,
        config=Config(retries={"max_attempts": 5, "mode": "standard"},
                      connect_timeout=10, read_timeout=60),
        **credentials)


def client():
    # Keyed on the settings, so a process whose settings change (tests) gets
    # a client for the new ones; boto3 clients are thread-safe.
    return _client(settings.S3_ENDPOINT_URL, settings.S3_REGION,
                   settings.S3_ACCESS_KEY_ID, settings.S3_SECRET_ACCESS_KEY)


def key(content_hash: str) -> str:
    return settings.S3_PREFIX + content_hash


def where(content_hash: str) -> str:
    return f"s3://{settings.S3_BUCKET}/{key(content_hash)}"


@contextmanager
def _translated(content_hash: str, doing: str = ""):
    """boto3's errors as ours: ObjectMissing for "no such object", and
    StoreUnavailable for everything else (unreachable, refused, throttled)."""
    from boto3.exceptions import S3UploadFailedError  # not at the top: see above
    from botocore.exceptions import BotoCoreError, ClientError  # likewise

    try:
        yield
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            raise ObjectMissing(where(content_hash)) from exc
        raise StoreUnavailable(f"{doing}{where(content_hash)}: {exc}") from exc
    # upload_file wraps a refused PutObject (no such bucket, access denied) in
    # S3UploadFailedError, which is neither of botocore's.
    except (BotoCoreError, S3UploadFailedError) as exc:
        raise StoreUnavailable(f"{doing}{where(content_hash)}: {exc}") from exc


def exists(content_hash: str) -> bool:
    try:
        with _translated(content_hash):
            client().head_object(Bucket=settings.S3_BUCKET, Key=key(content_hash))
        return True
    except ObjectMissing:
        return False


def upload(content_hash: str, path: Path) -> None:
    with _translated(content_hash, "upload to "):
        client().upload_file(str(path), settings.S3_BUCKET, key(content_hash), Config=_transfer())


def download(content_hash: str, sink) -> None:
    """Stream the object into sink(chunk) one CHUNK at a time (constant memory)."""
    with _translated(content_hash):
        body = client().get_object(Bucket=settings.S3_BUCKET, Key=key(content_hash))["Body"]
        with body:
            for chunk in body.iter_chunks(CHUNK):
                sink(chunk)


def delete(content_hash: str) -> None:
    """Remove the object. One that is already gone is no error (S3 answers a
    delete of a missing key with 204 too), so collecting twice is harmless."""
    try:
        with _translated(content_hash, "delete of "):
            client().delete_object(Bucket=settings.S3_BUCKET, Key=key(content_hash))
    except ObjectMissing:
        pass


def listing(older_than) -> Iterator[list[tuple[str, int]]]:
    """The bucket's content objects last written before `older_than` (an
    aware datetime), as (hash, size) pages of up to 1,000: S3's own page.
    Keys under the prefix that do not name a content hash are not ours."""
    pages = client().get_paginator("list_objects_v2").paginate(
        Bucket=settings.S3_BUCKET, Prefix=settings.S3_PREFIX)
    with _translated("", "listing of "):
        for page in pages:
            found = [(entry["Key"][len(settings.S3_PREFIX):], entry["Size"])
                     for entry in page.get("Contents", []) if entry["LastModified"] < older_than]
            if found := [(name, size) for name, size in found if is_content_hash(name)]:
                yield found


def put_bytes(content_hash: str, data: bytes) -> None:
    """Write an object directly (operators' repair tools and tests)."""
    client().put_object(Bucket=settings.S3_BUCKET, Key=key(content_hash), Body=data)
