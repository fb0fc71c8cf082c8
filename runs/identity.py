"""The server's own identity, for provenance records (run ids: runs.graphs.graph_run_id)."""

from __future__ import annotations

from django.conf import settings

from engine import identity


def software() -> dict:
    return identity.software_identity(settings.BASE_DIR, settings.VERSION)


def hardware() -> dict:
    return identity.hardware_identity()
