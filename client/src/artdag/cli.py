"""The `artdag` command line: its arguments, and one line and a non-zero
exit for every failure (no traceback)."""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .commands import (cmd_cancel, cmd_get, cmd_login, cmd_logout, cmd_recipe_push, cmd_render,
                       cmd_runs, cmd_status, cmd_upload, cmd_verify)
from .errors import ArtdagError


class Parser(argparse.ArgumentParser):
    """Usage mistakes as one line too, naming where the help is."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


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
    p.add_argument("target", metavar="RUN|FILE",
                   help="a run id, a record saved as JSON, or a rendered file")
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
