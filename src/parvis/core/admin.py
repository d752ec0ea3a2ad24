from django.contrib import admin

from .models import AuditLogEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that change only through their services (audited, counted): the admin shows them, nothing more."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_label", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "actor_label"]
