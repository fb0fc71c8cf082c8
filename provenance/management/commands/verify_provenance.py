import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from l1site.errors import DomainError
from provenance import services


class Command(BaseCommand):
    help = ("Check a provenance record's signature: give a JSON file (as GET "
            "/runs/{id}/provenance returns it) or a run id. Exit 0 if valid, 1 if not.")

    def add_arguments(self, parser):
        parser.add_argument("file_or_run_id")
        parser.add_argument("--public-key", help="a PEM file, or base64 of the 32-byte key "
                                                 "(default: this server's key)")

    def handle(self, *args, **options):
        target = options["file_or_run_id"]
        path = Path(target)
        try:
            if path.is_file():
                try:
                    record = json.loads(path.read_text(encoding="utf-8"))
                except (UnicodeDecodeError, ValueError) as exc:
                    raise CommandError(f"{target} is not a JSON file: {exc}") from None
            elif len(target) == 64 and not path.exists():
                record = services.run_provenance(target)
            else:
                raise CommandError(f"{target} is neither a file nor a 64-character run id")
            key = options["public_key"]
            if key and Path(key).is_file():
                key = Path(key).read_text(encoding="ascii", errors="replace")
            verdict = services.provenance_verify(record, public_key=key)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if not verdict.valid:
            raise CommandError(f"invalid: {verdict.reason}")
        self.stdout.write(f"valid: {verdict.reason}")
