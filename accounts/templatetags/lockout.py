from django import template

from accounts import lockout

register = template.Library()


@register.simple_tag(takes_context=True)
def address_lockout(context) -> str:
    """The lock-out on the address a login page (the dashboard's, the
    admin's) was opened from, in words, or "": so the page says so before
    anyone types a password, with no view of our own in front of Django's."""
    request = context.get("request")
    if request is None or request.method != "GET":
        return ""
    lock = lockout.lockout_for(request, None)
    return lock.message() if lock else ""
