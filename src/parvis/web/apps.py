from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "parvis.web"
    verbose_name = "Web"
