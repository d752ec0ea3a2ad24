"""A participant's badge at the door: its QR code is signed like a ticket, and the check-in app reads it
through the `code_kinds` extension point (docs/adr/0015): a list opens areas of a market (its days, its
showcases, the public programme) to the categories that give them, on the market's days; a list of a
session's date lets in the registered and the speakers. A cancelled badge's version moves on, so the
printed one stops opening doors."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parvis.checkin.extensions import CodeKind, CodeVerdict, verified
from parvis.ticketing import signing

from .models import Access, Market, Participant, Registration


def badge_secret(participant: Participant) -> str:
    """The badge's QR code: signed with the organizer's key, valid to the market's last evening."""
    market = participant.market
    end = datetime.datetime.combine(market.ends_on, datetime.time(23, 59), tzinfo=market.venue.tzinfo)
    return signing.sign_badge(
        key=signing.signing_key_for_id(market.organizer_id),
        participant_id=participant.pk,
        badge_version=participant.badge_version,
        valid_until=end,
    )


def area_code(market_id: int, access: str) -> str:
    return f"market:{market_id}:{access}"


def _areas_of(checkin_list, market_id: int) -> set[str]:
    prefix = f"market:{market_id}:"
    return {code.removeprefix(prefix) for code in checkin_list.areas if code.startswith(prefix)}


class Badges(CodeKind):
    labels = {
        "badge_unknown": _("Badge inconnu"),
        "badge_revoked": _("Badge annulé ou remplacé"),
        "badge_day": _("Badge non valable ce jour"),
        "badge_area": _("Cette catégorie de badge n'entre pas ici"),
    }

    def areas(self, organizer_id: int) -> list[tuple[str, str]]:
        return [
            (area_code(market.pk, access), f"{market.name} — {label}")
            for market in Market.objects.filter(organizer_id=organizer_id, ends_on__gte=timezone.localdate())
            for access, label in Access.choices
        ]

    def judge(self, checkin_list, secret: str, *, at, kind: str) -> CodeVerdict:
        claims, refused = verified(signing.verify_badge, checkin_list, secret)
        if refused:
            return refused
        participant = (
            Participant.objects.select_related("category", "market__venue")
            .filter(pk=claims.participant_id, market__organizer_id=checkin_list.organizer_id)
            .first()
        )
        if participant is None:
            return CodeVerdict("badge_unknown")
        verdict = CodeVerdict("", ref=f"badge:{participant.pk}", holder=_holder(participant))
        verdict.reason = _refusal(checkin_list, participant, claims, at)
        return verdict

    def offline(self, checkin_list) -> dict:
        """The badges a device may let in here: each participant's category and version (the QR carries
        neither the category nor the cancellations), what each market's areas admit, and those registered
        for (or speaking at) the sessions of the list's dates. Cancelled badges are listed apart, so that a
        phone offline gives the same reason as the server (cancelled, not "not here")."""
        markets, admitted = {}, set()
        for market in Market.objects.filter(organizer_id=checkin_list.organizer_id):
            opened = _areas_of(checkin_list, market.pk)
            sessions = list(
                market.sessions.filter(performance_id__in=checkin_list.performance_ids).values_list(
                    "pk", flat=True
                )
            )
            if not opened and not sessions:
                continue
            categories = [c for c in market.categories.all() if opened & set(c.access)]
            markets[str(market.pk)] = {
                "days": [market.starts_on.isoformat(), market.ends_on.isoformat()],
                "categories": {str(c.pk): {"name": c.name, "colour": c.colour} for c in categories},
                "names": {str(c.pk): c.name for c in market.categories.all()},
            }
            admitted |= set(
                Registration.objects.filter(
                    session_id__in=sessions, state=Registration.State.REGISTERED
                ).values_list("participant_id", flat=True)
            )
            admitted |= set(market.sessions.filter(pk__in=sessions).values_list("speakers", flat=True)) - {
                None
            }
        if not markets:
            return {}
        badges = Participant.objects.filter(
            market_id__in=[int(pk) for pk in markets], state=Participant.State.ACCREDITED
        ).values_list(
            "pk", "badge_version", "category_id", "first_name", "last_name", "organisation_name", "market_id"
        )
        revoked = Participant.objects.filter(
            market_id__in=[int(pk) for pk in markets], state=Participant.State.CANCELLED
        ).values_list("pk", flat=True)
        return {
            "markets": markets,
            "revoked": sorted(revoked),
            "badges": {
                str(pk): [version, category, f"{first} {last}".strip(), organisation, market]
                for pk, version, category, first, last, organisation, market in badges
            },
            "admitted": sorted(admitted),
        }


def _holder(participant: Participant) -> dict:
    return {
        "name": participant.name,
        "organisation": participant.organisation_name,
        "category": participant.category.name,
        "colour": participant.category.colour,
    }


def _refusal(checkin_list, participant: Participant, claims, at) -> str:
    market = participant.market
    if participant.state != Participant.State.ACCREDITED or claims.badge_version != participant.badge_version:
        return "badge_revoked"
    if at > claims.valid_until:
        return "expired"
    if not market.starts_on <= at.astimezone(market.venue.tzinfo).date() <= market.ends_on:
        return "badge_day"
    if _areas_of(checkin_list, market.pk) & set(participant.category.access):
        return ""
    # A session's own list: its registered and its speakers come in.
    sessions = list(
        market.sessions.filter(performance_id__in=checkin_list.performance_ids).values_list("pk", flat=True)
    )
    if sessions and (
        Registration.objects.filter(
            session_id__in=sessions, participant=participant, state=Registration.State.REGISTERED
        ).exists()
        or participant.talks.filter(pk__in=sessions).exists()
    ):
        return ""
    return "badge_area"
