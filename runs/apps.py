from django.apps import AppConfig

from cache import holders
from l1site.queues import route_finder_register


class RunsConfig(AppConfig):
    name = "runs"

    def ready(self) -> None:
        # Imported here, as Django asks: both read runs' models, which are
        # not loaded yet when this module is.
        from . import retention, routes

        # The cache and the router sit below runs and never import it: runs
        # tells them what its rows hold and where its messages go.
        holders.register("runs", retention.HOLDER)
        route_finder_register("runs.tasks.schedule_run", routes.run_route)
        route_finder_register("runs.tasks.render_step", routes.step_route)
