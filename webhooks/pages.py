"""The profile page's webhook forms (the page itself is accounts.views.profile,
which shows webhooks.templatetags' section). POST-redirect-GET, like the
token form beside it; the new secret is shown once, on the next view."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from l1site.error_responses import first_message
from l1site.errors import DomainError

from . import services
from .serializers import WebhookCreateSerializer

SECRET_KEY = "new_webhook_secret"


@login_required
@require_POST
def profile_webhook_create(request):
    data = WebhookCreateSerializer(data={"url": request.POST.get("url", "").strip(),
                                         "events": request.POST.getlist("events")})
    if not data.is_valid():
        messages.error(request, first_message(data.errors))
        return redirect("/profile#webhooks")
    try:
        hook = services.webhook_create(owner=request.user, **data.validated_data)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("/profile#webhooks")
    request.session[SECRET_KEY] = {"url": hook.url, "secret": hook.secret}
    return redirect("/profile#webhooks")


@login_required
@require_POST
def profile_webhook_delete(request, webhook_id: int):
    try:
        hook = services.webhook_get(webhook_id, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        url = hook.url
        services.webhook_delete(webhook_id, by=request.user)
        messages.success(request, f"webhook {url} deleted")
    return redirect("/profile#webhooks")
