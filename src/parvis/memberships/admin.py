from django.contrib import admin

from parvis.core.admin import ReadOnlyAdmin

from .models import Membership, MembershipLevel, MembershipProgram, Subscription, SubscriptionOffer


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
class MembershipAdmin(ReadOnlyAdmin):
    """Read-only: cards are sold, renewed and cancelled through orders, so that accounts stay right."""

    list_display = ["code", "level", "email", "state", "valid_from", "valid_until"]
    list_filter = ["state", "level__program"]
    search_fields = ["code", "email", "last_name"]


@admin.register(SubscriptionOffer)
class SubscriptionOfferAdmin(admin.ModelAdmin):
    list_display = ["name", "organizer", "season_starts", "season_ends", "min_shows", "exchanges", "on_sale"]
    list_filter = ["on_sale"]
    filter_horizontal = ["events"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    """Read-only: subscriptions change through their orders and exchanges."""

    list_display = ["code", "offer", "email", "state", "exchanges_used", "created_at"]
    list_filter = ["state", "offer"]
    search_fields = ["code", "email", "last_name"]
