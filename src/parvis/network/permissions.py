"""The one place that decides what a staff member may see and do.

Roles are held per organizer (OrganizerStaff) or per network (NetworkStaff). Each role grants a set of
permissions; views and services ask `require_organizer_perm` / `organizers_with_perm` and nothing else.
Someone with no role at an organizer gets 404 for it (its existence is not revealed); someone with a role
but not the permission gets 403.
"""

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from .models import Network, NetworkRole, NetworkStaff, Organizer, OrganizerStaff, Role


class Perm(StrEnum):
    PROGRAMMING_VIEW = "programming.view"
    PROGRAMMING_CHANGE = "programming.change"
    ORGANIZER_SETTINGS = "organizer.settings"
    STAFF_MANAGE = "staff.manage"
    AUDIT_VIEW = "audit.view"
    JOBS_MANAGE = "jobs.manage"  # background work that failed for good: see, retry, dismiss
    SALES_VIEW = "sales.view"
    SALES_CHANGE = "sales.change"
    BOXOFFICE_SELL = "boxoffice.sell"
    CHECKIN = "checkin.scan"
    CHECKIN_MANAGE = "checkin.manage"
    CRM_VIEW = "crm.view"
    CRM_CHANGE = "crm.change"
    CAMPAIGNS = "campaigns.send"  # write, test, schedule and follow e-mail campaigns
    INSPECT = "inspect"  # the tax inspector: tickets, statements and till journal, every access logged
    MARKET_MANAGE = "market.manage"  # a professional market: accreditations, stands, sessions, meetings
    NETWORK_CURATE = "network.curate"
    NETWORK_AUDIENCE = "network.audience"
    NETWORK_SETTLEMENTS = "network.settlements"
    NETWORK_CAMPAIGNS = "network.campaigns"


_READ = {Perm.PROGRAMMING_VIEW, Perm.SALES_VIEW}

ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.ADMINISTRATOR: frozenset(
        set(Perm)
        - {Perm.NETWORK_CURATE, Perm.NETWORK_AUDIENCE, Perm.NETWORK_SETTLEMENTS, Perm.NETWORK_CAMPAIGNS}
    ),
    Role.PROGRAMMING: frozenset(_READ | {Perm.PROGRAMMING_CHANGE, Perm.MARKET_MANAGE}),
    Role.BOX_OFFICE: frozenset(_READ | {Perm.BOXOFFICE_SELL, Perm.SALES_CHANGE, Perm.CRM_VIEW, Perm.CHECKIN}),
    Role.DOOR: frozenset({Perm.PROGRAMMING_VIEW, Perm.CHECKIN, Perm.CHECKIN_MANAGE}),
    Role.MARKETING: frozenset(_READ | {Perm.CRM_VIEW, Perm.CRM_CHANGE, Perm.CAMPAIGNS}),
    Role.READ_ONLY: frozenset(_READ | {Perm.CRM_VIEW}),
    Role.INSPECTOR: frozenset({Perm.INSPECT}),
}

NETWORK_ROLE_PERMS: dict[str, frozenset[Perm]] = {
    NetworkRole.COORDINATOR: frozenset(
        {
            Perm.NETWORK_CURATE,
            Perm.NETWORK_AUDIENCE,
            Perm.NETWORK_SETTLEMENTS,
            Perm.NETWORK_CAMPAIGNS,
            Perm.AUDIT_VIEW,
        }
    ),
}

# Roles whose holders must use two-factor authentication.
ROLES_REQUIRING_2FA = frozenset({Role.ADMINISTRATOR})


def _organizer_roles(user, organizer_id: int) -> set[str]:
    cache = user.__dict__.setdefault("_parvis_roles", {})
    if organizer_id not in cache:
        cache[organizer_id] = set(
            OrganizerStaff.objects.filter(user=user, organizer_id=organizer_id).values_list("role", flat=True)
        )
    return cache[organizer_id]


def organizer_perms(user, organizer: Organizer) -> frozenset[Perm]:
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(Perm)
    perms: set[Perm] = set()
    for role in _organizer_roles(user, organizer.pk):
        perms |= ROLE_PERMS[role]
    return frozenset(perms)


def has_organizer_perm(user, organizer: Organizer, perm: Perm) -> bool:
    return perm in organizer_perms(user, organizer)


def is_organizer_staff(user, organizer: Organizer) -> bool:
    return bool(organizer_perms(user, organizer))


def require_organizer_perm(user, organizer_slug: str, perm: Perm) -> Organizer:
    """The organizer, if the user may do `perm` there; 404 if they have no role there, 403 otherwise."""
    try:
        organizer = Organizer.objects.get(slug=organizer_slug)
    except Organizer.DoesNotExist:
        raise Http404 from None
    perms = organizer_perms(user, organizer)
    if not perms:
        raise Http404
    if perm not in perms:
        raise PermissionDenied
    return organizer


def organizers_with_perm(user, perm: Perm) -> QuerySet[Organizer]:
    if not user.is_authenticated or not user.is_active:
        return Organizer.objects.none()
    if user.is_superuser:
        return Organizer.objects.all()
    roles = [role for role, perms in ROLE_PERMS.items() if perm in perms]
    return Organizer.objects.filter(staff__user=user, staff__role__in=roles).distinct()


def network_perms(user, network: Network) -> frozenset[Perm]:
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(NETWORK_ROLE_PERMS[NetworkRole.COORDINATOR])
    perms: set[Perm] = set()
    for role in NetworkStaff.objects.filter(user=user, network=network).values_list("role", flat=True):
        perms |= NETWORK_ROLE_PERMS[role]
    return frozenset(perms)


def require_network_perm(user, network_slug: str, perm: Perm) -> Network:
    try:
        network = Network.objects.get(slug=network_slug)
    except Network.DoesNotExist:
        raise Http404 from None
    perms = network_perms(user, network)
    if not perms:
        raise Http404
    if perm not in perms:
        raise PermissionDenied
    return network


def networks_with_perm(user, perm: Perm) -> QuerySet[Network]:
    if not user.is_authenticated or not user.is_active:
        return Network.objects.none()
    if user.is_superuser:
        return Network.objects.all()
    roles = [role for role, perms in NETWORK_ROLE_PERMS.items() if perm in perms]
    return Network.objects.filter(staff__user=user, staff__role__in=roles).distinct()


def requires_two_factor(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return OrganizerStaff.objects.filter(user=user, role__in=ROLES_REQUIRING_2FA).exists()
