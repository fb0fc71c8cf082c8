"""The `artdag` command: thin wrappers over `artdag.Client`. Every failure
prints one line to stderr and exits non-zero; results go to stdout, progress
bars to stderr."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import re
import socket
import sys
import time
from pathlib import Path

from . import __version__
from .client import Client
from .config import Config, normalize_url
from .errors import ArtdagError, RunFailed, ServerError
from .files import is_hash, sha3_file


class Parser(argparse.ArgumentParser):
    """Usage mistakes as one line too, naming where the help is."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


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
        try:
            return client.wait(run["run_id"], on_update=update)
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


def _record(client: Client, ref: str) -> dict:
    if os.path.isfile(ref):
        try:
            record = json.loads(Path(ref).read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ArtdagError(f"{ref} is not a provenance record (JSON): {exc}") from None
        # A whole run (artdag status --json) carries its record.
        return record["provenance"] if isinstance(record, dict) and isinstance(
            record.get("provenance"), dict) and "run_id" in record else record
    if os.sep in ref:
        raise ArtdagError(f"no such file: {ref}")
    return client.provenance(ref)


def cmd_verify(args) -> int:
    client = _client(args)
    record = _record(client, args.target)
    valid, reason = client.verify(record, repin=args.repin)
    if valid and args.file:
        expected = (record.get("output") or {}).get("content_hash")
        actual = sha3_file(Path(args.file))
        if actual != expected:
            valid, reason = False, (f"{args.file} hashes to {actual}, but the record's output "
                                    f"is {expected}")
        else:
            reason += f"; {args.file} is its output"
    print(f"{'valid' if valid else 'invalid'}: {reason}")
    return 0 if valid else 1


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="artdag", description="A client for an artdag L1 render server.")
    parser.add_argument("--version", action="version", version=f"artdag {__version__}")
    parser.add_argument("--server", metavar="URL",
                        help="the server (default: ARTDAG_URL, or the one logged in to)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress or summaries")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     parser_class=Parser)

    p = commands.add_parser("login", help="store a token for a server")
    p.add_argument("url")
    p.add_argument("--token", help="a token made on the server's /profile page (else: ask "
                                   "for a username and password and make one)")
    p.add_argument("--username")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.add_argument("--name", help="the new token's name (default: 'artdag on <host> <time>')")
    p.add_argument("--scope", action="append", choices=["read", "render", "admin"],
                   help="the new token's scope (default: render: read, upload, render, "
                        "cancel, push recipes)")
    p.add_argument("--expires-in", type=int, metavar="DAYS",
                   help="the new token expires after this many days (default: never)")
    p.set_defaults(func=cmd_login)

    p = commands.add_parser("logout", help="forget the stored token")
    p.set_defaults(func=cmd_logout)

    p = commands.add_parser("upload", help="send files and folders the server lacks")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.set_defaults(func=cmd_upload)

    p = commands.add_parser("render", help="start a run (and wait for it)")
    p.add_argument("recipe")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="local files, asset names or hashes, in order; or name=ref "
                        "(name=a,b for a list)")
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="a recipe parameter, e.g. sigma=2.5 (repeatable)")
    p.add_argument("--name", help="name the output")
    p.add_argument("--wait", action="store_true", help="follow the run until it ends")
    p.add_argument("-o", "--output", metavar="FILE", help="download the output (implies --wait)")
    p.set_defaults(func=cmd_render)

    p = commands.add_parser("get", help="download content by hash or asset name (resumes)")
    p.add_argument("ref", metavar="HASH")
    p.add_argument("-o", "--output", metavar="FILE", help="default: the hash, here")
    p.set_defaults(func=cmd_get)

    p = commands.add_parser("runs", help="list runs, newest first")
    p.add_argument("--status", choices=["pending", "running", "completed", "failed", "cancelled"])
    p.add_argument("--recipe")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_runs)

    p = commands.add_parser("status", help="one run")
    p.add_argument("run", metavar="RUN")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    p = commands.add_parser("cancel", help="cancel a pending or running run")
    p.add_argument("run", metavar="RUN")
    p.set_defaults(func=cmd_cancel)

    p = commands.add_parser("recipe", help="recipes")
    recipe = p.add_subparsers(dest="recipe_command", required=True, metavar="ACTION",
                              parser_class=Parser)
    push = recipe.add_parser("push", help="store a recipe (YAML or JSON)")
    push.add_argument("file", metavar="RECIPE_FILE")
    push.set_defaults(func=cmd_recipe_push)

    p = commands.add_parser("verify", help="check a run's signed provenance offline")
    p.add_argument("target", metavar="RUN|FILE", help="a run id, or a record saved as JSON")
    p.add_argument("--file", metavar="OUTPUT", help="also check that this file is the output")
    p.add_argument("--repin", action="store_true",
                   help="fetch and pin the server's key again (after a deliberate key change)")
    p.set_defaults(func=cmd_verify)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ArtdagError as exc:
        print(f"artdag: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print("artdag: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except OSError as exc:  # a local file that cannot be read or written
        where = f": {exc.filename}" if exc.filename else ""
        print(f"artdag: {exc.strerror or exc}{where}", file=sys.stderr)
    return 1
