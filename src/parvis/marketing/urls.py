from django.urls import path

from . import views

app_name = "marketing"
urlpatterns = [
    path("m/<str:token>/desinscription/", views.unsubscribe, name="unsubscribe"),
    path("m/<str:token>/preferences/", views.preferences, name="preferences"),
]
