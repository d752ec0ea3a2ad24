from django.urls import path

from . import views

app_name = "groups"
urlpatterns = [
    path("o/<slug:organizer_slug>/groupes/", views.offers, name="offers"),
    path("groupes/offres/<int:offer_pk>/demande/", views.request_view, name="request"),
    path("groupes/etablissements/", views.schools, name="schools"),
    path("groupes/<str:code>/<str:secret>/", views.booking_view, name="booking"),
    path("groupes/<str:code>/<str:secret>/dossier-pedagogique/", views.teaching_pack, name="teaching_pack"),
    path("groupes/<str:code>/<str:secret>/<slug:kind>.pdf", views.booking_document, name="document"),
]
