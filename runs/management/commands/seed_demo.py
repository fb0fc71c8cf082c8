from django.core.management.base import BaseCommand

from runs.demo import seed_demo


class Command(BaseCommand):
    help = ("Create the demo assets (the `cat` picture, a music track and three clips made "
            "by code) and the built-in recipes (safe to run again).")

    def add_arguments(self, parser):
        parser.add_argument("--no-media", action="store_true",
                            help="skip the music and clips (they take a second or two to make)")

    def handle(self, *args, **options):
        result = seed_demo(media=not options["no_media"])
        self.stdout.write(f"cat = {result['cat']}")
        for name in ("demo-music", "demo-clip-1", "demo-clip-2", "demo-clip-3"):
            if name in result:
                self.stdout.write(f"{name} = {result[name]}")
        self.stdout.write(self.style.SUCCESS(
            f"demo ready: recipes {', '.join(result['recipes'])}"))
