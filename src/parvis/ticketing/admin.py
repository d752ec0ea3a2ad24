from django.contrib import admin

from .models import (
    Order,
    Payment,
    Product,
    PromoCode,
    Quota,
    SalesConfig,
    Tariff,
    Ticket,
    Voucher,
    VoucherMovement,
)


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


@admin.register(PromoCode)
class PromoCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "organizer", "kind", "value", "reason", "max_uses", "valid_until", "is_active"]
    list_filter = ["organizer", "is_active"]
    search_fields = ["code", "reason"]
    filter_horizontal = ["events", "tariffs"]

    def save_model(self, request, obj, form, change):
        obj.code = "".join(obj.code.split()).upper()  # codes are matched in capitals, spaces ignored
        super().save_model(request, obj, form, change)


class VoucherMovementInline(admin.TabularInline):
    model = VoucherMovement
    extra = 0
    fields = ["at", "kind", "amount", "order", "actor"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    """Read-only: balances change only through the voucher services (with their movements)."""

    list_display = ["code", "organizer", "initial_value", "balance", "source", "expires_at"]
    list_filter = ["organizer", "source"]
    search_fields = ["code", "recipient"]
    inlines = [VoucherMovementInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "organizer", "price", "vat_rate", "stock", "is_active"]
    list_filter = ["organizer", "is_active"]
    search_fields = ["name"]
