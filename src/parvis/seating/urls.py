from django.urls import path

from . import views

app_name = "seating"

urlpatterns = [
    path("places/<int:performance_id>/", views.seat_map, name="choose"),
]
