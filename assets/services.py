from django.db import IntegrityError, transaction

from accounts.permissions import may_change
from cache.services import cache_item_present
from l1site.errors import DomainError, NotFound

from .models import Asset


def asset_register(*, name: str, content_hash: str, tags: list[str], description: str = "",
                   owner=None) -> Asset:
    item = cache_item_present(content_hash)
    try:
        with transaction.atomic():
            return Asset.objects.create(name=name, content=item, tags=tags,
                                        description=description, owner=owner)
    except IntegrityError:
        # The unique constraint decides, not a check-then-insert.
        raise DomainError(f"an asset named '{name}' already exists", code="name_taken",
                          status_code=409) from None


def _asset_for_change(name: str, by) -> Asset:
    asset = Asset.objects.filter(name=name).first()
    if asset is None:
        raise NotFound(f"no asset named '{name}'")
    if not may_change(by, asset):
        raise DomainError("only the asset's owner or staff may change it",
                          code="permission_denied", status_code=403)
    return asset


def asset_update(name: str, *, by, changes: dict) -> Asset:
    """Rename an asset or change its tags or description (owner or staff)."""
    asset = _asset_for_change(name, by)
    for field in ("name", "tags", "description"):
        if field in changes:
            setattr(asset, field, changes[field])
    try:
        with transaction.atomic():
            asset.save(update_fields=[f for f in ("name", "tags", "description") if f in changes])
    except IntegrityError:
        raise DomainError(f"an asset named '{changes.get('name')}' already exists",
                          code="name_taken", status_code=409) from None
    return asset


def asset_delete(name: str, *, by) -> None:
    """Forget a name (owner or staff). The cached content stays: other assets
    and runs may use the same bytes."""
    _asset_for_change(name, by).delete()
