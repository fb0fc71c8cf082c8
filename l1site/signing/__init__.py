"""The server's signature: its Ed25519 key and the records it signs with it.

Low in the stack on purpose: runs sign their provenance records as they
complete, and provenance (verifying, publishing, reproducing) builds on runs,
so signing can live in neither. It imports no app.

``records`` is the rule (what bytes a signature covers), ``keys`` the key file;
this module binds both to the settings: where the key lives
(ARTDAG_SIGNING_KEY_FILE) and who signs (L1_ACTOR).
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import keys, records


def key_path() -> Path:
    return Path(settings.SIGNING_KEY_FILE or settings.DATA_DIR / "keys" / "l1-ed25519.pem")


def signing_key() -> Ed25519PrivateKey:
    try:
        return keys.load_or_create(key_path())
    except (keys.SigningKeyError, OSError) as exc:
        # Without its key the server cannot sign what it renders: say so at start-up.
        raise ImproperlyConfigured(f"signing key {key_path()}: {exc}") from None


def sign(record: dict) -> dict:
    """record, marked as signed by this server and signed with its key."""
    return records.sign_record({**record, "signed_by": settings.L1_ACTOR}, signing_key())
