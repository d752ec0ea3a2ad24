from django.urls import path

from . import views

app_name = "market"
urlpatterns = [
    path("o/<slug:organizer_slug>/marche/<slug:market_slug>/", views.market_home, name="home"),
    path(
        "o/<slug:organizer_slug>/marche/<slug:market_slug>/accreditation/<int:category_pk>/",
        views.apply_view,
        name="apply",
    ),
    path(
        "o/<slug:organizer_slug>/marche/<slug:market_slug>/annuaire/", views.directory_view, name="directory"
    ),
    path(
        "o/<slug:organizer_slug>/marche/<slug:market_slug>/exposants/",
        views.exhibitors_view,
        name="exhibitors",
    ),
    path(
        "o/<slug:organizer_slug>/marche/<slug:market_slug>/rencontres/<int:session_pk>/",
        views.session_view,
        name="session",
    ),
    path("marche/lot/<str:code>/<str:secret>/", views.pack_view, name="pack"),
    path("marche/p/<str:code>/<str:secret>/", views.participant_view, name="participant"),
    path("marche/p/<str:code>/<str:secret>/payer/", views.pay_view, name="pay"),
    path("marche/p/<str:code>/<str:secret>/badge.pdf", views.badge_view, name="badge"),
    path("marche/p/<str:code>/<str:secret>/agenda.pdf", views.agenda_pdf_view, name="agenda_pdf"),
    path("marche/p/<str:code>/<str:secret>/agenda.ics", views.agenda_ics_view, name="agenda_ics"),
    path("marche/p/<str:code>/<str:secret>/rendez-vous/", views.meeting_request_view, name="meeting_request"),
    path(
        "marche/p/<str:code>/<str:secret>/rendez-vous/<int:meeting_pk>/",
        views.meeting_action_view,
        name="meeting_action",
    ),
    path(
        "marche/p/<str:code>/<str:secret>/rencontres/<int:session_pk>/",
        views.registration_view,
        name="registration",
    ),
    path("marche/p/<str:code>/<str:secret>/contacts/", views.leads_view, name="leads"),
    path(
        "marche/p/<str:code>/<str:secret>/contacts/scanner/", views.leads_scanner_view, name="leads_scanner"
    ),
    path("marche/p/<str:code>/<str:secret>/contacts/sw.js", views.leads_worker_view, name="leads_worker"),
    path("marche/p/<str:code>/<str:secret>/contacts/sync", views.leads_sync_view, name="leads_sync"),
]
