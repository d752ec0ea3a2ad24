from django.urls import path

from . import views

app_name = "crm"
urlpatterns = [
    path("mes-donnees/", views.privacy_request, name="privacy_request"),
    path("mes-donnees/tout/<str:token>/", views.my_data_all, name="privacy_all"),
    path("mes-donnees/tout/<str:token>/archive.zip", views.my_data_all_download, name="privacy_all_download"),
    path("mes-donnees/<str:token>/", views.my_data, name="privacy"),
    path("mes-donnees/<str:token>/archive.zip", views.my_data_download, name="privacy_download"),
    path("o/<slug:organizer_slug>/lettre/", views.signup, name="signup"),
    path("lettre/confirmer/<str:token>/", views.signup_confirm, name="signup_confirm"),
    path("r/<slug:network_slug>/donnees-personnelles/", views.network_notice, name="network_notice"),
]
