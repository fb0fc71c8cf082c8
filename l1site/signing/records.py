"""Signing provenance records with Ed25519, and checking them.

Plain Python (no Django), so the rule is easy to read next to the standalone
verifier in docs/verify_provenance.py, which must give the same answers.

The rule (docs/provenance.md): the signed bytes are the canonical encoding
(engine.canonical) of the record with its ``signature`` field removed. The
record carries ``algorithm`` and ``key_id`` itself, so both are covered by the
signature. ``key_id`` is the lowercase hex SHA3-256 of the 32-byte raw public
key; ``signature`` is the 64-byte Ed25519 signature in standard base64.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from engine.canonical import canonical_bytes, sha3_hex

ALGORITHM = "ed25519"
SIGNATURE_FIELDS = ("signature",)


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    return sha3_hex(raw_public_key(key))


def signed_bytes(record: dict) -> bytes:
    """The exact bytes a signature covers."""
    return canonical_bytes({k: v for k, v in record.items() if k not in SIGNATURE_FIELDS})


def sign_record(record: dict, private_key: Ed25519PrivateKey) -> dict:
    """A copy of record with algorithm, key_id and signature set."""
    out = {k: v for k, v in record.items() if k not in SIGNATURE_FIELDS}
    out["algorithm"] = ALGORITHM
    out["key_id"] = key_id(private_key.public_key())
    out["signature"] = base64.b64encode(private_key.sign(signed_bytes(out))).decode("ascii")
    return out


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason: str


def verify_record(record, public_key: Ed25519PublicKey) -> Verdict:
    """Check record's signature against public_key, saying why it fails."""
    if not isinstance(record, dict):
        return Verdict(False, "a provenance record must be a JSON object")
    signature = record.get("signature")
    if signature in (None, ""):
        return Verdict(False, "the record has no signature")
    if record.get("algorithm") != ALGORITHM:
        return Verdict(False, f"unsupported algorithm {record.get('algorithm')!r}; "
                              f"expected {ALGORITHM!r}")
    expected_id = key_id(public_key)
    if record.get("key_id") != expected_id:
        return Verdict(False, f"signed with key {record.get('key_id')!r}, not with this key "
                              f"({expected_id})")
    try:
        raw = base64.b64decode(signature, validate=True) if isinstance(signature, str) else b""
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 64:
        return Verdict(False, "the signature is not 64 bytes of base64")
    try:
        payload = signed_bytes(record)
    except RecursionError:
        return Verdict(False, "the record is nested too deeply to encode")
    except (TypeError, ValueError) as exc:
        return Verdict(False, f"the record has no canonical form: {exc}")
    try:
        public_key.verify(raw, payload)
    except InvalidSignature:
        return Verdict(False, "the signature does not match the record: it was changed after "
                              "signing, or signed by another key")
    return Verdict(True, f"signature valid: signed by key {expected_id}")
