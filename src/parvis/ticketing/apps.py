from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketingConfig(AppConfig):
    name = "parvis.ticketing"
    verbose_name = _("Billetterie")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .auth import _tokens
        from .models import ApiToken

        # A token saved or deleted in this process is read again at its next call.
        post_save.connect(_tokens.forget, sender=ApiToken, dispatch_uid="api_tokens_forget")
        post_delete.connect(_tokens.forget, sender=ApiToken, dispatch_uid="api_tokens_forget_del")
