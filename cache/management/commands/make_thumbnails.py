import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from cache import thumbs


class Command(BaseCommand):
    help = ("Make the thumbnails cached images are missing (e.g. after an upgrade): queued "
            "for the workers, or made here with --sync.")

    def add_arguments(self, parser):
        parser.add_argument("--sync", action="store_true", help="make them in this process")

    def handle(self, *args, **options):
        missing = list(thumbs.thumbnails_missing())
        for item in tqdm(missing, unit="image", file=sys.stderr,
                         disable=not sys.stderr.isatty() or not missing):
            if options["sync"]:
                thumbs.thumbnails_make(item.content_hash)
            else:
                thumbs.thumbnails_queue(item)
        verb = "made thumbnails for" if options["sync"] else "queued thumbnails for"
        self.stdout.write(f"{verb} {len(missing)} image(s)")
