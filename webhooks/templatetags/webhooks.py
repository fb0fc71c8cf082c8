from django import template

from .. import services
from ..models import EVENTS, Webhook
from ..pages import SECRET_KEY

register = template.Library()


@register.inclusion_tag("webhooks/_profile_log.html", takes_context=True)
def webhook_log(context, user):
    """The profile page's webhooks, the form to add one, and their latest deliveries."""
    if not getattr(user, "is_authenticated", False):
        return {"hooks": [], "deliveries": []}
    request = context["request"]
    return {"hooks": list(Webhook.objects.filter(owner=user)),
            "deliveries": list(services.recent_deliveries(user, 25)),
            "new_hook": request.session.pop(SECRET_KEY, None), "events": EVENTS,
            "csrf_token": context.get("csrf_token")}
