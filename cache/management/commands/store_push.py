import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cache.content import StoreUnavailable, push_all
from cache.models import CacheItem


class Command(BaseCommand):
    help = ("Upload every cached file this host holds that the S3 bucket lacks "
            "(run once when moving from ARTDAG_STORE=local to s3; safe to run again).")

    def handle(self, *args, **options):
        total = sum(CacheItem.objects.values_list("size", flat=True))
        try:
            with tqdm(total=total, unit="B", unit_scale=True, file=sys.stderr,
                      disable=not sys.stderr.isatty()) as bar:
                counts = push_all(progress=bar.update)
        except StoreUnavailable as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(
            f"pushed {counts['pushed']} file(s); {counts['present']} already in the bucket; "
            f"{counts['missing']} indexed but not on this host"))
