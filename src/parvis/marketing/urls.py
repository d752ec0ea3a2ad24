from django.conf import settings
from django.urls import include, path

from . import views

app_name = "marketing"
urlpatterns = [
    path("m/<str:token>/desinscription/", views.unsubscribe, name="unsubscribe"),
    path("m/<str:token>/preferences/", views.preferences, name="preferences"),
    path("m/image/<int:pk>/", views.image, name="image"),
    path("m/<str:token>/", views.click_base, name="click_base"),
    path("m/<str:token>/o.gif", views.opened, name="opened"),
    path("m/<str:token>/l/<int:n>/", views.click, {"kind": "l"}, name="click"),
    path("m/<str:token>/e/<int:n>/", views.click, {"kind": "e"}, name="click_event"),
]

if settings.ANYMAIL_WEBHOOK_SECRET:  # a provider's webhooks, never open without their password
    urlpatterns.append(path("retours/fournisseur/", include("anymail.urls")))
