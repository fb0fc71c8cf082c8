from django.core.management.base import BaseCommand

from runs.demo import seed_demo


class Command(BaseCommand):
    help = "Create the demo asset `cat` and the built-in recipes (safe to run again)."

    def handle(self, *args, **options):
        result = seed_demo()
        self.stdout.write(f"cat = {result['cat']}")
        self.stdout.write(self.style.SUCCESS(
            f"demo ready: asset cat, recipes {', '.join(result['recipes'])}"))
