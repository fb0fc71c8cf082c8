"""Who else holds on to cached content: the apps above the cache.

Rows above the cache point at its items (a run's output, its inputs, a graph
step's result), and the cache imports none of those apps. Each registers a
Holder here in its AppConfig.ready() (runs: runs.retention). Garbage
collection (cache.maintenance) asks every holder which content it still
needs before collecting anything, and tells it when an item goes, collected
or lost (cache_verify --repair), so nothing above is left pointing at bytes
that are gone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet


@dataclass(frozen=True)
class Holder:
    # The content hashes it needs, as querysets of one column (subqueries
    # cache_gc leaves out of its candidates). cutoff: the retention's oldest
    # finish; what finished since is still needed.
    needed: Callable[[datetime], Iterable[QuerySet]]
    # Whether it needs this one item: asked again under the item's row lock,
    # just before gc deletes it, since a use may have begun meanwhile.
    needs: Callable[[str, datetime], bool]
    # gc is deleting the item, inside its transaction: let go of it. Returns
    # how many of the holder's rows lost their output (GcReport.expired_runs).
    collected: Callable[[str], int]
    # The item's bytes are lost (missing or corrupt) and the index is being
    # repaired: let go of it. Returns a note for the operator, or "".
    lost: Callable[[str], str]


_holders: dict[str, Holder] = {}


def register(name: str, holder: Holder) -> None:
    # By name: an AppConfig.ready() that runs twice replaces its holder.
    _holders[name] = holder


def holders() -> list[Holder]:
    return list(_holders.values())
