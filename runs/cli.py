"""Command-line arguments shared by `render` and `plan`."""

from __future__ import annotations

import json

from django.core.management.base import CommandError


def parse_inputs(raw: list[str]) -> list | dict:
    """`cat dog` -> a list, in order; `music=tune videos=a,b` -> named inputs
    (a comma makes a list)."""
    named = [r for r in raw if "=" in r]
    if not named:
        return list(raw)
    if len(named) != len(raw):
        raise CommandError("give every input by position, or every input as name=reference")
    out: dict = {}
    for item in raw:
        name, _, value = item.partition("=")
        out[name] = value.split(",") if "," in value else value
    return out


def parse_params(raw: list[str] | None) -> dict:
    """`--param width=320` -> {"width": 320}; values are JSON where they parse."""
    params = {}
    for item in raw or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise CommandError(f"--param takes name=value, got {item!r}")
        try:
            params[name] = json.loads(value)
        except ValueError:
            params[name] = value
    return params


def add_run_arguments(parser) -> None:
    parser.add_argument("recipe")
    parser.add_argument("inputs", nargs="+",
                        help="hashes or asset names in order, or name=ref (name=a,b for a list)")
    parser.add_argument("--param", action="append", metavar="NAME=VALUE",
                        help="a recipe's parameter, e.g. sigma=2.5 (repeatable; GET /recipes/"
                             "{name} lists them)")
