from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketingConfig(AppConfig):
    name = "parvis.ticketing"
    verbose_name = _("Billetterie")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .auth import _tokens
        from .models import ApiToken, SigningKey
        from .signing import forget_current_keys

        # A token saved or deleted in this process is read again at its next call.
        post_save.connect(_tokens.forget, sender=ApiToken, dispatch_uid="api_tokens_forget")
        post_delete.connect(_tokens.forget, sender=ApiToken, dispatch_uid="api_tokens_forget_del")
        post_save.connect(forget_current_keys, sender=SigningKey, dispatch_uid="signing_keys_forget")
        post_delete.connect(forget_current_keys, sender=SigningKey, dispatch_uid="signing_keys_forget_del")
