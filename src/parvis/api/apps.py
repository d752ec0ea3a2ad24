from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "parvis.api"
    verbose_name = "API"
