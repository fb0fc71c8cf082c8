"""Where the client keeps what it remembers, and the one place it reads the
environment.

- config (`$XDG_CONFIG_HOME/artdag/config.json`, mode 0600): the current
  server, a token per server, and each server's public key, pinned the first
  time a record from it is verified.
- state (`$XDG_CACHE_HOME/artdag/hashes.json`): the SHA3-256 of files already
  hashed, by path, size and modification time, so a second upload of a large
  folder (or one after an interruption) does not read every byte again.

`ARTDAG_URL` and `ARTDAG_TOKEN` override the stored server and token.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .errors import ArtdagError


def _home_dir(variable: str, fallback: str) -> Path:
    base = os.environ.get(variable) or ""
    return (Path(base) if os.path.isabs(base) else Path.home() / fallback) / "artdag"


def config_path() -> Path:
    return _home_dir("XDG_CONFIG_HOME", ".config") / "config.json"


def state_path() -> Path:
    return _home_dir("XDG_CACHE_HOME", ".cache") / "hashes.json"


def env_url() -> str:
    return os.environ.get("ARTDAG_URL", "").strip()


def env_token() -> str:
    return os.environ.get("ARTDAG_TOKEN", "").strip()


def normalize_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ArtdagError(f"a server URL starts with http:// or https://, got {url!r}")
    return url


def read_json(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ArtdagError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ArtdagError(f"cannot read {path}: not a JSON object")
    return data


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Atomically, and readable by its owner only (it may hold tokens): a
    private temp file in the same folder, then a rename over the old one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=2, sort_keys=True)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise


class Config:
    """The stored config, read once; `save()` writes it back atomically."""

    def __init__(self, path: Path | None = None):
        self.path = path or config_path()
        self.data = read_json(self.path)

    def save(self) -> None:
        write_json(self.path, self.data)

    @property
    def url(self) -> str:
        return env_url() or self.data.get("url", "")

    def token_for(self, url: str) -> str:
        return env_token() or self.data.get("tokens", {}).get(url, "")

    def login(self, url: str, token: str) -> None:
        self.data["url"] = url
        self.data.setdefault("tokens", {})[url] = token

    def logout(self, url: str) -> bool:
        return self.data.get("tokens", {}).pop(url, None) is not None

    def pinned_key(self, url: str) -> dict | None:
        return self.data.get("keys", {}).get(url)

    def pin_key(self, url: str, key: dict) -> None:
        self.data.setdefault("keys", {})[url] = key
