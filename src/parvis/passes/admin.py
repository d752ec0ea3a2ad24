from django.contrib import admin

from .models import PassEntry, PassHolding, PassProduct


@admin.register(PassProduct)
class PassProductAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "organizer",
        "network",
        "price",
        "entries",
        "valid_from",
        "valid_until",
        "on_sale",
    ]
    list_filter = ["on_sale", "network", "split_rule"]
    filter_horizontal = ["organizers", "venues", "events"]


class PassEntryInline(admin.TabularInline):
    model = PassEntry
    extra = 0
    can_delete = False
    readonly_fields = ["performance", "organizer", "venue", "ticket", "state", "booked_at", "cancelled_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PassHolding)
class PassHoldingAdmin(admin.ModelAdmin):
    """Read-only: entries only change through bookings, so that the counters stay right."""

    list_display = ["code", "product", "email", "state", "entries_used", "entries", "issued_at"]
    list_filter = ["state", "product"]
    search_fields = ["code", "email", "last_name"]
    inlines = [PassEntryInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
