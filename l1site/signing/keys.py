"""The server's Ed25519 signing key: created once, on first start, in the data dir.

Web and worker processes may start at the same moment on a fresh data dir.
Each writes a complete key to a private temp file and then tries to
``os.link`` it to the final name: link refuses to replace an existing file, so
exactly one key wins and every process reads that one. A reader therefore
never sees a half-written key, and no process ever overwrites another's.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (Encoding, NoEncryption, PrivateFormat,
                                                          PublicFormat, load_pem_private_key)

log = logging.getLogger(__name__)
_loaded: dict[Path, Ed25519PrivateKey] = {}
_lock = threading.Lock()


class SigningKeyError(Exception):
    """The key file exists but cannot be used."""


def _write_new(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8,
                                                     NoEncryption())
    # mkstemp creates the file 0600 with O_EXCL: the key is never readable by others.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(tmp, path)  # atomic, and fails if another process got there first
        except FileExistsError:
            pass
        else:
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    finally:
        os.unlink(tmp)


def _read(path: Path) -> Ed25519PrivateKey:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        # Someone copied the key in with loose permissions: still usable, but say so.
        log.warning("signing key %s is readable by others (mode %o); chmod 600 it", path, mode)
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{path} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def load_or_create(path: Path) -> Ed25519PrivateKey:
    """The private key at path, creating it first if there is none."""
    path = Path(path)
    with _lock:
        if path in _loaded:
            return _loaded[path]
        if not path.exists():
            _write_new(path)
        key = _read(path)
        _write_public(path, key)
        _loaded[path] = key
        return key


def _write_public(path: Path, key: Ed25519PrivateKey) -> None:
    """A copy of the public half beside the private key, for operators."""
    public = path.with_suffix(".pub.pem")
    pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    try:
        if public.exists() and public.read_bytes() == pem:
            return
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".pub-", suffix=".tmp")
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
        os.chmod(tmp, 0o644)
        os.replace(tmp, public)  # same content from every writer: replacing is harmless
    except OSError:
        pass  # a read-only key dir still signs; the copy is a convenience
