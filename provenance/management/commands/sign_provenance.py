from django.core.management.base import BaseCommand

from l1site.signing import key_path
from provenance.services import provenance_sign_unsigned


class Command(BaseCommand):
    help = ("Sign the provenance records of runs that completed before this server "
            "signed them (after an upgrade). Safe to run again.")

    def handle(self, *args, **options):
        count = provenance_sign_unsigned()
        self.stdout.write(f"signed {count} record(s) with {key_path()}")
