"""Sending a quarter to SIBIL: one declaration per performance, found first by its external id (made once
and kept) and updated if SIBIL has it, created otherwise — so a run cut short (SIBIL unavailable half-way,
a timeout, a crash between SIBIL's answer and ours) is simply run again: nothing is declared twice and
nothing is lost. A performance with something to fix, or whose genre has no SIBIL domain yet, waits."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.programming.models import Genre

from . import sibil
from .models import (
    SHOW_CRITERIA,
    SibilAccount,
    SibilDeclaration,
    SibilDomain,
    SibilFestival,
    SibilPlaceType,
    SibilShow,
    SibilVenue,
)
from .sibil_client import SibilClient, SibilError


def declaration_for(performance) -> SibilDeclaration:
    """The performance's declaration row and its external id, made once (16 characters at most)."""
    found = SibilDeclaration.objects.filter(performance=performance).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return SibilDeclaration.objects.create(
                performance=performance, ext_id=f"PRV{performance.pk:X}"[:16]
            )
    except IntegrityError:  # made by a concurrent run
        return SibilDeclaration.objects.get(performance=performance)


def client_for(organizer, **options) -> SibilClient:
    account = SibilAccount.objects.filter(organizer=organizer).first()
    if account is None:
        raise SibilError("configuration", _("Indiquez d'abord l'identifiant SIBIL de la structure."))
    return SibilClient(account.username, account.password, **options)


def lists_refresh(client: SibilClient) -> dict:
    """SIBIL's lists, kept: its domains (their ids are SIBIL's; a domain gone from the list is inactive)
    with the show's criteria each asks for, and its venue types. Returns how many of each were read."""
    client.authenticate()
    now = timezone.now()
    configs = {}
    for item in client.field_configs():
        config = item.get("domaineConfig") if isinstance(item, dict) else None
        if item.get("idDomaineRepresentation") is not None and isinstance(config, dict):
            configs[int(item["idDomaineRepresentation"])] = _criteria(config)
    seen = []
    for item in client.domains():
        if item.get("id") is None or not item.get("libelle"):
            continue
        SibilDomain.objects.update_or_create(
            id=int(item["id"]),
            defaults={
                "label": str(item["libelle"])[:200],
                "active": item.get("actif", True) is not False,
                "fetched_at": now,
                "criteria": configs.get(int(item["id"]), []),
            },
        )
        seen.append(int(item["id"]))
    SibilDomain.objects.exclude(id__in=seen).update(active=False)
    types = []
    for item in client.place_types():
        code = str(item.get("code") or "")[:60] if isinstance(item, dict) else ""
        if code and item.get("value"):
            SibilPlaceType.objects.update_or_create(
                code=code, defaults={"label": str(item["value"])[:200], "active": True, "fetched_at": now}
            )
            types.append(code)
    if types:  # an empty answer is not a list emptied
        SibilPlaceType.objects.exclude(code__in=types).update(active=False)
    return {"domains": len(seen), "place_types": len(types)}


def _criteria(config: dict) -> list[dict]:
    found = []
    for name in ("critere1", *SHOW_CRITERIA):
        criterion = config.get(name)
        if isinstance(criterion, dict) and criterion.get("libelleCourt"):
            found.append(
                {
                    "field": name,
                    "short": str(criterion["libelleCourt"])[:100],
                    "long": str(criterion.get("libelleLong") or "")[:500],
                    "rule": str(criterion.get("regleChamp") or "")[:200],
                }
            )
    return found


def _money(value: Decimal) -> float:
    """An amount as SIBIL's JSON number (exact for euros and cents: two decimals under a billion)."""
    return float(value.quantize(sibil.CENT))


def dto_for(row: sibil.Row, declaration: SibilDeclaration, domain_id: int) -> dict:
    performance = row.performance
    venue, organizer = performance.venue, performance.organizer
    full_average = (
        (row.full_price_revenue / row.full_price).quantize(sibil.CENT) if row.full_price else Decimal(0)
    )
    dto = {
        "idExtBilletterie": declaration.ext_id,
        "dateHeureRepresentationUnique": performance.starts_at.astimezone(sibil.PARIS).isoformat(
            timespec="seconds"
        ),
        "nbRepresentations": 1,
        "domaineRepresentationId": domain_id,
        "spectacleChamps": {
            "domaineSpectacleId": domain_id,
            "critere1": performance.event.title[:255],
            **{
                name: str(row.criteria[name]).strip()[:255]
                for name in SHOW_CRITERIA
                if str(row.criteria.get(name) or "").strip()
            },
        },
        "lieuChamps": {
            "nom": venue.name,
            "adresse": venue.street or venue.name,
            "codePostal": venue.postcode,
            "ville": venue.town,
            "siret": organizer.siret,
            "typeLieu": row.place_type,
        },  # fmt: skip
        "nomJuridiqueOrganismeDeclarant": organizer.legal_name or organizer.name,
        "jauge": performance.capacity or venue.capacity,
        "jeunePublic": performance.event.genre == Genre.YOUNG_AUDIENCE,
        "gestionnaireMultiple": row.shared,
        "nbBilletsTotalBilletterie": row.tickets,
        "recetteTotalBilletterie": _money(row.revenue),
        "prixMoyenTotalBilletterie": _money(row.average),
        "nbBilletsTarifPlein": row.full_price,
        "recetteTarifPlein": _money(row.full_price_revenue),
        "prixMoyenTarifPlein": _money(full_average),
        "nbBilletsTarifAbonnementForfait": row.subscription_pass,
        "nbBilletsExoneres": row.free,
    }
    if row.festival:
        dto["festivalChamps"] = row.festival
    dto.update(row.known)  # the venue, show and festival SIBIL already has: named by its own ids
    return dto


def quarter_send(organizer, year: int, quarter: int, *, client: SibilClient | None = None) -> dict:
    """Send the quarter's ready performances. Returns what happened: sent, rejected, waiting, and the
    error that stopped the run (SIBIL unavailable, credentials), if any."""
    summary = {"sent": 0, "rejected": 0, "waiting": 0, "error": ""}
    try:
        client = client or client_for(organizer)
        client.authenticate()
    except SibilError as exc:
        summary["error"] = exc.message
        return summary
    learnt: dict[tuple[str, int], int] = {}  # SIBIL's ids learnt during this run (`_remember`)
    for row in sibil.quarter_rows(organizer, year, quarter):
        domain_id = row.domain.pk if row.domain is not None else None
        if row.warnings or domain_id is None:
            summary["waiting"] += 1
            continue
        declaration = declaration_for(row.performance)
        try:
            outcome = _send_one(client, row, declaration, domain_id, learnt)
        except SibilError as exc:  # unavailable or credentials: stop here, the rest waits for the next run
            SibilDeclaration.objects.filter(pk=declaration.pk).update(error=exc.message)
            summary["error"] = exc.message
            return summary
        summary[outcome] += 1
    return summary


def _send_one(
    client: SibilClient, row: sibil.Row, declaration: SibilDeclaration, domain_id: int, learnt: dict
) -> str:
    for key, owner in _owners(row):
        if (key, owner) in learnt:
            row.known[key] = learnt[(key, owner)]
    dto = dto_for(row, declaration, domain_id)
    known = declaration.sibil_id or (client.declaration_find(declaration.ext_id) or {}).get("id")
    if known:
        dto["id"] = known
    try:
        answer = client.declaration_save(dto)
    except SibilError as exc:
        if exc.kind != "rejected":
            raise
        SibilDeclaration.objects.filter(pk=declaration.pk).update(
            status=SibilDeclaration.Status.REJECTED, error=exc.message, sent=dto, sent_at=timezone.now()
        )
        return "rejected"
    status = str(answer.get("statutDeclaration") or "")
    _remember(row, answer, learnt)
    SibilDeclaration.objects.filter(pk=declaration.pk).update(
        sibil_id=answer.get("id") or known,
        status=status if status in SibilDeclaration.Status.values else "",
        error=str(answer.get("codeErreur") or ""),
        sent=dto,
        sent_at=timezone.now(),
    )
    return "rejected" if status == SibilDeclaration.Status.REJECTED else "sent"


def _owners(row: sibil.Row) -> list[tuple[str, int]]:
    """What each of SIBIL's ids names in Parvis: the venue, the event, the festival."""
    performance = row.performance
    found = [("lieuId", performance.venue_id), ("spectacleId", performance.event_id)]
    return found + ([("festivalId", row.festival_pk)] if row.festival_pk else [])


def _remember(row: sibil.Row, answer: dict, learnt: dict) -> None:
    """The ids SIBIL gave the venue, the show and the festival: the next declarations name them by these
    (looked up, not proposed again to SIBIL's lists)."""
    for key, owner in _owners(row):
        if not answer.get(key) or learnt.get((key, owner)) == int(answer[key]):
            continue
        learnt[(key, owner)] = sibil_id = int(answer[key])
        if key == "lieuId":
            SibilVenue.objects.filter(venue_id=owner).update(sibil_id=sibil_id)
        elif key == "spectacleId":
            SibilShow.objects.update_or_create(event_id=owner, defaults={"sibil_id": sibil_id})
        else:
            SibilFestival.objects.update_or_create(festival_id=owner, defaults={"sibil_id": sibil_id})


def statuses_refresh(organizer, year: int, quarter: int, *, client: SibilClient | None = None) -> dict:
    """Read back from SIBIL the status of the quarter's declarations sent (recorded, closed, rejected with
    SIBIL's reason, cancelled). Returns how many were read and how many changed."""
    start, end = sibil.quarter_bounds(year, quarter)
    declarations = SibilDeclaration.objects.filter(
        performance__organizer=organizer, performance__starts_at__gte=start, performance__starts_at__lt=end
    ).exclude(sent={})
    summary = {"read": 0, "changed": 0, "error": ""}
    try:
        client = client or client_for(organizer)
        client.authenticate()
        for declaration in declarations:
            found = client.declaration_find(declaration.ext_id)
            if found is None:
                continue
            summary["read"] += 1
            status = str(found.get("statutDeclaration") or "")
            status = status if status in SibilDeclaration.Status.values else declaration.status
            reason = str(found.get("motifRejet") or found.get("codeErreur") or "")[:2000]
            if (status, reason) != (declaration.status, declaration.error):
                SibilDeclaration.objects.filter(pk=declaration.pk).update(
                    status=status, error=reason, sibil_id=found.get("id") or declaration.sibil_id
                )
                summary["changed"] += 1
    except SibilError as exc:
        summary["error"] = exc.message
    return summary
