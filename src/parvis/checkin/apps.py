from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckinConfig(AppConfig):
    name = "parvis.checkin"
    verbose_name = _("Contrôle d'accès")

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from parvis.ticketing.models import SigningKey

        from . import rules
        from .models import CheckinList, Device, Gate

        for model in (CheckinList, SigningKey, Device, Gate):
            post_save.connect(rules.forget, sender=model, dispatch_uid=f"checkin_rules_{model.__name__}")
            post_delete.connect(
                rules.forget, sender=model, dispatch_uid=f"checkin_rules_del_{model.__name__}"
            )
        for through in (CheckinList.performances.through, CheckinList.tariffs.through):
            m2m_changed.connect(
                rules.forget, sender=through, dispatch_uid=f"checkin_rules_{through.__name__}"
            )
