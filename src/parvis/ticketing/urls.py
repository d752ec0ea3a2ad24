from django.urls import path

from . import order_views, views

app_name = "ticketing"
urlpatterns = [
    path("billets/<int:performance_id>/", views.performance_tickets, name="performance"),
    path("billets/<int:performance_id>/attente/", order_views.waitlist_join, name="waitlist_join"),
    path("liste-attente/<str:token>/", order_views.waitlist_offer, name="waitlist_offer"),
    path("liste-attente/<str:token>/quitter/", order_views.waitlist_leave, name="waitlist_leave"),
    path("panier/", views.cart_view, name="cart"),
    path("o/<slug:organizer_slug>/bon-cadeau/", order_views.voucher_buy, name="voucher_buy"),
    path("o/<slug:organizer_slug>/conditions-de-vente/", order_views.terms_of_sale, name="terms_of_sale"),
    path("panier/commande/", views.checkout_view, name="checkout"),
    path("paiement/demo/<uuid:checkout>/", views.demo_payment, name="demo_payment"),
    path("paiement/demo/webhook/", views.demo_webhook, name="demo_webhook"),
    path("paiement/termine/<uuid:checkout>/", views.checkout_done, name="checkout_done"),
    path("paiement/stripe/retour/<uuid:checkout>/", views.stripe_return, name="stripe_return"),
    path("paiement/stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("commande/<str:code>/<str:secret>/", order_views.order_view, name="order"),
    path("commande/<str:code>/<str:secret>/billets.pdf", order_views.order_pdf, name="order_pdf"),
    path("commande/<str:code>/<str:secret>/facture.pdf", order_views.order_invoice, name="order_invoice"),
    path("commande/<str:code>/<str:secret>/recu-fiscal.pdf", order_views.order_receipt, name="order_receipt"),
]
