"""What the market keeps about a person: their accreditations (identity, organisation, what they offer and
seek, their photo and proof). Exported with their data, moved with them when two profiles are merged; at
the erasure, the accreditation stays counted (its category, its fee paid) without the person: names,
contact details and texts are blanked, the photo and the proof document deleted from the storage, and
they leave the directory and the exhibitors' sharing."""

from parvis.core.erasure import ERASED
from parvis.crm.extensions import PersonalDataHolder

from .models import Participant

TEXTS = ("phone", "role", "billing_address", "proof_url", "interests", "offers", "seeks", "search_text")


class MarketParticipants(PersonalDataHolder):
    owned = (("market_participants", Participant, "contact"),)

    def export(self, contact) -> dict:
        rows = Participant.objects.filter(contact=contact).select_related("market", "category")
        return {
            "market_accreditations": [
                {
                    "market": p.market.name,
                    "category": p.category.name,
                    "state": p.state,
                    "name": p.name,
                    "email": p.email,
                    "organisation": p.organisation_name,
                    **{field: getattr(p, field) for field in TEXTS if field != "search_text"},
                    "photo": bool(p.photo),
                    "proof_document": bool(p.proof_file),
                }
                for p in rows.order_by("created_at")
            ]
        }

    def erase(self, contact) -> dict:
        rows = Participant.objects.filter(contact=contact)
        files = 0
        for participant in rows:
            for stored in (participant.photo, participant.proof_file):
                if stored:
                    stored.delete(save=False)
                    files += 1
        erased = rows.update(
            first_name=ERASED, last_name="", email="", photo="", proof_file="", in_directory=False,
            show_email=False, share_with_exhibitors=False, accepts_meetings=False,
            **{field: "" for field in TEXTS},
        )  # fmt: skip
        return {"market_participants": erased, "market_files": files}
