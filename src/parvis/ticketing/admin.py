from django.contrib import admin

from .models import Order, Payment, Quota, SalesConfig, Tariff, Ticket


class TicketInline(admin.TabularInline):
    model = Ticket
    extra = 0
    fields = ["number", "performance", "tariff", "price", "state"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["code", "organizer", "email", "state", "total", "created_at"]
    list_filter = ["state", "organizer"]
    search_fields = ["code", "email", "last_name"]
    inlines = [TicketInline]
    readonly_fields = ["total", "state", "secret", "checkout"]


admin.site.register([Tariff, Quota, SalesConfig, Payment])
