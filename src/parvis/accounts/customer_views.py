"""The public's account: sign in by e-mail link, see every order, pass, card and subscription, sign out."""

from django import forms
from django.contrib import messages
from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from parvis.core.customers import SESSION_KEY
from parvis.core.params import is_digits
from parvis.crm import network_suggestions
from parvis.crm.privacy import consent_proof

from . import customers, recommendations
from .services import LoginThrottled, login_failure_record, login_throttle_check


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Votre e-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=gettext_lazy("Celui de vos commandes : nous y envoyons un lien de connexion."),
    )


def _customer(request):
    user = request.user
    if user.is_authenticated and request.session.get(SESSION_KEY):
        return user
    return None


def account(request):
    """Signed in: the account. Otherwise: the form that sends a sign-in link."""
    user = _customer(request)
    if user is not None:
        return render(request, "accounts/customer/account.html", customers.account_overview(user))
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = request.META.get("REMOTE_ADDR", "")
        email = form.cleaned_data["email"]
        try:
            login_throttle_check(username=f"link:{email}", ip=f"link:{ip}")
        except LoginThrottled:
            form.add_error(None, _("Trop de demandes : réessayez dans quelques minutes."))
        else:
            login_failure_record(username=f"link:{email}", ip=f"link:{ip}")  # each request counts
            customers.sign_in_link_send(email=email, language=translation.get_language() or "fr")
            return render(request, "accounts/customer/link_sent.html", {"email": email})
    return render(
        request, "accounts/customer/sign_in.html", {"form": form}, status=400 if form.errors else 200
    )


@require_POST
def account_consents(request):
    """The consents of every organizer that knows the address, saved from the account's one page."""
    user = _customer(request)
    if user is None:
        return redirect("customer:account")
    customers.consents_save(user, request.POST, consent_proof(request))
    messages.success(request, _("Vos choix sont enregistrés."))
    return redirect("customer:account")


@require_POST
def account_network_sharing(request):
    """Share the profile with a network at every venue of it that knows the person, or at none."""
    user = _customer(request)
    network_id = request.POST.get("network", "")
    if user is None or not is_digits(network_id):
        return redirect("customer:account")
    given = request.POST.get("given") == "yes"
    customers.network_sharing_set(user, int(network_id), given, consent_proof(request))
    messages.success(
        request,
        _("Vos lieux du réseau sont reliés.") if given else _("Vos lieux du réseau ne sont plus reliés."),
    )
    return redirect("customer:account")


@require_POST
def account_suggestion(request):
    """« Est-ce aussi vous ? »: yes sends a link to the other address, no hides the suggestion; taking back
    a confirmed address is a no too."""
    user = _customer(request)
    if user is None:
        return redirect("customer:account")
    main = user.email.strip().lower()
    answer = request.POST.get("answer")
    if "address" in request.POST:  # a confirmed address, taken back
        address = request.POST["address"].strip().lower()
        if answer == "no" and address in network_suggestions.addresses_of(main)[1:]:
            network_suggestions.alias_refuse(main, address)
            messages.success(request, _("Cette adresse n'est plus reliée à votre compte."))
        return redirect("customer:account")
    try:
        suggestion = network_suggestions.suggestion_of(main, request.POST.get("contact"))
    except network_suggestions.AliasRefused:
        messages.error(request, _("Cette suggestion n'est plus valable."))
        return redirect("customer:account")
    if answer == "yes":
        try:  # the same limit as sign-in links: a button must not become a way to flood a mailbox
            login_throttle_check(username=f"alias:{suggestion.address}", ip=f"alias:{user.pk}")
        except LoginThrottled:
            messages.error(request, _("Trop de demandes : réessayez dans quelques minutes."))
            return redirect("customer:account")
        login_failure_record(username=f"alias:{suggestion.address}", ip=f"alias:{user.pk}")
        customers.alias_link_send(user, suggestion, language=translation.get_language() or "fr")
        messages.success(
            request,
            _("Un lien est parti à %(address)s : ouvrez-le pour relier cette adresse.")
            % {"address": suggestion.masked},
        )
    elif answer == "no":
        network_suggestions.alias_refuse(main, suggestion.address)
        messages.success(request, _("C'est noté : nous ne vous le proposerons plus."))
    return redirect("customer:account")


def address_confirm(request, token: str):
    """The link from the other address's e-mail: a page with one button (mail scanners open links)."""
    if request.method == "POST":
        try:
            alias = network_suggestions.alias_confirm(token)
        except network_suggestions.AliasRefused:
            messages.error(
                request, _("Ce lien n'est plus valable : refaites la demande depuis votre compte.")
            )
        else:
            messages.success(
                request,
                _("L'adresse %(address)s est reliée à votre compte.")
                % {"address": network_suggestions.mask(alias.address)},
            )
        return redirect("customer:account")
    main = network_suggestions.alias_main(token)
    return render(
        request,
        "accounts/customer/address_confirm.html",
        {"main": network_suggestions.mask(main) if main else "—"},
        status=200 if main else 400,
    )


def sign_in_link(request, token: str):
    """The link from the e-mail: a page with one button (mail scanners that open links sign nobody in)."""
    if request.method == "POST":
        user = customers.customer_for_token(token)
        if user is None:
            messages.error(request, _("Ce lien de connexion n'est plus valable : demandez-en un nouveau."))
            return redirect("customer:account")
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SESSION_KEY] = True
        messages.success(request, _("Vous êtes connecté."))
        return redirect("customer:account")
    return render(request, "accounts/customer/sign_in_confirm.html")


@require_POST
def sign_out(request):
    if _customer(request) is not None:
        logout(request)
    return redirect("customer:account")


def account_recommendations(request):
    """« Mes recommandations »: what each organizer suggests, why, and what it rests on."""
    user = _customer(request)
    if user is None:
        return redirect("customer:account")
    contacts = customers.account_contacts(user)
    return render(
        request,
        "accounts/customer/recommendations.html",
        {"rows": recommendations.overview(contacts)},
    )


@require_POST
def account_recommendations_change(request):
    user = _customer(request)
    if user is None:
        return redirect("customer:account")
    contact_id, event_id = request.POST.get("contact", ""), request.POST.get("event", "")
    action = request.POST.get("action", "")
    contacts = {c.pk: c for c in customers.account_contacts(user)}
    contact = contacts.get(int(contact_id)) if is_digits(contact_id, max_len=12) else None
    if contact is None or action not in ("forget", "on", "off"):
        messages.error(request, _("Cette demande ne correspond à aucun de vos profils."))
        return redirect("customer:account_recommendations")
    event = int(event_id) if is_digits(event_id, max_len=12) else None
    recommendations.act(contact, action, event, consent_proof(request))
    messages.success(request, _("C'est fait : vos recommandations en tiennent compte dès maintenant."))
    return redirect("customer:account_recommendations")
