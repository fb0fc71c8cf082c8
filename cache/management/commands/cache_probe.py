import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from cache import content
from cache.models import CacheItem
from cache.services import cache_reprobe


class Command(BaseCommand):
    help = ("Read the media facts (kind, size, length, frame rate, codecs) of cached files "
            "again from their bytes: by default the items that have none, e.g. video and sound "
            "indexed before the cache recorded them; --all for every item.")

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="every item, not only those "
                            "without a kind")

    def handle(self, *args, **options):
        items = CacheItem.objects.order_by("-created_at", "-content_hash")
        if not options["all"]:
            items = items.filter(kind="")
        probed = changed = missing = 0
        with tqdm(total=items.count(), unit="file", file=sys.stderr,
                  disable=not sys.stderr.isatty()) as bar:
            for item in items.iterator(chunk_size=500):
                try:
                    changed += cache_reprobe(item)
                except content.ContentMissing:
                    missing += 1
                probed += 1
                bar.update(1)
        self.stdout.write(f"probed {probed} item(s): {changed} changed, {missing} without bytes")
