"""What the campaigns hold of a person, for their access export and their erasure: the send log keeps the
address each message went to."""

from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from parvis.crm.extensions import ContactNotices, PersonalDataHolder, contact_emails
from parvis.network.models import NetworkMembership

from .models import JourneyEntry, Recipient, Suppression


class CampaignRecipients(PersonalDataHolder):
    # Not moved when two profiles are merged: a campaign's row stays with the profile it was sent to (two
    # rows of one campaign on one profile would break its rule of one message per person).
    owned = ()

    def export(self, contact) -> dict:
        rows = Recipient.objects.filter(contact=contact).select_related("campaign").order_by("pk")
        entries = JourneyEntry.objects.filter(contact=contact).select_related("journey").order_by("pk")
        return {
            "journeys": [
                {
                    "journey": entry.journey.name,
                    "entered_at": entry.entered_at.isoformat(),
                    "state": entry.state,
                    "step": entry.step + 1,
                }
                for entry in entries
            ],
            "campaigns_received": [
                {
                    "campaign": row.campaign.name,
                    "subject": row.campaign.subject_fr,
                    "address": row.address,
                    "state": row.state,
                    "sent_at": row.sent_at.isoformat() if row.sent_at else None,
                }
                for row in rows
            ],
        }

    def erase(self, contact) -> dict:
        erased = Recipient.objects.filter(contact=contact).update(
            address=Concat(Value("anonyme-"), Cast("pk", CharField()), Value("@anonyme.invalid"))
        )
        return {"campaign_recipients": erased}

    def about(self, contact) -> list[tuple[str, object]]:
        return [
            ("marketing.recipient", Recipient.objects.filter(contact=contact).values_list("pk", flat=True))
        ]


class SuppressedAddresses(ContactNotices):
    """On the contact's page: an address no campaign writes to any more, and why."""

    def notices(self, contact) -> list[str]:
        return [
            _("%(address)s ne reçoit plus de campagnes : %(reason)s (%(date)s).")
            % {
                "address": row.address,
                "reason": row.get_reason_display().lower(),
                "date": formats.date_format(row.at, "SHORT_DATE_FORMAT"),
            }
            for row in Suppression.objects.filter(
                concerning(contact.organizer_id), address__in=contact_emails(contact)
            ).order_by("address")
        ]


def concerning(organizer_id: int) -> Q:
    """The exclusions an organizer's staff may see: every sender's, its own, its networks'."""
    networks = NetworkMembership.objects.filter(organizer_id=organizer_id).values("network_id")
    return (
        Q(organizer__isnull=True, network__isnull=True)
        | Q(organizer_id=organizer_id)
        | Q(network_id__in=networks)
    )


class CurrentJourneys(ContactNotices):
    """On the contact's page: the journeys the person is in now, and where."""

    def notices(self, contact) -> list[str]:
        entries = JourneyEntry.objects.filter(
            contact=contact, state=JourneyEntry.State.ACTIVE
        ).select_related("journey")
        return [
            _(
                "Dans le parcours « %(name)s » depuis le %(date)s ; prochaine étape (%(step)d sur %(steps)d) "
                "le %(due)s."
            )
            % {
                "name": entry.journey.name,
                "date": formats.date_format(timezone.localtime(entry.entered_at), "SHORT_DATE_FORMAT"),
                "step": min(entry.step + 1, len(entry.journey.steps)),
                "steps": len(entry.journey.steps),
                "due": formats.date_format(timezone.localtime(entry.due_at), "SHORT_DATETIME_FORMAT"),
            }
            for entry in entries.order_by("entered_at")
        ]
