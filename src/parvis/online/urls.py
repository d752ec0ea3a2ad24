from django.urls import path

from . import views

app_name = "online"
urlpatterns = [
    path("en-ligne/arrete/", views.stopped, name="stopped"),
    path("en-ligne/adherents/<int:performance_pk>/", views.members, name="members"),
    path("en-ligne/<str:token>/", views.access_page, name="access"),
    path("en-ligne/<str:token>/pouls/", views.heartbeat, name="heartbeat"),
    path("en-ligne/<str:token>/arreter/", views.stop, name="stop"),
    path("en-ligne/<str:token>/ressources/<int:pk>/", views.resource, name="resource"),
]
