from django.apps import AppConfig

from l1site.signing import signing_key


class ProvenanceConfig(AppConfig):
    name = "provenance"
    verbose_name = "Provenance, reproductions and publications"

    def ready(self) -> None:
        # "On first start": web and worker processes both create (or read) the
        # key here, so the first signature never waits on key generation.
        signing_key()
