from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.services import token_create
from l1site.exceptions import DomainError


class Command(BaseCommand):
    help = "Make a named API token for a user and print its key (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("name", help="what the token is for, e.g. laptop or ci")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user named {options['username']!r}")
        try:
            token, key = token_create(user=user, name=options["name"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(key)
        self.stderr.write(f"token {token.name!r} for {user.username}: send it as "
                          f"'Authorization: Token <key>'; revoke it at /profile")
