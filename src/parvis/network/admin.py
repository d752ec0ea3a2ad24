from django.contrib import admin

from .models import Network, NetworkMembership, NetworkStaff, Organizer, OrganizerStaff, Space, Venue

admin.site.register([Network, NetworkMembership, NetworkStaff, Organizer, OrganizerStaff, Space, Venue])
