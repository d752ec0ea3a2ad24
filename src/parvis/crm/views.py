"""Public pages of the audience relations: my data (signed link), newsletter sign-up with double opt-in."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from parvis.core.params import is_digits
from parvis.network.models import Network, Organizer

from . import privacy, selectors, services, tasks
from .forms import SIGNUP_VERSION, SIGNUP_WORDING, CorrectForm, EmailForm, EraseForm, SignupForm
from .models import Purpose

SELF_SERVICE_VERSION = "2026-11"


@never_cache
def privacy_request(request):
    """Ask for a link to one's data. The answer is the same whether the address is known or not."""
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        known = privacy.email_identifiers(form.cleaned_data["email"])
        if known:  # nothing is sent (nor said) for an unknown address
            tasks.send_privacy_links.enqueue(
                identifier_ids=known, language=translation.get_language() or "fr"
            )
        messages.success(
            request,
            _("Si cette adresse est connue, un lien vient d'y être envoyé. Il est valable 7 jours."),
        )
        return redirect(request.path)
    return render(request, "crm/privacy_request.html", {"form": form})


@never_cache
def my_data(request, token: str):
    contact = privacy.contact_for_token(token)
    if contact is None:
        return render(request, "crm/privacy_invalid.html", status=404)
    correct_form = CorrectForm(instance=contact, initial={"phone": contact.phone}, prefix="c")
    erase_form = EraseForm(prefix="e")
    action = request.POST.get("action")
    if request.method == "POST":
        if action == "correct":
            correct_form = CorrectForm(request.POST, instance=contact, prefix="c")
            if correct_form.is_valid():
                data = {**correct_form.cleaned_data}
                contact.refresh_from_db()
                privacy.contact_correct(contact=contact, data=data)
                messages.success(request, _("Vos coordonnées sont corrigées."))
                return redirect(request.path)
        elif action == "consents":
            wanted = {purpose: request.POST.get(f"consent-{purpose}") == "on" for purpose in Purpose.values}
            privacy.consents_set(
                contact=contact,
                wanted=wanted,
                wording=privacy.purpose_wording(),
                version=SELF_SERVICE_VERSION,
                proof=privacy.consent_proof(request),
            )
            messages.success(request, _("Vos choix sont enregistrés."))
            return redirect(request.path)
        elif action == "erase":
            erase_form = EraseForm(request.POST, prefix="e")
            if erase_form.is_valid():
                privacy.contact_erase(contact=contact)
                return render(request, "crm/privacy_erased.html", {"organizer": contact.organizer})
        else:
            raise Http404
    return render(
        request,
        "crm/privacy.html",
        {
            "contact": contact,
            "data": privacy.personal_data(contact),
            "consents": selectors.consents_of(contact),
            "correct_form": correct_form,
            "erase_form": erase_form,
            "token": token,
        },
    )


@never_cache
def my_data_download(request, token: str):
    contact = privacy.contact_for_token(token)
    if contact is None:
        raise Http404
    response = HttpResponse(privacy.export_zip(contact), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="mes-donnees-{contact.organizer.slug}.zip"'
    return response


@never_cache
def my_data_all(request, token: str):
    """Every organizer that knows the address, on one page: each one's link, one download, one erasure."""
    contacts = privacy.contacts_for_all_token(token)
    if not contacts:
        return render(request, "crm/privacy_invalid.html", status=404)
    erase_form = EraseForm(request.POST or None, prefix="e")
    if request.method == "POST":
        chosen = {int(i) for i in request.POST.getlist("organizer") if is_digits(i)}
        targets = [c for c in contacts if c.organizer_id in chosen]
        if not targets:
            erase_form.add_error(None, _("Choisissez au moins une structure."))
        elif erase_form.is_valid():
            for contact in targets:
                privacy.contact_erase(contact=contact)
            return render(
                request, "crm/privacy_erased_all.html", {"organizers": [c.organizer for c in targets]}
            )
    rows = [(c, privacy.self_service_token(c), privacy.personal_data(c)) for c in contacts]
    return render(
        request,
        "crm/privacy_all.html",
        {"rows": rows, "erase_form": erase_form, "token": token},
        status=400 if erase_form.errors else 200,
    )


@never_cache
def my_data_all_download(request, token: str):
    contacts = privacy.contacts_for_all_token(token)
    if not contacts:
        raise Http404
    response = HttpResponse(privacy.export_zip_all(contacts), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="mes-donnees.zip"'
    return response


def signup(request, organizer_slug: str):
    organizer = get_object_or_404(Organizer, slug=organizer_slug)
    form = SignupForm(request.POST or None, organizer=organizer)
    if request.method == "POST" and form.is_valid():
        contact = services.contact_resolve(
            organizer_id=organizer.pk,
            email=form.cleaned_data["email"],
            first_name=form.cleaned_data["first_name"],
            language=translation.get_language() or "fr",
            source="signup",
        )
        if contact is not None:
            tasks.send_signup_confirmation.enqueue(
                contact_id=contact.pk,
                purpose=Purpose.ORGANIZER_NEWSLETTER,
                version=SIGNUP_VERSION,
                language=translation.get_language() or "fr",
            )
        return render(request, "crm/signup_sent.html", {"organizer": organizer})
    return render(request, "crm/signup.html", {"organizer": organizer, "form": form})


@never_cache
def signup_confirm(request, token: str):
    """A button, not the link itself, confirms: mail scanners that open links confirm nothing."""
    if request.method != "POST":
        return render(request, "crm/signup_confirm.html", {"token": token})
    contact = privacy.signup_confirm(
        token,
        wording=str(SIGNUP_WORDING),
        proof=privacy.consent_proof(request),
    )
    if contact is None:
        return render(request, "crm/privacy_invalid.html", status=404)
    return render(request, "crm/signup_done.html", {"organizer": contact.organizer})


def network_notice(request, network_slug: str):
    """What sharing one's profile with a network means, and who answers for it (the members, joint
    controllers for that purpose)."""
    network = get_object_or_404(Network, slug=network_slug)
    members = network.organizers.order_by("name")
    return render(request, "crm/network_notice.html", {"network": network, "members": members})
