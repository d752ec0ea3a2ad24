from django.urls import path

from . import views

app_name = "programming"
urlpatterns = [
    path("", views.home, name="home"),
    path("r/<slug:network_slug>/", views.network_agenda, name="network_agenda"),
    path("r/<slug:network_slug>/agenda.ics", views.network_ical, name="network_ical"),
    path("r/<slug:network_slug>/festivals/<slug:festival_slug>/", views.festival_page, name="festival"),
    path("o/<slug:organizer_slug>/", views.organizer_page, name="organizer"),
    path("o/<slug:organizer_slug>/agenda.ics", views.organizer_ical, name="organizer_ical"),
    path("o/<slug:organizer_slug>/lieux/<slug:venue_slug>/", views.venue_page, name="venue"),
    path("o/<slug:organizer_slug>/lieux/<slug:venue_slug>/agenda.ics", views.venue_ical, name="venue_ical"),
    path("o/<slug:organizer_slug>/e/<slug:event_slug>/", views.event_page, name="event"),
    path("o/<slug:organizer_slug>/e/<slug:event_slug>/event.ics", views.event_ical, name="event_ical"),
    path("widget/<slug:organizer_slug>/", views.widget, name="widget"),
    path("widget.js", views.widget_script, name="widget_script"),
]
