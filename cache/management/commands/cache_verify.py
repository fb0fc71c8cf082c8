import sys

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum
from tqdm import tqdm

from cache.maintenance import cache_verify_all
from cache.models import CacheItem


class Command(BaseCommand):
    help = ("Re-hash every file in the cache. Corrupt files are moved to CACHE_DIR/quarantine; "
            "exits 1 if any file is missing or corrupt.")

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true",
                            help="also fix the index: drop lost items nothing needs, fail the "
                                 "runs whose output was lost so asking again re-renders them")

    def handle(self, *args, **options):
        total = CacheItem.objects.aggregate(b=Sum("size"))["b"] or 0
        with tqdm(total=total, unit="B", unit_scale=True, file=sys.stderr,
                  disable=not sys.stderr.isatty()) as bar:
            report = cache_verify_all(repair=options["repair"], progress=bar.update)
        for content_hash in report.missing:
            self.stdout.write(f"missing  {content_hash}")
        for content_hash in report.corrupt:
            self.stdout.write(f"corrupt  {content_hash}  (quarantined)")
        for line in report.repaired:
            self.stdout.write(f"repaired {line}")
        summary = (f"checked {report.checked} item(s): {len(report.missing)} missing, "
                   f"{len(report.corrupt)} corrupt")
        if not report.ok:
            raise CommandError(summary)
        self.stderr.write(self.style.SUCCESS(summary))
