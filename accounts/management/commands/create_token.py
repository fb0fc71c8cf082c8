from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.scopes import SCOPES
from accounts.services import token_create
from l1site.errors import DomainError


class Command(BaseCommand):
    help = "Make a named API token for a user and print its key (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("name", help="what the token is for, e.g. laptop or ci")
        parser.add_argument("--scope", action="append", dest="scopes", metavar="SCOPE",
                            help=f"what it may do: {', '.join(SCOPES)} (each includes those "
                                 "before it); repeat or separate with commas. Default: admin")
        parser.add_argument("--expires-in", type=int, metavar="DAYS",
                            help="days until it stops working (default: never)")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user named {options['username']!r}")
        scopes = None
        if options["scopes"]:
            scopes = [s.strip() for given in options["scopes"] for s in given.split(",") if s.strip()]
        try:
            token, key = token_create(user=user, name=options["name"], scopes=scopes,
                                      expires_in=options["expires_in"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(key)
        expiry = (f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at
                  else "never expires")
        self.stderr.write(f"token {token.name!r} for {user.username} "
                          f"(scopes: {', '.join(token.scope_list)}; {expiry}): send it as "
                          f"'Authorization: Token <key>'; revoke it at /profile")
