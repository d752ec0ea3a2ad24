"""What the recommendations keep about a person: the shows they asked them to forget. Exported with their
data, moved with them when two profiles are merged, deleted when they are erased."""

from parvis.crm.extensions import PersonalDataHolder

from .models import Forgotten


class ForgottenShows(PersonalDataHolder):
    owned = (("recommendations_forgotten", Forgotten, "contact"),)

    def export(self, contact) -> dict:
        rows = Forgotten.objects.filter(contact=contact).select_related("event").order_by("at")
        return {
            "recommendations_forgotten": [
                {
                    "show": row.event.title if row.event_id else None,
                    "all_before": row.event_id is None,
                    "at": row.at.isoformat(),
                }
                for row in rows
            ]
        }

    def erase(self, contact) -> dict:
        deleted, _by_model = Forgotten.objects.filter(contact=contact).delete()
        return {"recommendations_forgotten": deleted}
