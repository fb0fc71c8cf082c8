from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cache.maintenance import cache_gc


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise CommandError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise CommandError(f"expected a number >= 0, got {value}")
    return value


class Command(BaseCommand):
    help = ("Delete cached content nothing refers to (kept: assets, pinned items, outputs of runs "
            "finished within --keep-days, anything a pending or running run needs), and with "
            "ARTDAG_STORE=s3 its bucket object; exits 1 if the bucket refuses a delete.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list what would go; delete nothing")
        parser.add_argument("--keep-days", type=_non_negative, default=None,
                            help=f"keep outputs of runs finished this recently (default {settings.GC_KEEP_DAYS})")
        parser.add_argument("--max-bytes", type=_non_negative, default=None,
                            help="stop once the cache is this small (oldest content goes first)")
        parser.add_argument("--grace-seconds", type=_non_negative, default=None,
                            help=f"never collect younger content (default {settings.GC_GRACE_SECONDS})")

    def handle(self, *args, **options):
        report = cache_gc(dry_run=options["dry_run"], keep_days=options["keep_days"],
                          max_bytes=options["max_bytes"], grace_seconds=options["grace_seconds"])
        verb = "would delete" if options["dry_run"] else "deleted"
        for content_hash in report.deleted:
            self.stdout.write(f"{verb} {content_hash}")
        for failure in report.store_failed:
            self.stdout.write(f"kept {failure}")
        orphans = f"{report.orphan_files} orphan file(s)"
        if report.orphan_objects:
            orphans += f", {report.orphan_objects} orphan object(s) in the shared store"
        summary = (f"{verb} {len(report.deleted)} item(s) and {orphans}, "
                   f"{report.freed_bytes} bytes; {report.kept_in_use} kept because they came into use; "
                   f"{report.expired_runs} old run(s) lost their output; "
                   f"{report.stale_temp_files} stale temp file(s) removed")
        if report.store_failed:
            # Exit 1: the bucket is not being collected until it answers again.
            raise CommandError(f"{summary}; stopped: the shared store did not delete an object "
                               "(the item was kept; run cache_gc again when the store is back)")
        self.stderr.write(self.style.SUCCESS(summary))
