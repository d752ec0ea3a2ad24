from django.urls import path

from . import customer_views

app_name = "customer"
urlpatterns = [
    path("compte/", customer_views.account, name="account"),
    path("compte/lien/<str:token>/", customer_views.sign_in_link, name="sign_in_link"),
    path("compte/deconnexion/", customer_views.sign_out, name="sign_out"),
    path("compte/consentements/", customer_views.account_consents, name="account_consents"),
    path("compte/consentements/reseau/", customer_views.account_network_sharing, name="network_sharing"),
    path("compte/suggestions/", customer_views.account_suggestion, name="account_suggestion"),
    path("compte/recommandations/", customer_views.account_recommendations, name="account_recommendations"),
    path(
        "compte/recommandations/changer/",
        customer_views.account_recommendations_change,
        name="account_recommendations_change",
    ),
    path("compte/adresse/<str:token>/", customer_views.address_confirm, name="address_confirm"),
]
