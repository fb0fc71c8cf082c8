"""The server's public identity, verifying signed provenance records, and
reading a run's record. Signing itself is l1site.signing, below runs: runs
sign their records as they complete."""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (Encoding, PublicFormat,
                                                          load_pem_public_key)
from django.conf import settings

from l1site.errors import DomainError, NotFound
from l1site.signing import records, sign, signing_key
from runs.models import Run
from runs.services import run_get


def actor_info() -> dict:
    """What GET /actor publishes: who signs, and the key to check signatures with."""
    public = signing_key().public_key()
    return {
        "handle": settings.L1_ACTOR,
        "algorithm": records.ALGORITHM,
        "key_id": records.key_id(public),
        "public_key": base64.b64encode(records.raw_public_key(public)).decode("ascii"),
        "public_key_pem": public.public_bytes(Encoding.PEM,
                                              PublicFormat.SubjectPublicKeyInfo).decode("ascii"),
    }


def parse_public_key(text: str) -> Ed25519PublicKey:
    """A public key as PEM or as the base64 of its 32 raw bytes (as GET /actor gives both)."""
    if not isinstance(text, str) or not text.strip():
        raise DomainError("public_key must be a PEM block or base64 of 32 bytes",
                          code="invalid_public_key")
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = load_pem_public_key(text.encode("ascii"))
        else:
            raw = base64.b64decode(text, validate=True)
            if len(raw) != 32:
                raise ValueError(f"{len(raw)} bytes, not 32")
            key = Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, TypeError, UnicodeEncodeError, binascii.Error) as exc:
        raise DomainError(f"public_key is not an Ed25519 public key: {exc}",
                          code="invalid_public_key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise DomainError(f"public_key is a {type(key).__name__}, not Ed25519",
                          code="invalid_public_key")
    return key


def provenance_verify(record, *, public_key: str | None = None) -> records.Verdict:
    """Check a record against a given public key, or this server's own."""
    key = parse_public_key(public_key) if public_key is not None else signing_key().public_key()
    return records.verify_record(record, key)


def run_provenance(run_id: str) -> dict:
    run = run_get(run_id)
    if not run.provenance:
        raise NotFound(f"run {run_id} is {run.status}: provenance is recorded when it completes",
                       code="no_provenance")
    return run.provenance


def public_url(request) -> str:
    """Where L2 reaches this server: L1_PUBLIC_URL, or the address this request came to."""
    return settings.L1_PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")


def provenance_sign_unsigned() -> int:
    """Sign the records of runs that completed before this server signed them.
    The records are signed as they were written (nothing in them is changed
    but the signing fields). Returns how many were signed."""
    unsigned = (Run.objects.filter(status=Run.Status.COMPLETED, provenance__isnull=False)
                .exclude(provenance__has_key="signature").only("id", "provenance"))
    count = 0
    for run in unsigned.iterator(chunk_size=500):
        Run.objects.filter(pk=run.pk).update(provenance=sign(run.provenance))
        count += 1
    return count
