"""Staff pages, under /staff/."""

from django.urls import path

from parvis.network import views as network_views
from parvis.programming import staff_views
from parvis.ticketing import staff_views as ticketing_views

app_name = "staff"
urlpatterns = [
    path("", network_views.staff_home, name="home"),
    path("password/<uidb64>/<token>/", network_views.StaffPasswordSetView.as_view(), name="password_set"),
    path("o/<slug:organizer_slug>/equipe/", network_views.team, name="team"),
    path(
        "o/<slug:organizer_slug>/equipe/<int:membership_pk>/retirer/",
        network_views.team_revoke,
        name="team_revoke",
    ),
    path("o/<slug:organizer_slug>/reglages/", network_views.organizer_settings, name="organizer_settings"),
    path("o/<slug:organizer_slug>/lieux/nouveau/", network_views.venue_edit, name="venue_create"),
    path("o/<slug:organizer_slug>/lieux/<int:venue_pk>/", network_views.venue_edit, name="venue_edit"),
    path("o/<slug:organizer_slug>/journal/", network_views.audit_log, name="audit_log"),
    path("o/<slug:organizer_slug>/evenements/", staff_views.event_list, name="event_list"),
    path("o/<slug:organizer_slug>/evenements/nouveau/", staff_views.event_create, name="event_create"),
    path("o/<slug:organizer_slug>/evenements/<int:event_pk>/", staff_views.event_detail, name="event_detail"),
    path(
        "o/<slug:organizer_slug>/evenements/<int:event_pk>/modifier/",
        staff_views.event_edit,
        name="event_edit",
    ),
    path(
        "o/<slug:organizer_slug>/evenements/<int:event_pk>/etat/",
        staff_views.event_status,
        name="event_status",
    ),
    path(
        "o/<slug:organizer_slug>/evenements/<int:event_pk>/dates/<int:performance_pk>/etat/",
        staff_views.performance_status,
        name="performance_status",
    ),
    path(
        "o/<slug:organizer_slug>/dates/<int:performance_pk>/billetterie/",
        ticketing_views.performance_sales,
        name="performance_sales",
    ),
    path("o/<slug:organizer_slug>/commandes/", ticketing_views.order_list, name="order_list"),
    path("o/<slug:organizer_slug>/commandes/<str:code>/", ticketing_views.order_detail, name="order_detail"),
    path(
        "o/<slug:organizer_slug>/commandes/<str:code>/action/",
        ticketing_views.order_action,
        name="order_action",
    ),
    path("r/<slug:network_slug>/", staff_views.network_curation, name="network_curation"),
    path("r/<slug:network_slug>/une/<int:event_pk>/", staff_views.network_feature, name="network_feature"),
    path(
        "r/<slug:network_slug>/festivals/<int:festival_pk>/", staff_views.festival_edit, name="festival_edit"
    ),
]
