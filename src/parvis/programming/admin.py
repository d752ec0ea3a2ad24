from django.contrib import admin

from .models import Event, FeaturedEvent, Festival, Performance


class PerformanceInline(admin.TabularInline):
    model = Performance
    extra = 0
    exclude = ["organizer"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "organizer", "genre", "status"]
    list_filter = ["status", "genre"]
    search_fields = ["title"]
    inlines = [PerformanceInline]


admin.site.register([Festival, FeaturedEvent])
