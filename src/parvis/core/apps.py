from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "parvis.core"
    verbose_name = _("Noyau")

    def ready(self):
        from django_tasks.signals import task_finished, task_started

        from . import jobs
        from .lookups import register

        register()
        # Which task runs, whatever the backend: e-mails are sent once per task (core.mail.deliver).
        task_started.connect(jobs.task_started, dispatch_uid="parvis.core.jobs.started")
        task_finished.connect(jobs.task_finished, dispatch_uid="parvis.core.jobs.finished")
