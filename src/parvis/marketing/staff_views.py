"""The campaigns in the staff pages: an organizer's (role marketing or administration) and a network's
(its coordinators), with the same pages."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.db.models.functions import Lower
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from parvis.core.params import id_param, is_digits
from parvis.crm.models import Consent, Contact
from parvis.network.models import Network, NetworkMembership, Organizer
from parvis.network.permissions import Perm, has_organizer_perm, require_network_perm, require_organizer_perm

from . import audience, blocks, delivery, dns_check, forms, picks, pressure, results, services, tasks
from .models import Campaign, CampaignImage, Journey, Recipient, SendingDomain, Suppression


@dataclass
class Owner:
    """Whose campaigns a page shows: an organizer's or a network's."""

    organizer: Organizer | None = None
    network: Network | None = None

    @property
    def slug(self) -> str:
        return self.organizer.slug if self.organizer else self.network.slug

    @property
    def name(self) -> str:
        return self.organizer.name if self.organizer else self.network.name

    @property
    def prefix(self) -> str:
        return "campaign" if self.organizer else "network_campaign"

    def filter(self) -> dict:
        return {"organizer": self.organizer} if self.organizer else {"network": self.network}

    def url(self, name: str, *args) -> str:
        return reverse(f"staff:{self.prefix}_{name}", args=[self.slug, *args])

    def campaign(self, pk: int) -> Campaign:
        return get_object_or_404(
            Campaign.objects.select_related("organizer", "network"), pk=pk, **self.filter()
        )


def _owner(request, organizer_slug=None, network_slug=None) -> Owner:
    if organizer_slug is not None:
        return Owner(organizer=require_organizer_perm(request.user, organizer_slug, Perm.CAMPAIGNS))
    return Owner(network=require_network_perm(request.user, network_slug, Perm.NETWORK_CAMPAIGNS))


def _urls(owner: Owner, campaign: Campaign | None = None) -> dict:
    urls = {
        "list": owner.url("list"),
        "create": owner.url("create"),
        "domains": owner.url("domains"),
        "policy": owner.url("policy"),
        "exclusions": owner.url("exclusions"),
    }
    if campaign is not None and campaign.pk:
        for name in ("detail", "edit", "preview", "audience", "action"):
            urls[name] = owner.url(name, campaign.pk)
    return urls


@login_required
def campaign_list(request, organizer_slug=None, network_slug=None):
    owner = _owner(request, organizer_slug, network_slug)
    campaigns = (
        Campaign.objects.filter(**owner.filter())
        .exclude(state=Campaign.State.JOURNEY)  # a journey's messages are on its page
        .annotate(recipients_count=Count("recipients"))
        .order_by("-created_at")[:200]
    )
    for campaign in campaigns:
        campaign.url = owner.url("detail", campaign.pk)
    return render(
        request,
        "marketing/staff/campaign_list.html",
        {"owner": owner, "campaigns": campaigns, "urls": _urls(owner)},
    )


def _event_choices(campaign: Campaign) -> list[tuple[int, str]]:
    return [(event.pk, event.title) for event in picks.coming_events(campaign)]


@login_required
def campaign_edit(request, organizer_slug=None, network_slug=None, pk=None):
    owner = _owner(request, organizer_slug, network_slug)
    campaign = owner.campaign(pk) if pk else Campaign(**_new_defaults(owner, request.user))
    if campaign.pk and not campaign.is_editable:
        messages.error(request, _("Une campagne partie ne se modifie plus."))
        return redirect(owner.url("detail", campaign.pk))
    form = forms.CampaignForm(
        request.POST or None, instance=campaign, organizer=owner.organizer, network=owner.network
    )
    block_list = list(campaign.blocks)
    block_error = ""
    if request.method == "POST":
        block_list = forms.blocks_from_post(request.POST)
        block_error = forms.images_from_post(request.FILES, block_list, owner=owner.filter())
        action = request.POST.get("action", "save")
        if action != "save":
            block_list = forms.block_action(block_list, action)
        elif form.is_valid() and not block_error:
            event_ids = {pk for pk, _title in _event_choices(campaign)}
            image_ids = set(CampaignImage.objects.filter(**owner.filter()).values_list("pk", flat=True))
            cleaned = None
            try:
                cleaned = blocks.blocks_clean(block_list, event_ids=event_ids, image_ids=image_ids)
            except ValidationError as exc:
                block_error = " ".join(exc.messages)
            if cleaned is not None and form.cleaned_data.get("ab_text_fr"):
                if not any(b["type"] == "text" for b in cleaned):
                    form.add_error(
                        "ab_text_fr",
                        _("Le texte B remplace le premier bloc de texte : ajoutez-en un au message."),
                    )
            if cleaned is not None and not form.errors:
                campaign = form.save(commit=False)
                campaign.blocks = cleaned
                segments = None
                if owner.organizer:
                    segments = (form.cleaned_data["include_segments"], form.cleaned_data["exclude_segments"])
                services.campaign_save(campaign=campaign, actor=request.user, segments=segments)
                messages.success(request, _("Campagne enregistrée."))
                return redirect(owner.url("detail", campaign.pk))
    context = {
        "owner": owner,
        "campaign": campaign,
        "form": form,
        "blocks": block_list,
        "block_error": block_error,
        "block_types": list(blocks.TYPES.items()),
        "events": _event_choices(campaign),
        "images": CampaignImage.objects.in_bulk(
            [
                int(b["image"])
                for b in block_list
                if b["type"] == "image" and is_digits(str(b.get("image", "")))
            ]
        ),
        "urls": _urls(owner, campaign),
    }
    return render(request, "marketing/staff/campaign_edit.html", context)


def _new_defaults(owner: Owner, user) -> dict:
    sender = owner.organizer or owner.network
    return {
        **owner.filter(),
        "purpose": "organizer_newsletter" if owner.organizer else "network_newsletter",
        "from_name": sender.name,
        "from_email": getattr(sender, "email", "") or "",
        "created_by": user,
    }


def _report(campaign: Campaign) -> dict:
    states = dict(
        Recipient.objects.filter(campaign=campaign).values_list("state").annotate(n=Count("pk")).order_by()
    )
    unsubscribed = Consent.objects.filter(
        source=Consent.Source.UNSUBSCRIBE, proof__campaign=campaign.pk, given=False
    ).count()
    total = sum(states.values())
    capped = Recipient.objects.filter(campaign=campaign, error=delivery.PRESSURE_CAP)
    return {
        "capped_waiting": capped.filter(state=Recipient.State.QUEUED).count(),
        "capped_skipped": capped.filter(state=Recipient.State.SKIPPED).count(),
        "capped_sent_later": capped.filter(state=Recipient.State.SENT).count(),
        "total": total,
        "states": [(label, states.get(value, 0)) for value, label in Recipient.State.choices],
        "sent": states.get(Recipient.State.SENT, 0),
        "unsubscribed": unsubscribed,
    }


@login_required
def campaign_detail(request, organizer_slug=None, network_slug=None, pk=None):
    owner = _owner(request, organizer_slug, network_slug)
    campaign = owner.campaign(pk)
    test_form = forms.TestForm(initial={"addresses": request.user.email, "language": "fr"})
    context = {
        "owner": owner,
        "campaign": campaign,
        "urls": _urls(owner, campaign),
        "test_form": test_form,
        "schedule_form": forms.ScheduleForm(),
        "report": _report(campaign) if campaign.frozen_at else None,
        "results": results.results(campaign) if campaign.frozen_at else None,
        "signed": delivery_signed(campaign),
        "preview_contact": id_param(request.GET, "contact"),
        "preview_language": "en" if request.GET.get("language") == "en" else "fr",
        "preview_width": "phone" if request.GET.get("width") == "phone" else "desktop",
        "journey": _journey_of(campaign),
    }
    return render(request, "marketing/staff/campaign_detail.html", context)


def _journey_of(campaign: Campaign) -> Journey | None:
    """The journey a journey's message belongs to (its page leads back there)."""
    if campaign.state != Campaign.State.JOURNEY:
        return None
    for journey in Journey.objects.filter(organizer_id=campaign.organizer_id):
        if any(step.get("campaign") == campaign.pk for step in journey.steps):
            return journey
    return None


def delivery_signed(campaign: Campaign) -> bool:
    """Whether the messages will be signed: the sender's own lookup of the domain's key."""
    return delivery.signing_domain(campaign) is not None


@login_required
def campaign_audience(request, organizer_slug=None, network_slug=None, pk=None):
    """The count and a sample, before sending (loaded into the campaign's page)."""
    owner = _owner(request, organizer_slug, network_slug)
    campaign = owner.campaign(pk)
    count, sample = audience.preview(campaign)
    return render(
        request,
        "marketing/staff/_audience.html",
        {
            "owner": owner,
            "campaign": campaign,
            "count": count,
            "sample": sample,
            "urls": _urls(owner, campaign),
        },
    )


def _preview_contact(owner: Owner, campaign: Campaign, contact_id: int) -> Contact | None:
    if not contact_id:
        return None
    contacts = Contact.objects.filter(pk=contact_id, merged_into__isnull=True, anonymised_at__isnull=True)
    if owner.organizer:
        return contacts.filter(organizer=owner.organizer).first()
    return contacts.filter(pk__in=audience.contacts(campaign).values("pk")).first()


@xframe_options_sameorigin
@login_required
def campaign_preview(request, organizer_slug=None, network_slug=None, pk=None):
    """The message itself, as a given contact would read it, for the preview's frame."""
    owner = _owner(request, organizer_slug, network_slug)
    campaign = owner.campaign(pk)
    contact = _preview_contact(owner, campaign, id_param(request.GET, "contact"))
    language = "en" if request.GET.get("language") == "en" else "fr"
    message = tasks.render_for(campaign, contact, language)
    response = HttpResponse(message.html)
    # The message's own styles are inline, as e-mail needs; it runs no script.
    response.csp_overrides = {"style-src": "'self' 'unsafe-inline'", "script-src": "'none'"}
    return response


@require_POST
@login_required
def campaign_action(request, organizer_slug=None, network_slug=None, pk=None):
    owner = _owner(request, organizer_slug, network_slug)
    campaign = owner.campaign(pk)
    action = request.POST.get("action")
    try:
        if action == "test":
            _test(request, owner, campaign)
        elif action == "schedule":
            form = forms.ScheduleForm(request.POST)
            if not form.is_valid():
                raise ValidationError(" ".join(e for errors in form.errors.values() for e in errors))
            if not campaign.blocks:
                raise ValidationError(_("Écrivez la campagne avant de l'envoyer."))
            services.campaign_schedule(campaign=campaign, actor=request.user, when=form.cleaned_data["when"])
            messages.success(request, _scheduled_words(campaign, form.cleaned_data["when"]))
        elif action == "duplicate":
            copy = services.campaign_duplicate(campaign=campaign, actor=request.user)
            messages.success(request, _("Copie créée : modifiez-la avant de l'envoyer."))
            return redirect(owner.url("edit", copy.pk))
        elif action == "cancel":
            services.campaign_cancel(campaign=campaign, actor=request.user)
            messages.success(request, _("Campagne annulée : ce qui n'était pas parti ne partira pas."))
        else:
            raise ValidationError(_("Action inconnue."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect(owner.url("detail", campaign.pk))


def _scheduled_words(campaign: Campaign, when) -> str:
    """What the marketer is told: when the sending really starts (the quiet hours may push it)."""
    start = when or timezone.now()
    later = delivery.quiet_until(start, pressure.owner_policy(campaign))
    if later is not None:
        return _("Campagne programmée : les heures creuses la font partir le %(date)s.") % {
            "date": formats.date_format(timezone.localtime(later), "DATETIME_FORMAT")
        }
    return _("Campagne programmée.") if when else _("Envoi lancé.")


def _test(request, owner: Owner, campaign: Campaign) -> None:
    form = forms.TestForm(request.POST)
    if not form.is_valid():
        raise ValidationError(" ".join(e for errors in form.errors.values() for e in errors))
    contact = _preview_contact(owner, campaign, id_param(request.POST, "contact"))
    services.campaign_test(
        campaign=campaign,
        actor=request.user,
        addresses=form.cleaned_data["addresses"],
        contact=contact,
        language=form.cleaned_data["language"],
    )
    messages.success(
        request, _("Test envoyé à %(addresses)s.") % {"addresses": ", ".join(form.cleaned_data["addresses"])}
    )


@login_required
def campaign_domains(request, organizer_slug=None, network_slug=None):
    """The domains the campaigns are signed for (DKIM), and the DNS record to publish for each."""
    owner = _owner(request, organizer_slug, network_slug)
    can_add = owner.network is not None or has_organizer_perm(
        request.user, owner.organizer, Perm.ORGANIZER_SETTINGS
    )
    if request.method == "POST" and request.POST.get("check"):
        sending = get_object_or_404(SendingDomain, pk=id_param(request.POST, "check"), **owner.filter())
        dns_check.check(sending)
        return redirect(owner.url("domains"))
    if request.method == "POST":
        if not can_add:
            raise PermissionDenied
        domain = request.POST.get("domain", "").strip().lower().rstrip(".")
        if not blocks.is_domain(domain):
            messages.error(
                request, _("« %(domain)s » n'est pas un nom de domaine.") % {"domain": domain[:100]}
            )
        else:
            services.domain_add(campaign_owner=owner.filter(), domain=domain, actor=request.user)
            messages.success(
                request, _("Clé créée : publiez l'enregistrement ci-dessous dans le DNS du domaine.")
            )
        return redirect(owner.url("domains"))
    domains = SendingDomain.objects.filter(**owner.filter()).order_by("domain", "-created_at")
    return render(
        request,
        "marketing/staff/domains.html",
        {"owner": owner, "domains": domains, "urls": _urls(owner), "can_add": can_add},
    )


@login_required
def campaign_policy(request, organizer_slug=None, network_slug=None):
    """How much the owner writes to each person (the pressure cap) and when (the quiet hours)."""
    owner = _owner(request, organizer_slug, network_slug)
    if owner.organizer:
        policy = pressure.policy_of(organizer_id=owner.organizer.pk)
    else:
        policy = pressure.policy_of(network_id=owner.network.pk)
    form = forms.PolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        services.policy_save(policy=form.save(commit=False), actor=request.user)
        messages.success(request, _("Règles d'envoi enregistrées."))
        return redirect(owner.url("policy"))
    return render(
        request, "marketing/staff/policy.html", {"owner": owner, "form": form, "urls": _urls(owner)}
    )


EXCLUSIONS_SHOWN = 200


@login_required
def campaign_exclusions(request, organizer_slug=None, network_slug=None):
    """The addresses the owner's campaigns never write to: those its staff excluded (added and taken back
    here), and the mailboxes' answers (a bounce, a complaint) for addresses of its own contacts."""
    owner = _owner(request, organizer_slug, network_slug)
    if request.method == "POST" and request.POST.get("remove"):
        suppression = get_object_or_404(
            Suppression,
            pk=id_param(request.POST, "remove"),
            reason=Suppression.Reason.MANUAL,
            **owner.filter(),
        )
        services.suppression_remove(suppression=suppression, actor=request.user)
        messages.success(
            request,
            _("%(address)s peut de nouveau recevoir vos campagnes.") % {"address": suppression.address},
        )
        return redirect(owner.url("exclusions"))
    form = forms.ExclusionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        added = services.suppressions_add(
            campaign_owner=owner.filter(),
            addresses=form.cleaned_data["addresses"],
            note=form.cleaned_data["note"],
            actor=request.user,
        )
        given = len(form.cleaned_data["addresses"])
        messages.success(
            request,
            _("%(added)d adresse(s) exclue(s) ; %(already)d l'étai(en)t déjà.")
            % {"added": added, "already": given - added},
        )
        return redirect(owner.url("exclusions"))
    query = request.GET.get("q", "").strip().lower()[:254]
    own = Suppression.objects.filter(**owner.filter())
    organizers = (
        [owner.organizer.pk]
        if owner.organizer
        else NetworkMembership.objects.filter(network=owner.network).values("organizer_id")
    )
    known = Contact.objects.filter(organizer_id__in=organizers).annotate(key=Lower("email")).values("key")
    answers = Suppression.objects.filter(organizer__isnull=True, network__isnull=True, address__in=known)
    if query:
        own, answers = own.filter(address__contains=query), answers.filter(address__contains=query)
    return render(
        request,
        "marketing/staff/exclusions.html",
        {
            "owner": owner,
            "form": form,
            "urls": _urls(owner),
            "query": query,
            "own": own.order_by("-at", "address")[:EXCLUSIONS_SHOWN],
            "own_count": own.count(),
            "answers": answers.order_by("-at", "address")[:EXCLUSIONS_SHOWN],
            "answers_count": answers.count(),
        },
    )
