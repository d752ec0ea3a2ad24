from django.urls import path

from . import views

app_name = "checkin"
urlpatterns = [
    path("porte/", views.scanner, name="scanner"),
    path("porte/manifest.webmanifest", views.manifest, name="manifest"),
    path("porte/sw.js", views.service_worker, name="service_worker"),
]
