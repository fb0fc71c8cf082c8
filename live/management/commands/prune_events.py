from django.core.management.base import BaseCommand

from live.services import events_prune


class Command(BaseCommand):
    help = "Delete run events and previews older than ARTDAG_LIVE_KEEP_DAYS (beat does it hourly)."

    def handle(self, *args, **options):
        gone = events_prune()
        self.stdout.write(f"pruned {gone['events']} events, {gone['previews']} previews, "
                          f"{gone['timings']} step timings")
