from axes.models import AccessAttempt, AccessLog
from django.contrib import admin, messages
from django.utils import timezone

from . import lockout
from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "scopes", "created_at", "expires_at",
                    "last_used_at", "revoked_at"]
    list_filter = ["revoked_at", "scopes"]
    search_fields = ["name", "user__username", "prefix"]
    # The key is never stored; its hash is useless to show or edit.
    exclude = ["key_hash"]
    readonly_fields = ["user", "prefix", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False  # keys are made by their owners (POST /tokens, /profile), shown once


class StaffMayLift:
    """Lock-outs are staff work: any staff member may list and lift them,
    without being granted the model's permissions one by one."""

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccessAttempt)
class LockoutAdmin(StaffMayLift, admin.ModelAdmin):
    """Failed logins still counted (django-axes' rows: one per username,
    address and user agent), with when each one's lock-out ends. Deleting a
    row, or the actions, lifts it."""

    list_display = ["username", "ip_address", "failures_since_start", "attempt_time",
                    "lock_state", "path_info", "user_agent"]
    list_filter = ["path_info"]
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]
    # What axes records of a try's form data is cleansed of passwords; it is
    # still nothing staff need to lift a lock-out.
    exclude = ["get_data", "post_data"]
    actions = ["lift_selected", "lift_addresses"]

    @admin.display(description="locked until")
    def lock_state(self, attempt):
        until = lockout.locked_until(attempt)
        if until is None:
            return "not locked"
        return f"{timezone.localtime(until):%Y-%m-%d %H:%M:%S}"

    @admin.action(description="Lift the lock-out of the selected usernames from their addresses")
    def lift_selected(self, request, queryset):
        count = sum(lockout.lift(username=a.username, address=a.ip_address) for a in queryset)
        self.message_user(request, f"forgot {count} failed-login record(s)", messages.SUCCESS)

    @admin.action(description="Lift the lock-out of the selected addresses (every username)")
    def lift_addresses(self, request, queryset):
        addresses = set(queryset.values_list("ip_address", flat=True))
        count = sum(lockout.lift(address=address) for address in addresses)
        self.message_user(request, f"forgot {count} failed-login record(s) from "
                                   f"{', '.join(sorted(a or '-' for a in addresses))}",
                          messages.SUCCESS)


@admin.register(AccessLog)
class LoginLogAdmin(StaffMayLift, admin.ModelAdmin):
    """Successful logins (who, from where, when, and when they logged out)."""

    list_display = ["username", "ip_address", "attempt_time", "logout_time", "path_info",
                    "user_agent"]
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]
    exclude = ["session_hash"]

    def has_delete_permission(self, request, obj=None):
        return False  # a record, not a lock
