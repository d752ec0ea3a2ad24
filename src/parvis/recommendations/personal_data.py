"""What the recommendations keep about a person: the shows they asked them to forget, and the suggestions
they were shown (named only with their consent). Exported with their data, moved with them when two
profiles are merged; at the erasure, what they forgot is deleted and what they were shown is kept without
their name (a count of the report)."""

from parvis.crm.extensions import PersonalDataHolder

from .models import Forgotten, Impression


class ForgottenShows(PersonalDataHolder):
    owned = (
        ("recommendations_forgotten", Forgotten, "contact"),
        ("recommendations_shown", Impression, "contact"),
    )

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
            ],
            "recommendations_shown": [
                {
                    "at": at.isoformat(),
                    "where": surface,
                    "group": arm,
                    "shows": events,
                    "opened": clicked_event_id,
                }
                for at, surface, arm, events, clicked_event_id in Impression.objects.filter(contact=contact)
                .order_by("at")
                .values_list("at", "surface", "arm", "events", "clicked_event_id")
            ],
        }

    def erase(self, contact) -> dict:
        deleted, _by_model = Forgotten.objects.filter(contact=contact).delete()
        unnamed = Impression.objects.filter(contact=contact).update(contact=None, ref="")
        return {"recommendations_forgotten": deleted, "recommendations_shown": unnamed}
