"""Checking a signed provenance record offline: the rule of the server's
docs/provenance.md, written exactly as docs/verify_provenance.py writes it
(the client's tests check that both, and the server, give the same verdict
and reason for the same records).

A record is the JSON object the server signed; the key is the server's
Ed25519 public key, from `GET /actor`, pinned by the client on first use.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (Encoding, PublicFormat,
                                                          load_pem_public_key)


def normalize(value):
    """Integral floats become integers; NaN, infinity and non-JSON types are refused."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("NaN and infinity have no canonical form")
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("canonical keys must be strings")
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    raise TypeError(f"{type(value).__name__} has no canonical form")


def canonical(value) -> bytes:
    """Sorted keys, no whitespace, UTF-8, non-ASCII as itself."""
    return json.dumps(normalize(value), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False).encode("utf-8")


def load_key(text: str) -> Ed25519PublicKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = load_pem_public_key(text.encode("ascii"))
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key
    raw = base64.b64decode(text, validate=True)
    if len(raw) != 32:
        raise ValueError("a raw Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def verify(record, key: Ed25519PublicKey):
    """(valid, reason)"""
    if not isinstance(record, dict):
        return False, "a provenance record must be a JSON object"
    signature = record.get("signature")
    if signature in (None, ""):
        return False, "the record has no signature"
    if record.get("algorithm") != "ed25519":
        return False, f"unsupported algorithm {record.get('algorithm')!r}; expected 'ed25519'"
    key_id = hashlib.sha3_256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()
    if record.get("key_id") != key_id:
        return False, (f"signed with key {record.get('key_id')!r}, not with this key "
                       f"({key_id})")
    try:
        raw = base64.b64decode(signature, validate=True) if isinstance(signature, str) else b""
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 64:
        return False, "the signature is not 64 bytes of base64"
    try:
        payload = canonical({k: v for k, v in record.items() if k != "signature"})
    except RecursionError:
        return False, "the record is nested too deeply to encode"
    except (TypeError, ValueError) as exc:
        return False, f"the record has no canonical form: {exc}"
    try:
        key.verify(raw, payload)
    except InvalidSignature:
        return False, ("the signature does not match the record: it was changed after "
                       "signing, or signed by another key")
    return True, f"signature valid: signed by key {key_id}"


def key_id(key: Ed25519PublicKey) -> str:
    """The lowercase hex SHA3-256 of the 32 raw public key bytes."""
    return hashlib.sha3_256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()
