"""Filling the database with many realistic rows, fast: `manage.py bench_seed`.

For measuring listings at scale. Rows are what the server itself would
write (valid 64-hex hashes, every status, several owners, timestamps one
apart so the newest-first order is total), inserted in batches: on PostgreSQL
through COPY into a temporary table and one INSERT ... ON CONFLICT DO
NOTHING per batch (about ten times faster than building model instances),
elsewhere with bulk_create. The cache rows are index entries only: their bytes are not on
disk, so GET /cache/{hash} of one answers 404. Hashes derive from the row
number, so running it again with the same counts adds nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import random
from typing import Callable

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from psycopg import sql
from django.utils import timezone

from cache.models import CacheItem

from .models import Recipe, Run

OWNERS = 10
MEDIA = [("image/png", 0.5), ("image/jpeg", 0.3), ("image/webp", 0.15), ("image/gif", 0.05)]
# Roughly what a busy server's history looks like.
STATUSES = [(Run.Status.COMPLETED, 0.80), (Run.Status.FAILED, 0.08),
            (Run.Status.CANCELLED, 0.03), (Run.Status.PENDING, 0.06), (Run.Status.RUNNING, 0.03)]
Progress = Callable[[int], object] | None


def _hash(kind: str, n: int) -> str:
    return hashlib.sha3_256(f"artdag-bench-seed:{kind}:{n}".encode()).hexdigest()


def _pick(rng: random.Random, weighted: list[tuple]) -> object:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _owners() -> list:
    User = get_user_model()
    return [User.objects.get_or_create(username=f"bench-owner-{i}")[0] for i in range(OWNERS)]


def _batches(count: int, size: int):
    for start in range(0, count, size):
        yield range(start, min(start + size, count))


def _insert(model, rows: list[dict]) -> None:
    """Insert rows (column -> value), skipping any whose key already exists."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            model.objects.bulk_create([model(**row) for row in rows], ignore_conflicts=True)
        return
    columns = list(rows[0])
    json_columns = {f.column for f in model._meta.concrete_fields
                    if f.get_internal_type() == "JSONField"}
    table, temp = model._meta.db_table, f"seed_{model._meta.db_table}"
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        # With the columns' database defaults: a column the rows do not name
        # (one added since this seeder was written) takes its default.
        raw.execute(sql.SQL("CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP").format(
            sql.Identifier(temp), sql.Identifier(table)))
        with raw.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(temp), names)) as copy:
            for row in rows:
                copy.write_row([json.dumps(row[c]) if c in json_columns and row[c] is not None
                                else row[c] for c in columns])
        raw.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT DO NOTHING").format(
            sql.Identifier(table), names, names, sql.Identifier(temp)))
        # Dropped here, not only at commit: inside an outer transaction (a
        # caller's atomic block) the next batch would find it still there.
        raw.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(temp)))


# The media facts a still's row records (engine.probe), for the columns this
# schema has: every text column is NOT NULL, so COPY must give them all.
_STILL = {k: v for k, v in {"kind": "still", "duration": 0.0, "video_codec": "",
                            "audio_codec": ""}.items()
          if k in {f.name for f in CacheItem._meta.concrete_fields}}


def seed_cache_items(count: int, *, batch: int, start: datetime.datetime,
                     progress: Progress = None) -> int:
    rng = random.Random(7)
    owners = _owners()
    for numbers in _batches(count, batch):
        rows = []
        for n in numbers:
            media_type = _pick(rng, MEDIA)
            width, height = rng.choice([(640, 480), (1024, 768), (1920, 1080), (2048, 2048)])
            rows.append(dict(
                content_hash=_hash("cache", n), size=rng.randint(20_000, 8_000_000),
                media_type=media_type, origin=rng.choice(CacheItem.Origin.values),
                original_name=f"seeded-{n:07d}.{media_type.split('/')[1]}",
                width=width, height=height, frames=1, decode_error="", pinned=False,
                owner_id=rng.choice(owners).pk,
                created_at=start + datetime.timedelta(seconds=n), **_STILL))
        _insert(CacheItem, rows)
        if progress:
            progress(len(rows))
    return count


def seed_runs(count: int, *, items: int, batch: int, start: datetime.datetime,
              progress: Progress = None) -> int:
    """Runs over the first `items` seeded cache items (seed those first)."""
    rng = random.Random(11)
    owners = _owners()
    recipes = [r for r in Recipe.objects.all() if len(r.definition["dag"]["inputs"]) == 1]
    if not recipes or items < 1:
        raise ValueError("runs need single-input recipes (migrate) and seeded cache items")
    for numbers in _batches(count, batch):
        rows = []
        for n in numbers:
            recipe, status = rng.choice(recipes), _pick(rng, STATUSES)
            source, output = _hash("cache", rng.randrange(items)), _hash("cache", rng.randrange(items))
            created = start + datetime.timedelta(seconds=n)
            started = created + datetime.timedelta(seconds=1) if status != Run.Status.PENDING else None
            finished = (started + datetime.timedelta(milliseconds=rng.randint(20, 5000))
                        if status in Run.FINISHED and started else None)
            done = status == Run.Status.COMPLETED
            rows.append(dict(
                id=_hash("run", n), recipe_id=recipe.pk, recipe_name=recipe.name,
                recipe_hash=recipe.definition_hash,
                inputs=[{"name": source, "content_hash": source}],
                output_name=f"{recipe.name}-{source[:16]}", status=status,
                error="engine error: image is truncated" if status == Run.Status.FAILED else "",
                output_id=output if done else None,
                provenance={"run_id": _hash("run", n), "recipe": {"name": recipe.name},
                            "output": {"content_hash": output}} if done else None,
                task_id=f"seeded-{n}", attempts=0 if status == Run.Status.PENDING else 1,
                owner_id=rng.choice(owners).pk, cancelled_by_id=None, created_at=created,
                started_at=started, finished_at=finished, params={}, inline=True))
        _insert(Run, rows)
        if progress:
            progress(len(rows))
    return count


def seed_bench(*, items: int, runs: int, batch: int = 5000,
               progress: Progress = None) -> dict[str, int]:
    """`items` cache items and `runs` runs, the newest ending now."""
    span = max(items, runs)
    start = timezone.now() - datetime.timedelta(seconds=span)
    seed_cache_items(items, batch=batch, start=start, progress=progress)
    if runs:
        seed_runs(runs, items=items, batch=batch, start=start, progress=progress)
    return {"cache_items": CacheItem.objects.count(), "runs": Run.objects.count()}
