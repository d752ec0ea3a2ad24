from django.contrib import admin

from .models import Membership, MembershipLevel, MembershipProgram


class MembershipLevelInline(admin.StackedInline):
    model = MembershipLevel
    extra = 0
    filter_horizontal = ["free_events"]


@admin.register(MembershipProgram)
class MembershipProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "organizer", "network", "on_sale", "reminder_days"]
    list_filter = ["on_sale", "network"]
    inlines = [MembershipLevelInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Read-only: cards are sold, renewed and cancelled through orders, so that accounts stay right."""

    list_display = ["code", "level", "email", "state", "valid_from", "valid_until"]
    list_filter = ["state", "level__program"]
    search_fields = ["code", "email", "last_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
