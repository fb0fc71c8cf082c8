from django import template

from .. import services
from ..models import Webhook

register = template.Library()


@register.inclusion_tag("webhooks/_profile_log.html")
def webhook_log(user):
    """The profile page's webhooks and their latest deliveries."""
    if not getattr(user, "is_authenticated", False):
        return {"hooks": [], "deliveries": []}
    return {"hooks": list(Webhook.objects.filter(owner=user)),
            "deliveries": list(services.recent_deliveries(user, 25))}
