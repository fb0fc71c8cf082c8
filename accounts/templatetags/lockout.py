from django import template

from accounts import lockout

register = template.Library()


@register.simple_tag(takes_context=True)
def address_lockout(context) -> str:
    """The lock-out on the address a login page was opened from, in words,
    or "" (the admin's login view passes no context of ours to say it)."""
    request = context.get("request")
    if request is None or request.method != "GET":
        return ""
    lock = lockout.lockout_for(request, None)
    return lock.message() if lock else ""
