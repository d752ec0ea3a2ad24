from django.urls import path

from . import views

app_name = "passes"
urlpatterns = [
    path("pass/<int:product_id>/", views.pass_buy, name="buy"),
    path("pass/<str:code>/<str:secret>/", views.holding_view, name="holding"),
    path("billets/<int:performance_id>/pass/", views.pass_use, name="use"),
]
