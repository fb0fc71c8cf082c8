import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cache.services import cache_import_local


def _expand(paths: list[str]) -> list[Path]:
    files = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise CommandError(f"no such file or folder: {raw}")
    return files


class Command(BaseCommand):
    help = "Import files, or every file under folders, into the cache; prints each hash."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+")

    def handle(self, *args, **options):
        found = _expand(options["paths"])
        files = [p for p in found if p.stat().st_size > 0]
        if skipped := len(found) - len(files):
            self.stderr.write(f"skipping {skipped} empty file(s)")
        total = sum(p.stat().st_size for p in files)
        new = 0
        with tqdm(total=total, unit="B", unit_scale=True, file=sys.stderr,
                  disable=not sys.stderr.isatty() or not files) as bar:
            for path in files:
                try:
                    item, created = cache_import_local(path, progress=bar.update)
                except OSError as exc:
                    raise CommandError(f"cannot import {path}: {exc.strerror or exc}") from None
                new += created
                with tqdm.external_write_mode():  # keep the bar intact on a terminal
                    self.stdout.write(f"{item.content_hash}  {path}")
        self.stderr.write(self.style.SUCCESS(
            f"imported {len(files)} file(s), {new} new, {total} bytes"))
