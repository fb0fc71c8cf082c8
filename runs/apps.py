from django.apps import AppConfig

from l1site.queues import route_finder_register


class RunsConfig(AppConfig):
    name = "runs"

    def ready(self) -> None:
        # Imported here, as Django asks: it reads runs' models, which are
        # not loaded yet when this module is.
        from . import routes

        # The router sits below runs and never imports it: runs tells it
        # where its messages go.
        route_finder_register("runs.tasks.schedule_run", routes.run_route)
        route_finder_register("runs.tasks.render_step", routes.step_route)
