"""The staff's menu: on every staff page, the sections of the current organizer (or network) that the
person may open, the current one marked, and a way to another organizer. Read only when a page shows it."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from .jobs_views import open_count
from .models import Network, Organizer
from .permissions import Perm, network_perms, organizer_perms, organizers_with_perm

# (section, label, URL name, permission, the URL names that belong to it by prefix)
ORGANIZER_SECTIONS = (
    ("programming", _("Programmation"), "staff:event_list", Perm.PROGRAMMING_VIEW,
     ("event_", "performance_", "tariff_", "seating_")),
    ("seat_plans", _("Plans de salle"), "staff:seat_plans", Perm.PROGRAMMING_VIEW, ("seat_plan",)),
    ("orders", _("Commandes"), "staff:order_list", Perm.SALES_VIEW, ("order_",)),
    ("analytics", _("Tableaux de bord"), "staff:analytics_sales", Perm.SALES_VIEW, ("analytics_",)),
    ("boxoffice", _("Guichet"), "staff:boxoffice", Perm.BOXOFFICE_SELL, ("boxoffice",)),
    ("door", _("Contrôle d'accès"), "staff:door_home", Perm.CHECKIN, ("door_",)),
    ("crm", _("Publics"), "staff:crm_contacts", Perm.CRM_VIEW, ("crm_",)),
    ("campaigns", _("Campagnes"), "staff:campaign_list", Perm.CAMPAIGNS, ("campaign_",)),
    ("passes", _("Pass"), "staff:passes", Perm.SALES_VIEW, ("passes",)),
    ("memberships", _("Adhésions"), "staff:memberships", Perm.SALES_VIEW, ("memberships",)),
    ("vouchers", _("Bons cadeaux"), "staff:vouchers", Perm.SALES_VIEW, ("vouchers",)),
    ("groups", _("Groupes et scolaires"), "staff:group_queue", Perm.SALES_VIEW, ("group_",)),
    ("market", _("Marché professionnel"), "staff:market_list", Perm.PROGRAMMING_VIEW, ("market_",)),
    ("statements", _("Bordereaux"), "staff:statements", Perm.SALES_VIEW, ("statement",)),
    ("sibil", _("SIBIL"), "staff:sibil_quarter", Perm.SALES_VIEW, ("sibil",)),
    ("show_tax", _("Taxe spectacles"), "staff:show_tax", Perm.SALES_VIEW, ("show_tax",)),
    ("accounting", _("TVA et comptabilité"), "staff:accounting", Perm.SALES_VIEW, ("accounting",)),
    ("rights", _("SACEM, SACD"), "staff:rights", Perm.SALES_VIEW, ("rights",)),
    ("inspector", _("Contrôle fiscal"), "staff:inspector", Perm.INSPECT, ("inspector",)),
    ("promo", _("Codes promo"), "staff:promo_codes", Perm.ORGANIZER_SETTINGS, ("promo_",)),
    ("team", _("Équipe"), "staff:team", Perm.STAFF_MANAGE, ("team",)),
    ("settings", _("Réglages"), "staff:organizer_settings", Perm.ORGANIZER_SETTINGS,
     ("organizer_settings", "venue_")),
    ("webhooks", _("Webhooks"), "staff:webhooks", Perm.ORGANIZER_SETTINGS, ("webhook",)),
    ("audit", _("Journal d'audit"), "staff:audit_log", Perm.AUDIT_VIEW, ("audit_",)),
    ("jobs", _("Tâches en échec"), "staff:failed_jobs", Perm.JOBS_MANAGE, ("failed_job",)),
)  # fmt: skip
NETWORK_SECTIONS = (
    ("curation", _("Coordination"), "staff:network_curation", Perm.NETWORK_CURATE,
     ("network_curation", "network_feature", "festival_")),
    ("audience", _("Publics partagés"), "staff:network_audience", Perm.NETWORK_AUDIENCE,
     ("network_audience",)),
    ("analytics", _("Tableaux de bord"), "staff:network_analytics_sales", Perm.NETWORK_AUDIENCE,
     ("network_analytics_",)),
    ("settlements", _("Reversements"), "staff:network_settlements", Perm.NETWORK_SETTLEMENTS,
     ("network_settlements",)),
    ("self_billing", _("Autofactures"), "staff:network_self_billing", Perm.NETWORK_SETTLEMENTS,
     ("network_self_billing",)),
    ("campaigns", _("Campagnes"), "staff:network_campaign_list", Perm.NETWORK_CAMPAIGNS,
     ("network_campaign",)),
)  # fmt: skip


@dataclass
class Link:
    label: str
    url: str
    current: bool


@dataclass
class StaffMenu:
    title: str
    links: list[Link]
    others: list[tuple[str, str]]  # other organizers: (name, URL)
    failed_jobs: tuple[int, str] | None = None  # background work failed for good: (how many, URL)

    def __bool__(self) -> bool:  # nothing to show: no menu
        return bool(self.links or self.others)


def _links(sections, perms, url_name: str, slug: str) -> list[Link]:
    links = []
    for _section, label, name, perm, prefixes in sections:
        if perm not in perms:
            continue
        links.append(Link(str(label), reverse(name, args=[slug]), url_name.startswith(prefixes)))
    return links


def _menu(request) -> StaffMenu | None:
    match = request.resolver_match
    user = request.user
    kwargs = match.kwargs
    if "organizer_slug" in kwargs:
        organizer = Organizer.objects.filter(slug=kwargs["organizer_slug"]).first()
        perms = organizer_perms(user, organizer) if organizer else frozenset()
        if not perms:
            return None
        others = [
            (o.name, reverse("staff:event_list", args=[o.slug]))
            for o in organizers_with_perm(user, Perm.PROGRAMMING_VIEW)
            .exclude(pk=organizer.pk)
            .order_by("name")[:20]
        ]
        links = _links(ORGANIZER_SECTIONS, perms, match.url_name or "", organizer.slug)
        failed = None
        if Perm.JOBS_MANAGE in perms and (count := open_count(organizer, user)):
            failed = (count, reverse("staff:failed_jobs", args=[organizer.slug]))
        return StaffMenu(organizer.name, links, others, failed)
    if "network_slug" in kwargs:
        network = Network.objects.filter(slug=kwargs["network_slug"]).first()
        perms = network_perms(user, network) if network else frozenset()
        if not perms:
            return None
        return StaffMenu(
            network.name, _links(NETWORK_SECTIONS, perms, match.url_name or "", network.slug), []
        )
    return None


NO_MENU = StaffMenu("", [], [])


def staff_nav(request) -> dict:
    """Context processor: `staff_page` on every staff page; `staff_menu`, computed if the page reads it."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.namespace != "staff" or not request.user.is_authenticated:
        return {}
    return {"staff_page": True, "staff_menu": SimpleLazyObject(lambda: _menu(request) or NO_MENU)}
