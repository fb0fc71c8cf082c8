"""The `artdag` commands, each a thin wrapper over `artdag.Client`: results
to stdout, progress bars and summaries to stderr."""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import re
import socket
import sys
import time
from pathlib import Path

from .client import Client
from .config import Config, normalize_url
from .errors import ArtdagError, RunFailed, ServerError
from .files import is_hash, sha3_file


def _bars(args):
    """tqdm bars on stderr, drawn only on a terminal and not with --quiet."""
    from tqdm import tqdm

    @contextlib.contextmanager
    def bars(description: str, total: int):
        with tqdm(total=total, desc=description, unit="B", unit_scale=True, unit_divisor=1024,
                  file=sys.stderr, disable=True if args.quiet else None, leave=False) as bar:
            yield bar.update
    return bars


def _client(args) -> Client:
    return Client(args.server or None)


def _say(args, text: str) -> None:
    if not args.quiet:
        print(text, file=sys.stderr)


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""


# --- login

def _token_name() -> str:
    # Unique per login (the server refuses a second live token of the same
    # name) and within its rule: 1-64 letters, digits, spaces, '.', '_', '-'.
    host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:30] or "laptop"
    return f"artdag on {host} {time.strftime('%Y%m%d-%H%M%S')}"


def cmd_login(args) -> int:
    url = normalize_url(args.url)
    client = Client(url, token=args.token or "")
    if not args.token:
        username = args.username or input("username: ").strip()
        password = (sys.stdin.readline().rstrip("\r\n") if args.password_stdin
                    else getpass.getpass("password: "))
        if not username or not password:
            raise ArtdagError("a username and a password are needed (or --token)")
        for attempt in range(1, 6):
            name = args.name or _token_name() + (f"-{attempt}" if attempt > 1 else "")
            try:
                key = client.create_token(username, password, name=name,
                                          scopes=args.scope or ["render"],
                                          expires_in=args.expires_in)
                break
            except ServerError as exc:
                # Two logins in one second: the default name is taken; add a number.
                if exc.code != "name_taken" or args.name or attempt == 5:
                    raise
        client = Client(url, token=key)
    me = client.me()  # proves the token works before it is stored
    config = Config()
    config.login(url, client.token)
    config.save()
    print(f"logged in to {url} as {me['username']} (token stored in {config.path})")
    return 0


def cmd_logout(args) -> int:
    config = Config()
    url = normalize_url(args.server or config.url or "http://")
    removed = config.logout(url)
    config.save()
    print(f"forgot the token for {url}" if removed else f"no token was stored for {url}")
    return 0


# --- the cache

def cmd_upload(args) -> int:
    results = _client(args).upload(args.paths, bars=_bars(args))
    for item in results:
        print(f"{item.content_hash}  {item.path}")
    sent = [r for r in results if r.sent]
    _say(args, f"{len(results)} file(s): {len(sent)} uploaded ({_size(sum(r.size for r in sent))}), "
               f"{len(results) - len(sent)} already on the server")
    return 0


def _resolve_content(client: Client, ref: str) -> str:
    if is_hash(ref):
        return ref
    try:
        return client.json("GET", f"/assets/{ref}")["content_hash"]
    except ServerError as exc:
        if exc.status == 404:
            raise ArtdagError(f"{ref!r} is neither a content hash nor an asset name the "
                              "server knows") from None
        raise


def cmd_get(args) -> int:
    client = _client(args)
    content_hash = _resolve_content(client, args.ref)
    dest = client.download(content_hash, args.output or content_hash, bars=_bars(args))
    print(f"{content_hash}  {dest}")
    return 0


# --- runs

def _ref(raw: str):
    """A local file (uploaded if the server lacks it) or a name or hash, as given."""
    if os.path.isfile(raw):
        return Path(raw)
    if os.sep in raw or raw.startswith("."):
        raise ArtdagError(f"no such file: {raw}")
    return raw


def parse_inputs(raw: list[str]) -> list | dict:
    """`cat dog.png` -> a list, in order; `music=tune videos=a.mp4,b` -> named
    inputs (a comma makes a list), as the server's `manage.py render` takes them."""
    named = [r for r in raw if "=" in r and not os.path.exists(r)]
    if not named:
        return [_ref(r) for r in raw]
    if len(named) != len(raw):
        raise ArtdagError("give every input by position, or every input as name=reference")
    out: dict = {}
    for item in raw:
        name, _, value = item.partition("=")
        out[name] = [_ref(v) for v in value.split(",")] if "," in value else _ref(value)
    return out


def parse_params(raw: list[str] | None) -> dict:
    """`--param width=320` -> {"width": 320}; values are JSON where they parse."""
    params = {}
    for item in raw or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ArtdagError(f"--param takes name=value, got {item!r}")
        try:
            params[name] = json.loads(value)
        except ValueError:
            params[name] = value
    return params


def _follow(client: Client, run: dict, args) -> dict:
    """Wait for a run with a bar over its steps; Ctrl-C stops waiting, not the run."""
    from tqdm import tqdm

    with tqdm(total=None, desc=run["status"], unit="step", file=sys.stderr, leave=False,
              disable=True if args.quiet else None) as bar:
        def update(current: dict) -> None:
            steps = current.get("steps") or {}
            if steps.get("total"):
                bar.total = steps["total"]
                bar.n = steps.get("done", 0) + steps.get("cached", 0)
            bar.set_description(current["status"])
            bar.refresh()
        def event(current) -> None:
            data = current.data if isinstance(current.data, dict) else {}
            if data.get("steps_total"):
                bar.total, bar.n = data["steps_total"], data.get("steps_done", bar.n)
            if data.get("eta_seconds") is not None:
                bar.set_postfix_str(f"about {data['eta_seconds']:.0f} s left")
            bar.refresh()
        try:
            return client.wait(run["run_id"], on_update=update, on_event=event)
        except KeyboardInterrupt:
            raise ArtdagError(f"stopped waiting; run {run['run_id']} goes on "
                              f"(artdag status {run['run_id']})") from None


def cmd_render(args) -> int:
    client = _client(args)
    run = client.render(args.recipe, parse_inputs(args.inputs), params=parse_params(args.param),
                        output_name=args.name or "", bars=_bars(args))
    if not (args.wait or args.output):
        if run["status"] in ("failed", "cancelled"):
            raise RunFailed(f"run {run['run_id']} {run['status']}: {run.get('error') or ''}", run)
        print(run["run_id"])
        _say(args, f"run {run['run_id']}: {run['status']} (artdag status {run['run_id']})")
        return 0
    if sys.stderr.isatty():  # a person watching; a script gets only the outcome
        _say(args, f"run {run['run_id']}: {run['status']}")
    run = _follow(client, run, args)
    if args.output:
        client.download(run["output_hash"], args.output, bars=_bars(args))
        _say(args, f"run {run['run_id']} completed; output saved to {args.output}")
    print(run["output_hash"])
    return 0


def _print_run(run: dict) -> None:
    steps = run.get("steps") or {}
    rows = [("run", run["run_id"]), ("recipe", run["recipe"]), ("status", run["status"]),
            ("queue", run.get("queue_state")), ("output", run.get("output_hash")),
            ("error", run.get("error")), ("owner", run.get("owner")),
            ("created", run.get("created_at")), ("finished", run.get("finished_at"))]
    if steps.get("total"):
        rows.append(("steps", f"{steps['done'] + steps['cached']}/{steps['total']} done"
                              f" ({steps['cached']} cached, {steps['failed']} failed)"))
    for label, value in rows:
        if value not in (None, ""):
            print(f"{label:9}{value}")


def cmd_status(args) -> int:
    run = _client(args).run(args.run)
    if args.json:
        print(json.dumps(run, indent=2))
    else:
        _print_run(run)
    return 0


def cmd_runs(args) -> int:
    runs = _client(args).runs(status=args.status, recipe=args.recipe, limit=args.limit)
    if args.json:
        print(json.dumps(runs, indent=2))
        return 0
    for run in runs:
        created = (run.get("created_at") or "")[:19].replace("T", " ")
        output = (run.get("output_hash") or "-")[:16]
        print(f"{run['run_id']}  {run['status']:9}  {run['recipe']:20}  {created}  {output}")
    if not runs:
        _say(args, "no runs")
    return 0


def cmd_cancel(args) -> int:
    run = _client(args).cancel(args.run)
    print(f"run {run['run_id']}: {run['status']}")
    return 0


def cmd_recipe_push(args) -> int:
    try:
        source = Path(args.file).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ArtdagError(f"{args.file} is not UTF-8 text") from None
    try:
        version = _client(args).recipe_push(source)
    except ServerError as exc:
        errors = exc.details.get("errors") if exc.code == "invalid_recipe" else None
        if not errors:
            raise
        for error in errors:
            where = f"node '{error['node']}': " if error.get("node") else ""
            print(f"{args.file}: {where}{error.get('message')}", file=sys.stderr)
        raise ArtdagError(f"{args.file}: the server refused the recipe "
                          f"({len(errors)} problem(s))") from None
    latest = "" if version.get("latest", True) else " (not the latest)"
    print(f"recipe {version['name']} version {version['content_hash']}{latest}")
    return 0


def _record(client: Client, ref: str) -> tuple[dict, Path | None]:
    """The record to check and, for a media file, the file that must be its
    output: a run id, a record saved as JSON (or a whole run from `artdag
    status --json`), or a rendered file, whose run the server's lineage names."""
    if not os.path.isfile(ref):
        if os.sep in ref:
            raise ArtdagError(f"no such file: {ref}")
        return client.provenance(ref), None
    try:
        record = json.loads(Path(ref).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError):
        record = None
    if isinstance(record, dict) and isinstance(record.get("provenance"), dict) \
            and "run_id" in record:
        return record["provenance"], None
    if isinstance(record, dict) and "signature" in record:
        return record, None
    # A rendered file: the run that made it, by its hash.
    content_hash = sha3_file(Path(ref))
    try:
        made_by = client.json("GET", f"/cache/{content_hash}/lineage")["produced_by"]
    except ServerError as exc:
        if exc.status != 404:
            raise
        made_by = []
    if not made_by:
        raise ArtdagError(f"{ref} is neither a provenance record nor a file any run on "
                          f"{client.url} produced (its hash: {content_hash})")
    return client.provenance(made_by[0]["run_id"]), Path(ref)


def cmd_verify(args) -> int:
    client = _client(args)
    record, output = _record(client, args.target)
    output = Path(args.file) if args.file else output
    valid, reason = client.verify(record, repin=args.repin)
    if valid and output:
        expected = (record.get("output") or {}).get("content_hash")
        actual = sha3_file(output)
        if actual != expected:
            valid, reason = False, (f"{output} hashes to {actual}, but the record's output "
                                    f"is {expected}")
        else:
            reason += f"; {output} is the output of run {record.get('run_id')}"
    print(f"{'valid' if valid else 'invalid'}: {reason}")
    return 0 if valid else 1
