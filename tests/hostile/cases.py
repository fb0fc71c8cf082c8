"""The bad-input catalogue (docs/bad-input.md is generated from this list by
`python -m tests.hostile.cases`). Each case prepares what it needs, then
returns the hostile act; tests/hostile/test_catalogue.py runs the act and checks the
answer and that the database and the cache dir are exactly as before."""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from typing import Callable

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from PIL import Image

from tests import images

HASH0 = "0" * 64


@dataclass(frozen=True)
class Case:
    id: str
    target: str      # endpoint or command
    hostile: str     # what is sent
    status: int      # HTTP status, or 1 for a command's exit status
    code: str        # error code in the body, or text the command's message contains
    prepare: Callable  # (ctx) -> act; act() -> response or CommandError


CASES: list[Case] = []


def case(id, target, hostile, status, code):
    def register(prepare):
        CASES.append(Case(id, target, hostile, status, code, prepare))
        return prepare
    return register


def post_json(client, path, body: str, content_type="application/json"):
    return lambda: client.post(path, body, content_type=content_type)


def cli(*argv):
    def act():
        try:
            call_command(*argv, stdout=io.StringIO(), stderr=io.StringIO())
        except CommandError as exc:
            return exc
        return None
    return act


def stored(ctx, data: bytes, name: str) -> str:
    response = ctx.artist.post("/cache", {"file": SimpleUploadedFile(name, data)}, format="multipart")
    assert response.status_code in (200, 201), response.content
    return response.json()["content_hash"]


def run_on(ctx, data: bytes, name: str):
    digest = stored(ctx, data, name)
    return post_json(ctx.artist, "/runs", json.dumps({"recipe": "invert", "inputs": [digest]}))


# --- POST /runs: JSON ----------------------------------------------------------
for _id, _what, _body, _status, _code in [
    ("runs-malformed-json", "`{\"recipe\": ` (cut short)", '{"recipe": ', 400, "parse_error"),
    ("runs-deeply-nested", "100,000 nested `[`", "[" * 100_000 + "]" * 100_000, 400, "parse_error"),
    ("runs-json-not-object", "a JSON string instead of an object", '"dog"', 400, "invalid"),
    ("runs-inputs-not-list", "`inputs` as a string", '{"recipe": "dog", "inputs": "cat"}', 400, "invalid"),
    ("runs-inputs-empty", "`inputs: []`", '{"recipe": "dog", "inputs": []}', 400, "wrong_input_count"),
    ("runs-inputs-object", "an object inside `inputs`", '{"recipe": "dog", "inputs": [{"a": 1}]}', 400, "invalid"),
    ("runs-too-many-inputs", "257 inputs", json.dumps({"recipe": "dog", "inputs": ["cat"] * 257}), 400, "invalid"),
    ("runs-recipe-number", "`recipe` as a list", '{"recipe": ["dog"], "inputs": ["cat"]}', 400, "invalid"),
    ("runs-huge-string", "a 200,000-character output name", json.dumps({"recipe": "dog", "inputs": ["cat"], "output_name": "x" * 200_000}), 400, "invalid"),
    ("runs-nul-in-name", "NUL inside the recipe name", '{"recipe": "do\\u0000g", "inputs": ["cat"]}', 400, "invalid"),
    ("runs-lone-surrogate", "a lone UTF-16 surrogate in an input", '{"recipe": "dog", "inputs": ["\\ud800"]}', 400, "invalid"),
    ("runs-control-chars", "control characters and RTL override in an input name", '{"recipe": "dog", "inputs": ["c\\u202eat\\u0007"]}', 400, "unknown_input"),
    ("runs-sql-meta", "SQL in the recipe name", '{"recipe": "dog\'; DROP TABLE runs_run; --", "inputs": ["cat"]}', 400, "unknown_recipe"),
    ("runs-path-meta", "`../../etc/passwd` as an input", '{"recipe": "dog", "inputs": ["../../etc/passwd"]}', 400, "unknown_input"),
    ("runs-unknown-hash", "a well-formed hash nobody stored", json.dumps({"recipe": "dog", "inputs": [HASH0]}), 400, "unknown_input"),
    ("runs-wrong-input-count", "one input to the two-input `diptych`", '{"recipe": "diptych", "inputs": ["cat"]}', 400, "wrong_input_count"),
    ("runs-invalid-utf8", "bytes that are not UTF-8", b'{"recipe": "\xff\xfe"}', 400, "parse_error"),
]:
    case(_id, "POST /runs", _what, _status, _code)(
        lambda ctx, body=_body: post_json(ctx.artist, "/runs", body))


@case("runs-form-encoded", "POST /runs", "a form-encoded body", 415, "unsupported_media_type")
def _(ctx):
    return post_json(ctx.artist, "/runs", "recipe=dog&inputs=cat", "application/x-www-form-urlencoded")


@case("runs-body-over-limit", "POST /runs", "a JSON body over ARTDAG_MAX_JSON_BYTES", 413, "body_too_large")
def _(ctx):
    return post_json(ctx.artist, "/runs", json.dumps({"recipe": "dog", "inputs": ["cat"],
                                                      "pad": "x" * (settings.MAX_JSON_BYTES + 10)}))


# --- POST /runs: broken and hostile images, per format ------------------------
_IMAGE = images.pattern(64, 48, seed=7)
for _fmt, _ext in [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp"), ("GIF", "gif")]:
    _good = images.encode(_IMAGE, _fmt)
    case(f"image-truncated-{_ext}", "POST /runs", f"a {_fmt} cut in half as input", 400, "undecodable_input")(
        lambda ctx, data=_good[: len(_good) // 2], ext=_ext: run_on(ctx, data, f"cut.{ext}"))
    _corrupt = _good[:40] + bytes(b ^ 0x5A for b in _good[40:])
    case(f"image-corrupt-{_ext}", "POST /runs", f"a {_fmt} with its body scrambled as input", 400,
         "undecodable_input")(lambda ctx, data=_corrupt, ext=_ext: run_on(ctx, data, f"bad.{ext}"))


@case("image-bomb-pixels", "POST /runs", "a 30000x30000 PNG header (decompression bomb)", 413, "input_too_large")
def _(ctx):
    return run_on(ctx, images.bomb_png(), "bomb.png")


@case("media-too-long", "POST /runs", "a GIF lasting 30 s, over ARTDAG_MAX_MEDIA_SECONDS", 413, "input_too_large")
def _(ctx):
    ctx.settings.MAX_MEDIA_SECONDS = 10
    frames = [Image.new("RGB", (4, 4), (i % 256, (i * 7) % 256, 0)) for i in range(300)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100)
    return run_on(ctx, out.getvalue(), "frames.gif")


@case("image-not-an-image", "POST /runs", "a text file as input", 400, "unsupported_input")
def _(ctx):
    return run_on(ctx, b"just text, not pixels", "notes.txt")


# --- POST /cache -----------------------------------------------------------------
@case("upload-zero-bytes", "POST /cache", "an empty file", 400, "empty_file")
def _(ctx):
    return lambda: ctx.artist.post("/cache", {"file": SimpleUploadedFile("e.png", b"")}, format="multipart")


@case("upload-no-file", "POST /cache", "a form without the `file` field", 400, "file_required")
def _(ctx):
    return lambda: ctx.artist.post("/cache", {"other": "x"}, format="multipart")


@case("upload-two-files", "POST /cache", "two files in one request", 400, "one_file_only")
def _(ctx):
    files = [SimpleUploadedFile(n, images.png(seed=i)) for i, n in enumerate(("a.png", "b.png"))]
    return lambda: ctx.artist.post("/cache", {"file": files}, format="multipart")


@case("upload-oversized", "POST /cache", "a file over ARTDAG_MAX_UPLOAD_BYTES", 413, "upload_too_large")
def _(ctx):
    ctx.settings.MAX_UPLOAD_BYTES = 2048
    return lambda: ctx.artist.post("/cache", {"file": SimpleUploadedFile("big.bin", os.urandom(4096))},
                                   format="multipart")


@case("upload-json-body", "POST /cache", "JSON instead of multipart", 415, "unsupported_media_type")
def _(ctx):
    return post_json(ctx.artist, "/cache", '{"file": "x"}')


@case("upload-anonymous", "POST /cache", "an upload without credentials", 401, "not_authenticated")
def _(ctx):
    return lambda: ctx.anon.post("/cache", {"file": SimpleUploadedFile("a.png", images.png())},
                                 format="multipart")


@case("upload-csrf-less", "POST /cache", "a session-cookie upload without a CSRF token", 403, "permission_denied")
def _(ctx):
    return lambda: ctx.browser.post("/cache", {"file": SimpleUploadedFile("a.png", images.png())})


# --- auth ---------------------------------------------------------------------------
@case("auth-missing", "POST /runs", "no credentials", 401, "not_authenticated")
def _(ctx):
    return post_json(ctx.anon, "/runs", '{"recipe": "dog", "inputs": ["cat"]}')


@case("auth-bad-token", "POST /runs", "`Authorization: Token not-a-token`", 401, "authentication_failed")
def _(ctx):
    return lambda: ctx.anon.post("/runs", '{"recipe": "dog", "inputs": ["cat"]}',
                                 content_type="application/json", HTTP_AUTHORIZATION="Token not-a-token")


@case("auth-malformed-header", "POST /runs", "`Authorization: Token a b c`", 401, "authentication_failed")
def _(ctx):
    return lambda: ctx.anon.post("/runs", '{"recipe": "dog", "inputs": ["cat"]}',
                                 content_type="application/json", HTTP_AUTHORIZATION="Token a b c")


@case("token-id-not-ascii-digits", "DELETE /tokens/{id}", "`DELETE /tokens/²` (a digit to str.isdigit, not to int)",
      404, "not_found")
def _(ctx):
    return lambda: ctx.artist.delete("/tokens/%C2%B2")


@case("auth-truncated-token", "GET /me", "a real token with its last character cut", 401,
      "authentication_failed")
def _(ctx):
    from django.contrib.auth import get_user_model

    from accounts.services import token_create

    _, key = token_create(user=get_user_model().objects.get(username="artist"), name="laptop")
    return lambda: ctx.anon.get("/me", HTTP_AUTHORIZATION=f"Token {key[:-1]}")


@case("auth-csrf-less-form", "POST /runs", "a session-cookie form post without a CSRF token", 403, "permission_denied")
def _(ctx):
    return lambda: ctx.browser.post("/runs", {"recipe": "dog", "inputs": "cat"})


@case("cancel-someone-elses-run", "POST /runs/{id}/cancel", "another user's run", 403, "permission_denied")
def _(ctx):
    run_id = ctx.artist.post("/runs", {"recipe": "invert", "inputs": ["cat"]}, format="json").json()["run_id"]
    return lambda: ctx.other.post(f"/runs/{run_id}/cancel")


@case("cancel-anonymous", "POST /runs/{id}/cancel", "no credentials", 401, "not_authenticated")
def _(ctx):
    run_id = ctx.artist.post("/runs", {"recipe": "invert", "inputs": ["cat"]}, format="json").json()["run_id"]
    return lambda: ctx.anon.post(f"/runs/{run_id}/cancel")


@case("cancel-unknown-run", "POST /runs/{id}/cancel", "an id nobody submitted", 404, "not_found")
def _(ctx):
    return lambda: ctx.artist.post(f"/runs/{HASH0}/cancel")


# --- assets ----------------------------------------------------------------------------
for _id, _name, _what in [
    ("asset-name-dotdot", "../etc", "`..` in the name"),
    ("asset-name-slash", "a/b", "a slash in the name"),
    ("asset-name-unicode", "kätzchen", "non-ASCII letters in the name"),
    ("asset-name-control", "cat\n\x07", "control characters in the name"),
    ("asset-name-hash", "ab" * 32, "a name that is 64 hex characters"),
    ("asset-name-huge", "n" * 5000, "a 5,000-character name"),
]:
    case(_id, "POST /assets", _what, 400, "invalid")(
        lambda ctx, name=_name: post_json(ctx.artist, "/assets", json.dumps({"name": name, "content_hash": ctx.cat})))


@case("asset-unknown-hash", "POST /assets", "content that is not in the cache", 404, "not_found")
def _(ctx):
    return post_json(ctx.artist, "/assets", json.dumps({"name": "ghost", "content_hash": HASH0}))


@case("asset-taken-name", "POST /assets", "a name already in use", 409, "name_taken")
def _(ctx):
    return post_json(ctx.artist, "/assets", json.dumps({"name": "cat", "content_hash": ctx.cat}))


@case("asset-tags-wrong-type", "POST /assets", "`tags` as a string", 400, "invalid")
def _(ctx):
    return post_json(ctx.artist, "/assets", json.dumps({"name": "ok", "content_hash": ctx.cat, "tags": "x"}))


# --- POST /cache/import ----------------------------------------------------------------
@case("import-dotdot", "POST /cache/import", "a path with `..`", 400, "invalid_path")
def _(ctx):
    return lambda: ctx.staff.post(f"/cache/import?path={ctx.import_root}/../../etc/passwd")


@case("import-symlink-escape", "POST /cache/import", "a symlink in the import root pointing at /etc/passwd", 403, "path_not_allowed")
def _(ctx):
    os.symlink("/etc/passwd", ctx.import_root / "innocent.png")
    return lambda: ctx.staff.post(f"/cache/import?path={ctx.import_root}/innocent.png")


@case("import-outside-roots", "POST /cache/import", "an absolute path outside the roots", 403, "path_not_allowed")
def _(ctx):
    return lambda: ctx.staff.post("/cache/import?path=/etc/hostname")


@case("import-relative", "POST /cache/import", "a relative path", 400, "invalid_path")
def _(ctx):
    return lambda: ctx.staff.post("/cache/import?path=cat.png")


@case("import-directory", "POST /cache/import", "a directory", 400, "not_a_file")
def _(ctx):
    return lambda: ctx.staff.post(f"/cache/import?path={ctx.import_root}")


@case("import-empty-file", "POST /cache/import", "a zero-byte file", 400, "empty_file")
def _(ctx):
    (ctx.import_root / "empty.png").write_bytes(b"")
    return lambda: ctx.staff.post(f"/cache/import?path={ctx.import_root}/empty.png")


@case("import-not-staff", "POST /cache/import", "a non-staff user", 403, "permission_denied")
def _(ctx):
    (ctx.import_root / "fine.png").write_bytes(images.png())
    return lambda: ctx.artist.post(f"/cache/import?path={ctx.import_root}/fine.png")


# --- reads and methods ----------------------------------------------------------------
for _id, _path, _status, _code in [
    ("cache-not-a-hash", "/cache/not-a-hash", 400, "invalid_hash"),
    ("cache-uppercase-hash", "/cache/" + "AB" * 32, 400, "invalid_hash"),
    ("cache-unknown-hash", f"/cache/{HASH0}", 404, "not_found"),
    ("run-unknown-id", f"/runs/{HASH0}", 404, "not_found"),
    ("runs-bad-status-filter", "/runs?status=exploded", 400, "invalid_filter"),
    ("cache-bad-origin-filter", "/cache?origin=%27%20OR%201%3D1", 400, "invalid_filter"),
    ("runs-garbage-cursor", "/runs?cursor=%ff%fe", 400, "invalid_cursor"),
    # base64 of "p=not-a-date": a cursor whose position is no date
    ("runs-forged-cursor", "/runs?cursor=cD1ub3QtYS1kYXRl", 400, "invalid_cursor"),
    # base64 of "p=1&p=2&x=3": keys repeated and unknown
    ("cache-forged-cursor", "/cache?cursor=cD0xJnA9MiZ4PTM%3D", 400, "invalid_cursor"),
    # base64 of "p=cat%00": a name with a NUL, which PostgreSQL text cannot hold
    ("assets-cursor-with-nul", "/assets?cursor=cD1jYXQlMDA%3D", 400, "invalid_cursor"),
    ("nul-in-url", "/assets/%00", 400, "invalid"),
]:
    case(_id, f"GET {_path.split('?')[0]}", f"`GET {_path}`", _status, _code)(
        lambda ctx, path=_path: (lambda: ctx.anon.get(path)))

for _id, _method, _path in [
    ("method-put-runs", "put", "/runs"), ("method-delete-cache", "delete", f"/cache/{HASH0}"),
    ("method-patch-recipe", "patch", "/recipes/dog"), ("method-post-effects", "post", "/effects"),
    ("method-post-health", "post", "/health"),
]:
    case(_id, f"{_method.upper()} {_path}", "a method the endpoint does not have", 405, "method_not_allowed")(
        lambda ctx, method=_method, path=_path: (lambda: getattr(ctx.artist, method)(path)))


# --- commands ----------------------------------------------------------------------------
@case("cli-render-unknown-recipe", "manage.py render", "an unknown recipe", 1, "unknown recipe")
def _(ctx):
    return cli("render", "no-such-recipe", "cat")


@case("cli-render-path-input", "manage.py render", "`../../etc/passwd` as an input", 1, "neither a 64-hex content hash")
def _(ctx):
    return cli("render", "dog", "../../etc/passwd")


@case("cli-render-unknown-hash", "manage.py render", "a hash nobody stored", 1, "no cached content")
def _(ctx):
    return cli("render", "dog", HASH0)


@case("cli-import-missing", "manage.py import_file", "a path that does not exist", 1, "no such file")
def _(ctx):
    return cli("import_file", "/nonexistent/cat.png")


@case("cli-gc-negative-days", "manage.py cache_gc", "`--keep-days -1`", 1, "expected a number >= 0")
def _(ctx):
    return cli("cache_gc", "--keep-days", "-1")


@case("cli-gc-not-a-number", "manage.py cache_gc", "`--max-bytes lots`", 1, "expected a whole number")
def _(ctx):
    return cli("cache_gc", "--max-bytes", "lots")


def markdown() -> str:
    lines = [
        "# Bad input catalogue",
        "",
        "Every row is a hostile or broken request, and a test",
        "(`tests/hostile/test_catalogue.py`, one parametrized case per row, generated from",
        "`tests/hostile/cases.py` by `python -m tests.hostile.cases`). Each must get the",
        "status and error code shown, in the one error shape",
        '`{"error": {"code", "message", "details"}}` (commands: a clear message and exit',
        "status 1), and must leave the database (row ids of every model, run states) and",
        "the cache dir (every file, temp files included) exactly as they were.",
        "",
        f"{len(CASES)} cases.",
        "",
        "| # | id | target | hostile input | answer |",
        "|---|----|--------|---------------|--------|",
    ]
    for n, c in enumerate(CASES, 1):
        answer = f"exit 1, “{c.code}”" if c.status == 1 else f"{c.status} `{c.code}`"
        hostile = c.hostile.replace("|", "\\|")
        lines.append(f"| {n} | `{c.id}` | {c.target} | {hostile} | {answer} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "l1site.settings")
    django.setup()
    print(markdown(), end="")
