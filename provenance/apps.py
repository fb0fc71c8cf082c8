from django.apps import AppConfig

from l1site.queues import route_finder_register
from l1site.signing import signing_key


class ProvenanceConfig(AppConfig):
    name = "provenance"
    verbose_name = "Provenance, reproductions and publications"

    def ready(self) -> None:
        # Imported here, as Django asks: these read models, which are not
        # loaded yet when this module is.
        from runs.serializers import run_field_register
        from . import reproduce, serializers  # (likewise)

        # Runs sit below provenance and never import it: a run's API answer
        # gets its reproductions and publication here, and a reproduction's
        # message goes where its run's would.
        run_field_register("reproductions", serializers.RunReproductionsField)
        run_field_register("publication", serializers.RunPublicationField)
        route_finder_register("provenance.tasks.reproduce_run", reproduce.reproduction_route)
        # "On first start": web and worker processes both create (or read) the
        # key here, so the first signature never waits on key generation.
        signing_key()
