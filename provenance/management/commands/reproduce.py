from django.core.management.base import BaseCommand, CommandError

from l1site.errors import DomainError
from provenance.reproduce import reproduce_now


class Command(BaseCommand):
    help = ("Render a completed run again in this process, bypassing the cache, and compare "
            "the new output's hash with the recorded one. Exit 0 if reproduced, 1 if not.")

    def add_arguments(self, parser):
        parser.add_argument("run_id")

    def handle(self, *args, **options):
        try:
            result = reproduce_now(options["run_id"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        summary = (f"{result.status}: expected {result.expected_hash}, got "
                   f"{result.actual_hash or '-'} on {result.host} (software "
                   f"{result.software_hash[:16]}…, {'same' if result.same_software else 'different'}"
                   f" software as the original)")
        if result.status != "reproduced":
            raise CommandError(f"{summary}{': ' + result.error if result.error else ''}")
        self.stdout.write(summary)
