import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from runs.seeding import seed_bench


def count(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(raw)
    return value


class Command(BaseCommand):
    help = ("Fill the database with N cache items and N runs (bulk inserts) for benchmarks; "
            "the cache rows have no bytes on disk. Running it again with the same counts adds "
            "nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--items", type=count, default=100_000, help="cache items (default 100000)")
        parser.add_argument("--runs", type=count, default=100_000, help="runs (default 100000)")
        parser.add_argument("--batch", type=count, default=5000, help="rows per INSERT (default 5000)")

    def handle(self, *args, items, runs, batch, **options):
        if runs and not items:
            raise CommandError("runs need cache items for their inputs and outputs: give --items")
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        with tqdm(total=items + runs, unit="rows", file=sys.stderr,
                  disable=not sys.stderr.isatty()) as bar:
            totals = seed_bench(items=items, runs=runs, batch=batch, progress=bar.update)
        self.stdout.write(self.style.SUCCESS(
            f"seeded {items} cache items and {runs} runs; the database now holds "
            f"{totals['cache_items']} cache items and {totals['runs']} runs"))
