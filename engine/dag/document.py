"""Recipe documents: YAML or JSON text in, one normalized form out, and its hash.

A recipe document::

    name: beat-cuts
    version: 1
    description: Cuts clips on the music's beats.
    params:
      fade: {type: float, default: 0.2, minimum: 0, maximum: 2}
    dag:
      nodes:
        - {id: music, type: SOURCE, config: {input: true, name: music, kind: audio}}
        - {id: clips, type: SOURCE, config: {input: true, name: videos, list: true}}
        - {id: beats, type: ANALYZE, inputs: [music]}
        - {id: cut, type: SEQUENCE, inputs: {clips: clips, beats: beats},
           config: {transition: crossfade, transition_duration: {param: fade}}}
        - {id: out, type: MUX, inputs: {video: cut, audio: music}}
      output: out            # or {video: out, poster: still}

The recipe hash is the SHA3-256 of the normalized document's canonical
encoding (engine.canonical): comments, key order, whitespace and node order do
not change it; any change to a node, a parameter or the outputs does.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from engine.canonical import hash_object
from engine.errors import RecipeError

MAX_DOCUMENT_BYTES = 256 * 1024
MAX_NODES = 256
MAX_DEPTH = 32  # nesting of mappings/lists in a document


class RecipeInvalid(RecipeError):
    """Every problem found in a recipe, each tied to its node where it has one."""

    def __init__(self, errors: list[dict[str, Any]]):
        self.errors = errors
        super().__init__("; ".join(
            (f"node '{e['node']}': " if e.get("node") else "") + e["message"] for e in errors))


def _depth_ok(value: Any) -> bool:
    # Iterative, so a hostile document cannot exhaust the Python stack.
    stack = [(value, 1)]
    seen = 0
    while stack:
        item, depth = stack.pop()
        seen += 1
        if depth > MAX_DEPTH or seen > 100_000:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


class _SafeLoader(yaml.SafeLoader):
    """Safe YAML without aliases: an alias bomb ("billion laughs") expands to
    gigabytes once encoded, and recipes have no need to repeat themselves."""

    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
        if self.check_event(yaml.AliasEvent):
            raise RecipeInvalid([{"node": None, "message": "YAML aliases (*name) are not allowed"}])
        return super().compose_node(parent, index)


def parse(source: str | bytes | dict) -> dict:
    """A recipe document from YAML or JSON text (JSON is YAML), or an object."""
    if isinstance(source, dict):
        document = source
    elif not isinstance(source, (str, bytes)):
        raise RecipeInvalid([{"node": None, "message": "a recipe must be a mapping (an object)"}])
    else:
        if len(source) > MAX_DOCUMENT_BYTES:
            raise RecipeInvalid([{"node": None, "message":
                                  f"recipe is over {MAX_DOCUMENT_BYTES // 1024} KiB"}])
        try:
            text = source.decode("utf-8", "strict") if isinstance(source, bytes) else source
        except UnicodeDecodeError:
            raise RecipeInvalid([{"node": None, "message": "recipe text must be UTF-8"}]) from None
        try:
            document = yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - safe loader subclass
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
            raise RecipeInvalid([{"node": None, "message": f"not valid YAML or JSON{at}: "
                                  f"{getattr(exc, 'problem', None) or exc}"}]) from None
    if not isinstance(document, dict):
        raise RecipeInvalid([{"node": None, "message": "a recipe must be a mapping (an object)"}])
    if not _depth_ok(document):
        raise RecipeInvalid([{"node": None, "message": f"recipe nests deeper than {MAX_DEPTH}"}])
    # Round trip through JSON: YAML dates, sets or non-string keys have no place here.
    try:
        text = json.dumps(document, allow_nan=False)
        if "\\u0000" in text:
            raise ValueError("NUL characters are not allowed")
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise RecipeInvalid([{"node": None, "message": f"recipe holds a value JSON cannot: {exc}"}
                             ]) from None


def recipe_hash(normalized: dict) -> str:
    return hash_object(normalized)
