from django.db import IntegrityError, transaction

from cache.services import cache_get
from l1site.exceptions import DomainError

from .models import Asset


def asset_register(*, name: str, content_hash: str, tags: list[str], description: str = "",
                   owner=None) -> Asset:
    item = cache_get(content_hash)
    try:
        with transaction.atomic():
            return Asset.objects.create(name=name, content=item, tags=tags,
                                        description=description, owner=owner)
    except IntegrityError:
        # The unique constraint decides, not a check-then-insert.
        raise DomainError(f"an asset named '{name}' already exists", code="name_taken",
                          status_code=409) from None
