"""`artdag.Client`: the server's HTTP API as Python calls.

    from artdag import Client
    client = Client("https://l1.example", token="l1_...")   # or Client(): the stored login
    [cat] = client.upload(["cat.png"])
    run = client.render("dog", [cat.content_hash])
    run = client.wait(run["run_id"])
    client.download(run["output_hash"], "dog.png")

Every failure is an `artdag.ArtdagError` with a one-sentence message
(`ServerError` carries the server's status, code and message).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import time
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterable, NamedTuple

import requests

from . import __version__, events, provenance
from .config import Config, normalize_url
from .errors import ArtdagError, RunFailed, ServerError, Unreachable, cause_of, server_error
from .files import CHUNK, HashMemo, collect, is_hash
from .transfer import MultipartFile

FINAL = ("completed", "failed", "cancelled")
PRESENCE_BATCH = 1000  # the server's limit per question (cache.serializers)
# Makes a progress display for (description, total bytes); yields the function
# to call with each chunk's size. The command line passes tqdm bars.
Bars = Callable[[str, int], ContextManager[Callable[[int], None]]]


@contextlib.contextmanager
def no_bar(description: str, total: int):
    yield lambda n: None


class Uploaded(NamedTuple):
    path: Path
    content_hash: str
    size: int
    sent: bool  # False: the server already held these bytes


class Client:
    def __init__(self, url: str | None = None, token: str | None = None, *,
                 config: Config | None = None, timeout: float = 60):
        self.config = config or Config()
        url = url or self.config.url
        if not url:
            raise ArtdagError("no server given: run `artdag login URL` or set ARTDAG_URL")
        self.url = normalize_url(url)
        self.token = token if token is not None else self.config.token_for(self.url)
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"artdag-client/{__version__}"
        self.session.headers["Accept"] = "application/json"
        if self.token:
            self.session.headers["Authorization"] = f"Token {self.token}"

    def close(self) -> None:
        """Close the kept-alive connections."""
        self.session.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- HTTP

    def request(self, method: str, path: str, *, ok: Iterable[int] = (), retries: int = 5,
                **kwargs) -> requests.Response:
        """One request; a 4xx/5xx (other than those in `ok`) becomes a
        ServerError with the server's message. A 429 waits as Retry-After says."""
        kwargs.setdefault("timeout", self.timeout)
        url = self.url + path
        for attempt in range(retries + 1):
            try:
                response = self.session.request(method, url, **kwargs)
            except requests.exceptions.SSLError as exc:
                raise Unreachable(f"no secure connection to {self.url}: {cause_of(exc)}") from None
            except requests.exceptions.Timeout:
                raise Unreachable(f"the server at {self.url} did not answer within "
                                  f"{self.timeout:g} s") from None
            except requests.exceptions.ConnectionError as exc:
                raise Unreachable(f"cannot reach the server at {self.url}: {cause_of(exc)}") from None
            except requests.exceptions.RequestException as exc:
                raise Unreachable(f"the request to {url} failed: {cause_of(exc)}") from None
            if response.status_code >= 400 and response.status_code not in ok:
                error = server_error(response)
                # A rate limit passes; a login lock-out (also 429) is the answer.
                if (error.status == 429 and error.code == "throttled" and attempt < retries
                        and error.retry_after <= 60 and _rewindable(kwargs)):
                    time.sleep(error.retry_after)
                    continue
                raise error
            return response
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, **kwargs) -> Any:
        response = self.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ArtdagError(f"the server at {self.url} answered {path} with something other "
                              "than JSON: is this an artdag L1 server?") from None

    # --- who

    def me(self) -> dict:
        return self.json("GET", "/me")

    def create_token(self, username: str, password: str, *, name: str,
                     scopes: list[str] | None = None, expires_in: int | None = None) -> str:
        """A new API token for a username and password (HTTP Basic auth); its
        key. Scopes: read, render or admin (the server's default: admin);
        expires_in: days (the server's default: never)."""
        body: dict[str, Any] = {"name": name}
        if scopes is not None:
            body["scopes"] = scopes
        if expires_in is not None:
            body["expires_in"] = expires_in
        answer = self.json("POST", "/tokens", json=body,
                           auth=requests.auth.HTTPBasicAuth(username, password))
        if not isinstance(answer, dict) or not answer.get("key"):
            raise ArtdagError("the server made a token but did not send its key")
        return answer["key"]

    # --- the cache

    def presence(self, hashes: list[str]) -> tuple[list[str], list[str]]:
        """(present, missing): which content hashes the server holds, asked
        in batches (or, from a server without POST /cache/presence, one HEAD each)."""
        present, missing = [], []
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), PRESENCE_BATCH):
            batch = unique[start:start + PRESENCE_BATCH]
            response = self.request("POST", "/cache/presence", json={"hashes": batch},
                                    ok=(404, 405))
            if response.status_code in (404, 405):
                for content_hash in batch:
                    head = self.request("HEAD", f"/cache/{content_hash}", ok=(404,))
                    (present if head.status_code == 200 else missing).append(content_hash)
                continue
            answer = response.json()
            present += answer["present"]
            missing += answer["missing"]
        return present, missing

    def upload_file(self, path: str | os.PathLike, *, content_hash: str | None = None,
                    progress: Callable[[int], None] | None = None) -> dict:
        """POST one file to the cache, streamed; the server's record of it."""
        path = Path(path)
        with open(path, "rb") as file:
            body = MultipartFile(file, path.name, progress=progress)
            for attempt in range(6):
                try:
                    item = self.json("POST", "/cache", data=body, retries=0,
                                     headers={"Content-Type": body.content_type},
                                     timeout=(self.timeout, None))
                    break
                except ServerError as exc:
                    if exc.code != "throttled" or exc.retry_after > 60 or attempt == 5:
                        raise
                    time.sleep(exc.retry_after)
                    body.rewind()
        if content_hash and item.get("content_hash") != content_hash:
            raise ArtdagError(f"{path} changed while it was uploaded (the server stored "
                              f"{item.get('content_hash')}, not {content_hash}); upload it again")
        return item

    def upload(self, paths: Iterable[str | os.PathLike], *, bars: Bars = no_bar,
               memo: HashMemo | None = None) -> list[Uploaded]:
        """Files and folders: hash locally, ask which hashes the server lacks,
        send only those. Files sent before an interruption are not sent again
        (the server holds them), and their hashes are remembered (`memo`)."""
        files = collect(paths)
        memo = memo if memo is not None else HashMemo()
        sizes = {path: path.stat().st_size for path in files}
        hashes: dict[Path, str] = {}
        try:
            with bars("hashing", sum(sizes.values())) as advance:
                for path in files:
                    hashes[path] = memo.hash(path, advance)
        finally:
            memo.save()
        _, missing = self.presence(list(hashes.values()))
        wanted = set(missing)
        to_send: dict[str, Path] = {}  # hash -> the first path holding it: sent once
        for path, content_hash in hashes.items():
            if content_hash in wanted:
                to_send.setdefault(content_hash, path)
        with bars("uploading", sum(sizes[p] for p in to_send.values())) as advance:
            for content_hash, path in to_send.items():
                self.upload_file(path, content_hash=content_hash, progress=advance)
        return [Uploaded(p, hashes[p], sizes[p], to_send.get(hashes[p]) == p) for p in files]

    def download(self, content_hash: str, dest: str | os.PathLike, *, bars: Bars = no_bar) -> Path:
        """The bytes of `content_hash` at `dest`. They arrive in `dest.part`
        and resume from it with a Range request; the whole is checked against
        the hash before it is renamed into place."""
        if not is_hash(content_hash):
            raise ArtdagError(f"not a content hash: {content_hash!r}")
        dest = Path(dest)
        part = dest.with_name(dest.name + ".part")
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        response = self.request("GET", f"/cache/{content_hash}", headers=headers, stream=True,
                                ok=(416,), timeout=(self.timeout, self.timeout * 5))
        if response.status_code == 206 and _range_start(response) != have:
            response.close()  # not the range asked for: start again from nothing
            part.unlink()
            return self.download(content_hash, dest, bars=bars)
        with response:
            digest = hashlib.sha3_256()
            if response.status_code == 206:
                mode = "ab"
                with open(part, "rb") as earlier:
                    while chunk := earlier.read(CHUNK):
                        digest.update(chunk)
            elif response.status_code == 416:
                # The part already holds every byte (or is longer than the file): check it.
                mode, have = "ab", 0
                with open(part, "rb") as earlier:
                    while chunk := earlier.read(CHUNK):
                        digest.update(chunk)
            else:
                mode, have = "wb", 0
            total = have + int(response.headers.get("Content-Length") or 0)
            with bars(f"{content_hash[:12]}", total) as advance, open(part, mode) as out:
                advance(have)
                if response.status_code != 416:
                    for chunk in response.iter_content(CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        advance(len(chunk))
                out.flush()
                os.fsync(out.fileno())
        if digest.hexdigest() != content_hash:
            part.unlink()
            raise ArtdagError(f"the bytes received hash to {digest.hexdigest()}, not "
                              f"{content_hash}; the partial file was removed, run again")
        os.replace(part, dest)
        return dest

    # --- runs and recipes

    def render(self, recipe: str, inputs: list | dict, *, params: dict | None = None,
               output_name: str = "", bars: Bars = no_bar) -> dict:
        """Start a run (or find the same one). Inputs are asset names, content
        hashes, or local files as `pathlib.Path`, uploaded first if the server lacks them."""
        local = [ref for ref in _refs(inputs) if isinstance(ref, os.PathLike)]
        uploaded = {Path(p): u.content_hash for p, u in zip(local, self.upload(local, bars=bars))} \
            if local else {}

        def ref(value):
            return uploaded[Path(value)] if isinstance(value, os.PathLike) else value

        bound = ({name: [ref(v) for v in value] if isinstance(value, list) else ref(value)
                  for name, value in inputs.items()} if isinstance(inputs, dict)
                 else [ref(v) for v in inputs])
        return self.json("POST", "/runs", json={"recipe": recipe, "inputs": bound,
                                                "params": params or {}, "output_name": output_name})

    def run(self, run_id: str) -> dict:
        return self.json("GET", f"/runs/{_segment(run_id, 'run id')}")

    def runs(self, *, status: str | None = None, recipe: str | None = None,
             limit: int = 20) -> list[dict]:
        query = {"limit": limit, **({"status": status} if status else {}),
                 **({"recipe": recipe} if recipe else {})}
        return self.json("GET", "/runs", params=query)["results"]

    def cancel(self, run_id: str) -> dict:
        return self.json("POST", f"/runs/{_segment(run_id, 'run id')}/cancel")

    def wait(self, run_id: str, *, on_update: Callable[[dict], None] | None = None,
             on_event: Callable[[events.Event], None] | None = None,
             interval: float = 0.25, timeout: float | None = None,
             stream: bool = True) -> dict:
        """Follow a run until it is completed, failed or cancelled; the run.
        Follows the server's event stream (GET /runs/{id}/events) where it has
        one, reading the run again at each change of state; polls otherwise,
        or when the stream stops. Raises RunFailed unless it completed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        run = self.run(run_id)
        if on_update:
            on_update(run)
        if stream and run["status"] not in FINAL:
            run = self._follow_stream(run, on_update, on_event, deadline)
        while run["status"] not in FINAL:
            if deadline is not None and time.monotonic() > deadline:
                raise ArtdagError(f"run {run_id} is still {run['status']} after {timeout:g} s")
            time.sleep(interval)
            interval = min(interval * 1.5, 2.0)
            run = self.run(run_id)
            if on_update:
                on_update(run)
        if run["status"] != "completed":
            reason = f": {run['error']}" if run.get("error") else ""
            raise RunFailed(f"run {run_id} {run['status']}{reason}", run)
        return run

    def _follow_stream(self, run: dict, on_update, on_event, deadline) -> dict:
        """The run as last read while following its events; it returns
        early (for polling to go on) when the server has no stream, the
        stream ends, or it stays silent past its keep-alives."""
        run_id = run["run_id"]
        quiet = 30.0 if deadline is None else max(min(30.0, deadline - time.monotonic()), 0.1)
        try:
            response = self.request("GET", f"/runs/{run_id}/events", stream=True,
                                    headers={"Accept": "text/event-stream"},
                                    timeout=(self.timeout, quiet), ok=(404, 405, 406))
        except ArtdagError:
            return run
        with response:
            if response.status_code != 200 or not response.headers.get(
                    "Content-Type", "").startswith("text/event-stream"):
                return run
            try:
                for event in events.parse(events.lines(events.arriving(response))):
                    if on_event:
                        on_event(event)
                    if event.kind in ("snapshot", "state", "step"):
                        run = self.run(run_id)
                        if on_update:
                            on_update(run)
                        if run["status"] in FINAL:
                            break
                    if deadline is not None and time.monotonic() > deadline:
                        break
            except (requests.exceptions.RequestException, ArtdagError):
                pass  # the stream broke or fell silent: polling takes over
        return run

    def recipe_push(self, source: str) -> dict:
        """Store a recipe (YAML or JSON text) as its name's latest version.
        An invalid one raises ServerError whose details["errors"] lists each
        problem with its node."""
        return self.json("POST", "/recipes", data=source.encode("utf-8"),
                         headers={"Content-Type": "application/yaml"})

    # --- provenance

    def provenance(self, run_id: str) -> dict:
        return self.json("GET", f"/runs/{_segment(run_id, 'run id')}/provenance")

    def server_key(self, *, repin: bool = False):
        """The server's Ed25519 public key: pinned in the config the first time
        (trust on first use, as ssh does), read from there afterwards, so a
        record is checked against the key first seen, not whatever the server
        says today."""
        pinned = None if repin else self.config.pinned_key(self.url)
        if pinned is None:
            actor = self.json("GET", "/actor")
            try:
                key = provenance.load_key(actor["public_key"])
            except (KeyError, TypeError, ValueError) as exc:
                raise ArtdagError(f"the server's /actor has no usable public key: {exc}") from None
            pinned = {"public_key": actor["public_key"], "key_id": provenance.key_id(key)}
            self.config.pin_key(self.url, pinned)
            self.config.save()
        try:
            return provenance.load_key(pinned["public_key"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtdagError(f"the key pinned for {self.url} in {self.config.path} is damaged: "
                              f"{exc}") from None

    def verify(self, record: Any, *, repin: bool = False) -> tuple[bool, str]:
        """(valid, reason) for a provenance record, checked here against the
        pinned key (docs/provenance.md's rule)."""
        return provenance.verify(record, self.server_key(repin=repin))


def _refs(inputs: list | dict) -> list:
    values = list(inputs.values()) if isinstance(inputs, dict) else list(inputs)
    return [r for v in values for r in (v if isinstance(v, list) else [v])]


def _segment(value: str, what: str) -> str:
    if not value or not re.fullmatch(r"[A-Za-z0-9._-]+", value):
        raise ArtdagError(f"not a {what}: {value!r}")
    return value


def _rewindable(kwargs: dict) -> bool:
    """A streamed body cannot be sent twice; a JSON or bytes body can."""
    return not isinstance(kwargs.get("data"), MultipartFile)


def _range_start(response: requests.Response) -> int | None:
    match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else None
