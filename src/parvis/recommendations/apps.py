from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from parvis.crm.extensions import personal_data
from parvis.passes.extensions import rankers
from parvis.programming.extensions import dates, event_page


class RecommendationsConfig(AppConfig):
    name = "parvis.recommendations"
    verbose_name = _("Recommandations")

    def ready(self):
        from .holders import PassTaste
        from .personal_data import ForgottenShows
        from .tasks import FreshCatalogue
        from .views import AlsoLike

        event_page.register("also_like", AlsoLike())
        personal_data.register("recommendations", ForgottenShows())
        rankers.register("recommendations", PassTaste())
        dates.register("recommendations", FreshCatalogue())
