"""Accreditation: a professional applies, the team reviews (approve, refuse with a reason, ask for more),
the fee is paid through an order like any sale (its invoice made out to the company), and the badge is
issued. A company may buy N badges at once and name the people later.

Every staff decision is audited; the CRM gets the person, their organisation, and each step on the
timeline (the market's memory for next year)."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.core.audit import audit_record
from parvis.core.background import enqueue_on_commit
from parvis.crm import services as crm
from parvis.crm.models import Affiliation, Consent, Organisation, Purpose
from parvis.ticketing.models import Channel, Order, OrderExtra
from parvis.ticketing.providers import enabled_providers
from parvis.ticketing.services import checkout
from parvis.ticketing.services.buyer import Buyer

from .models import BadgePack, Category, Market, Participant
from .tasks import send_participant_mail

State = Participant.State


class MarketError(Exception):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


# What a participant may fill in, by the application form and the profile page.
PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "organisation_name",
    "role",
    "siret",
    "vat_number",
    "billing_address",
    "proof_url",
    "interests",
    "offers",
    "seeks",
    "in_directory",
    "show_email",
    "share_with_exhibitors",
    "accepts_meetings",
    "auto_accept",
)


def search_text_of(participant: Participant) -> str:
    words = [
        participant.first_name,
        participant.last_name,
        participant.organisation_name,
        participant.role,
        participant.interests,
        participant.offers,
        participant.seeks,
        participant.category.name,
    ]
    return " ".join(str(w) for w in words if w).lower()[:3000]


def _check_proof(category: Category, data: dict) -> None:
    missing = []
    if category.asks_organisation and not data.get("organisation_name", "").strip():
        missing.append(_("l'organisation"))
    if category.asks_role and not data.get("role", "").strip():
        missing.append(_("la fonction"))
    if category.asks_proof and not data.get("proof_url", "").strip() and not data.get("proof_file"):
        missing.append(_("un justificatif"))
    if missing:
        raise MarketError(_("Cette catégorie demande %(what)s.") % {"what": ", ".join(missing)})


def apply(
    *, market: Market, category: Category, data: dict, user=None, photo=None, proof_file=None
) -> Participant:
    """An application; the applicant reaches the CRM and receives an acknowledgement. A proof document is
    kept in the private storage, for the reviewers only."""
    if not market.applications_open or not category.open_to_applications or category.market_id != market.pk:
        raise MarketError(_("Les accréditations de cette catégorie sont fermées."))
    _check_proof(category, {**data, "proof_file": proof_file})
    email = data["email"].strip().lower()
    if (
        market.participants.filter(email__iexact=email)
        .exclude(state__in=[State.REFUSED, State.CANCELLED])
        .exists()
    ):
        raise MarketError(_("Une demande d'accréditation existe déjà pour cette adresse e-mail."))
    values = {name: data[name] for name in PROFILE_FIELDS if name in data}
    with transaction.atomic():
        participant = Participant(market=market, category=category, user=user, **{**values, "email": email})
        if photo is not None:
            participant.photo = photo
        if proof_file:
            participant.proof_file = proof_file
        participant.search_text = search_text_of(participant)
        participant.save()
        _crm(participant)
        audit_record(
            actor=user,
            action="market.apply",
            instance=participant,
            organizer_id=market.organizer_id,
            after={"category": category.name, "organisation": participant.organisation_name},
        )
        enqueue_on_commit(send_participant_mail, participant_id=participant.pk, what="received")
    return participant


def _crm(participant: Participant) -> None:
    organizer_id = participant.market.organizer_id
    contact = crm.contact_resolve(
        organizer_id=organizer_id,
        email=participant.email,
        phone=participant.phone,
        first_name=participant.first_name,
        last_name=participant.last_name,
        source="market",
    )
    if contact is None:
        return
    organisation = None
    if participant.organisation_name:
        organisation = Organisation.objects.filter(
            organizer_id=organizer_id, name__iexact=participant.organisation_name
        ).first() or Organisation.objects.create(
            organizer_id=organizer_id, name=participant.organisation_name, kind=Organisation.Kind.COMPANY
        )
        try:
            with transaction.atomic():
                Affiliation.objects.get_or_create(
                    contact=contact, organisation=organisation, defaults={"role": participant.role[:100]}
                )
        except IntegrityError:
            pass
    Participant.objects.filter(pk=participant.pk).update(contact=contact, organisation=organisation)
    participant.contact, participant.organisation = contact, organisation
    record(participant, _("Demande d'accréditation (%(category)s)") % {"category": participant.category.name})
    consents_record(participant, before={})


# The participant's choices that are consents, with the wording they were given under.
CONSENTS = {
    "in_directory": (Purpose.MARKET_DIRECTORY, _("Figurer dans l'annuaire des participants du marché")),
    "share_with_exhibitors": (
        Purpose.MARKET_LEADS,
        _("Transmettre mes coordonnées aux exposants qui scannent mon badge"),
    ),
}


def consents_record(participant: Participant, *, before: dict) -> None:
    """Each opt-in given or withdrawn goes to the consent ledger (a first refusal records nothing)."""
    if participant.contact_id is None:
        return
    for name, (purpose, wording) in CONSENTS.items():
        value = getattr(participant, name)
        if value != before.get(name, False):
            crm.consent_record(
                contact=participant.contact,
                purpose=purpose,
                given=value,
                source=Consent.Source.SIGNUP if not before else Consent.Source.SELF_SERVICE,
                wording=wording,
            )


def record(participant: Participant, summary: str, *, ref: str = "", at=None) -> None:
    """A step of the market on the participant's timeline."""
    crm.interaction_record(
        contact_id=participant.contact_id,
        organizer_id=participant.market.organizer_id,
        kind=crm.Interaction.Kind.MARKET,
        at=at or timezone.now(),
        summary=summary[:300],
        ref=ref or f"market:{participant.code}",
    )


def review(*, actor, participant: Participant, decision: str, message: str = "", request=None) -> Participant:
    """approve (accredited at once when the category is free, else to pay), refuse (a reason is
    required), or ask for more (the message says what)."""
    if decision not in ("approve", "refuse", "more_info"):
        raise MarketError(_("Décision inconnue."))
    if decision in ("refuse", "more_info") and not message.strip():
        raise MarketError(_("Dites au candidat pourquoi (il reçoit ce message)."))
    with transaction.atomic():
        participant = (
            Participant.objects.select_for_update()
            .select_related("category", "market")
            .get(pk=participant.pk)
        )
        if participant.state not in (State.APPLIED, State.MORE_INFO):
            raise MarketError(_("Cette demande a déjà reçu une réponse."))
        before = participant.state
        if decision == "approve":
            free = participant.category.fee == 0 or participant.pack_id is not None
            participant.state = State.ACCREDITED if free else State.APPROVED
        else:
            participant.state = State.REFUSED if decision == "refuse" else State.MORE_INFO
        participant.staff_message = message.strip()
        participant.reviewed_at, participant.reviewed_by = timezone.now(), actor
        participant.save(update_fields=["state", "staff_message", "reviewed_at", "reviewed_by"])
        audit_record(
            actor=actor,
            action=f"market.{decision}",
            instance=participant,
            organizer_id=participant.market.organizer_id,
            request=request,
            before={"state": before},
            after={"state": participant.state, "message": participant.staff_message},
        )
        record(participant, str(State(participant.state).label))
        enqueue_on_commit(send_participant_mail, participant_id=participant.pk, what=participant.state)
    return participant


def complete(*, participant: Participant, data: dict) -> Participant:
    """The applicant answers a request for more: the application goes back to the queue."""
    if participant.state != State.MORE_INFO:
        raise MarketError(_("Votre demande n'attend pas de complément."))
    _check_proof(participant.category, {**_values(participant), "proof_file": participant.proof_file, **data})
    with transaction.atomic():
        for name in PROFILE_FIELDS:
            if name in data and name != "email":
                setattr(participant, name, data[name])
        if data.get("proof_file"):
            participant.proof_file = data["proof_file"]
        participant.state = State.APPLIED
        participant.search_text = search_text_of(participant)
        participant.save()
        audit_record(
            actor=participant.user,
            action="market.complete",
            instance=participant,
            organizer_id=participant.market.organizer_id,
            after={"state": State.APPLIED},
        )
    return participant


def _values(participant: Participant) -> dict:
    return {name: getattr(participant, name) for name in PROFILE_FIELDS}


def profile_save(*, participant: Participant, data: dict) -> Participant:
    """What a participant shows in the directory and shares, changed on their page."""
    before = {name: getattr(participant, name) for name in CONSENTS}
    with transaction.atomic():
        for name in PROFILE_FIELDS:
            if name in data and name not in ("email", "first_name", "last_name"):
                setattr(participant, name, data[name])
        participant.search_text = search_text_of(participant)
        participant.save()
        consents_record(participant, before=before)
    return participant


def fee_order_place(*, participant: Participant, provider_code: str) -> Order:
    """The order paying an approved participant's fee; the badge comes when it is paid (`lines`)."""
    participant = Participant.objects.select_related("category", "market").get(pk=participant.pk)
    if participant.state != State.APPROVED:
        raise MarketError(_("Cette accréditation n'attend pas de paiement."))
    category = participant.category
    return order_place(
        market=participant.market,
        buyer=_buyer(participant),
        description=_("Accréditation %(market)s — %(category)s")
        % {"market": participant.market.name, "category": category.name},
        unit_price=category.fee,
        quantity=1,
        vat_rate=category.vat_rate,
        provider_code=provider_code,
        link=lambda order: Participant.objects.filter(pk=participant.pk).update(order=order),
        contact=participant.contact,
    )


def _buyer(participant: Participant) -> Buyer:
    return Buyer(
        email=participant.email,
        first_name=participant.first_name,
        last_name=participant.last_name,
        postal_address=participant.billing_address,
        terms_accepted=True,
    )


def order_place(
    *,
    market,
    buyer,
    description,
    unit_price,
    quantity,
    vat_rate,
    provider_code,
    link,
    contact=None,
    expires_at=None,
) -> Order:
    total = unit_price * quantity
    code = "free" if total == 0 else provider_code
    provider = enabled_providers().get(code)
    if expires_at is None and provider is None:  # a purchase order (its own term) needs no provider
        raise MarketError(_("Ce moyen de paiement n'est pas proposé."))
    with transaction.atomic():
        order = Order.objects.create(
            organizer_id=market.organizer_id,
            contact=contact or buyer.contact_at(market.organizer_id, source="market"),
            channel=Channel.ONLINE,
            **buyer.order_fields(market.organizer_id),
            total=total,
            currency=market.currency,
            expires_at=expires_at or timezone.now() + provider.payment_window,
        )
        OrderExtra.objects.create(
            order=order,
            kind=OrderExtra.Kind.MARKET,
            description=description[:200],
            quantity=quantity,
            unit_price=unit_price,
            vat_rate=vat_rate,
        )
        link(order)
        audit_record(
            actor=None,
            action="order.place",
            instance=order,
            organizer_id=market.organizer_id,
            after={"market": description, "total": str(total)},
        )
        checkout.order_payment_start(order=order, provider_code=code)
    order.refresh_from_db()
    return order


def pack_order_place(*, category: Category, data: dict, quantity: int, provider_code: str) -> BadgePack:
    """A company buys `quantity` badges of a category and names the people later (its pack's page)."""
    market = category.market
    if not market.applications_open or not category.open_to_applications:
        raise MarketError(_("Les accréditations de cette catégorie sont fermées."))
    if not 1 <= quantity <= 50:
        raise MarketError(_("De 1 à 50 badges par commande."))
    with transaction.atomic():
        pack = BadgePack.objects.create(
            market=market,
            category=category,
            organisation_name=data["organisation_name"],
            contact_email=data["email"].strip().lower(),
            quantity=quantity,
        )
        buyer = Buyer(
            email=data["email"],
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            postal_address=data.get("billing_address", ""),
            terms_accepted=True,
        )
        order_place(
            market=market,
            buyer=buyer,
            provider_code=provider_code,
            quantity=quantity,
            description=_("%(n)s badges %(market)s — %(category)s")
            % {"n": quantity, "market": market.name, "category": category.name},
            unit_price=category.fee,
            vat_rate=category.vat_rate,
            link=lambda order: BadgePack.objects.filter(pk=pack.pk).update(order=order),
        )
    pack.refresh_from_db()
    return pack


def pack_name(*, pack: BadgePack, data: dict) -> Participant:
    """One person named on a paid pack: accredited at once, in the pack's category."""
    with transaction.atomic():
        pack = BadgePack.objects.select_for_update().get(pk=pack.pk)
        if not pack.paid:
            raise MarketError(_("Ce lot de badges n'est pas encore payé."))
        named = pack.badges.exclude(state=State.CANCELLED).count()
        if named >= pack.quantity:
            raise MarketError(_("Tous les badges de ce lot sont nommés."))
        values = {name: data[name] for name in PROFILE_FIELDS if name in data}
        values["organisation_name"] = values.get("organisation_name") or pack.organisation_name
        participant = Participant(
            market=pack.market, category=pack.category, pack=pack, state=State.ACCREDITED, **values
        )
        participant.email = participant.email.strip().lower()
        participant.search_text = search_text_of(participant)
        participant.save()
        _crm(participant)
        audit_record(
            actor=None,
            action="market.pack_name",
            instance=participant,
            organizer_id=pack.market.organizer_id,
            after={"pack": pack.code, "name": participant.name},
        )
        enqueue_on_commit(send_participant_mail, participant_id=participant.pk, what=State.ACCREDITED)
    return participant


def issue_paid(order: Order) -> None:
    """The order is paid: its accreditations are issued, its packs may be named (once, however often the
    confirmation comes)."""
    for participant in Participant.objects.filter(order=order, state=State.APPROVED).select_related("market"):
        if Participant.objects.filter(pk=participant.pk, state=State.APPROVED).update(state=State.ACCREDITED):
            record(participant, _("Accréditation payée, badge émis"))
            audit_record(
                actor=None,
                action="market.accredit",
                instance=participant,
                organizer_id=participant.market.organizer_id,
                after={"order": order.code},
            )
            enqueue_on_commit(send_participant_mail, participant_id=participant.pk, what=State.ACCREDITED)
    BadgePack.objects.filter(order=order, paid=False).update(paid=True)


def cancel_of_order(order: Order, *, actor=None) -> None:
    """A paid accreditation order is refunded: its badges stop opening doors (their version moves on)."""
    for participant in Participant.objects.filter(order=order).exclude(state=State.CANCELLED):
        cancel(actor=actor, participant=participant)
    for pack in BadgePack.objects.filter(order=order):
        for participant in pack.badges.exclude(state=State.CANCELLED):
            cancel(actor=actor, participant=participant)
        BadgePack.objects.filter(pk=pack.pk).update(paid=False)


def cancel(*, actor, participant: Participant, request=None) -> None:
    with transaction.atomic():
        if (
            Participant.objects.filter(pk=participant.pk)
            .exclude(state=State.CANCELLED)
            .update(state=State.CANCELLED, badge_version=participant.badge_version + 1)
        ):
            audit_record(
                actor=actor,
                action="market.cancel",
                instance=participant,
                organizer_id=participant.market.organizer_id,
                request=request,
            )
