"""The one canonical encoding the project hashes.

Rule (documented in README, pinned by fixed vectors in tests/engine/test_canonical.py):

* JSON, UTF-8, keys sorted by code point, separators ``,`` and ``:``, no
  whitespace, non-ASCII characters written as themselves (not ``\\u`` escapes).
* Numbers: a float with an integral value is written as an integer, so ``1`` and
  ``1.0`` encode alike; other floats use Python's shortest round-trip repr.
  NaN and infinities are refused.
* Only dicts with string keys, lists/tuples, strings, numbers, booleans and null.

A content hash is the lowercase hex SHA3-256 of bytes; an object hash is the
SHA3-256 of its canonical encoding.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

HASH_HEX_LEN = 64


def _normalize(value: Any) -> Any:
    # Iterative would be needed for hostile depth; canonical inputs are small
    # server-built structures (recipes are validated for size before this).
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("NaN and infinity have no canonical form")
        if value.is_integer():
            return int(value)
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"canonical keys must be strings, not {type(key).__name__}")
            out[key] = _normalize(item)
        return out
    if isinstance(value, (list, tuple)):
        return [_normalize(item) for item in value]
    raise TypeError(f"{type(value).__name__} has no canonical form")


def canonical_bytes(value: Any) -> bytes:
    return json.dumps(
        _normalize(value),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def sha3_hex(data: bytes) -> str:
    return hashlib.sha3_256(data).hexdigest()


def hash_object(value: Any) -> str:
    return sha3_hex(canonical_bytes(value))


def is_content_hash(text: str) -> bool:
    """True for exactly 64 lowercase hex characters."""
    return (
        isinstance(text, str)
        and len(text) == HASH_HEX_LEN
        and all(c in "0123456789abcdef" for c in text)
    )
