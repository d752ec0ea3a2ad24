from django.urls import path

from . import views

app_name = "memberships"
urlpatterns = [
    path("adhesion/<int:program_id>/", views.program_join, name="join"),
    path("adhesion/oublier/", views.card_forget, name="forget"),
    path("adhesion/<str:code>/<str:secret>/", views.card_view, name="card"),
    path("adhesion/<str:code>/<str:secret>/carte.pdf", views.card_download, name="card_pdf"),
    path("adhesion/<str:code>/<str:secret>/renouveler/", views.card_renew, name="renew"),
    path("abonnement/<int:offer_id>/", views.offer_subscribe, name="subscribe"),
    path("abonnement/<str:code>/<str:secret>/", views.subscription_view, name="subscription"),
]
