"""What a recipient reaches from a campaign: unsubscribe (one click, RFC 8058) and their preferences."""

import base64
import mimetypes

from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from parvis.crm import privacy, selectors
from parvis.crm.models import Purpose

from . import services
from .models import CampaignImage


def click_base(request, token: str):
    """Only the start of the click addresses (`links.Urls`): nothing to see."""
    return render(request, "marketing/link_invalid.html", status=404)


@never_cache
def click(request, token: str, n: int, kind: str):
    """A click on a campaign's link: counted, kept with the person's name only if they agreed to it, then
    on to where the link leads (only the campaign's own links: no open redirect)."""
    recipient = services.recipient_for_token(token)
    target = services.click_target(recipient.campaign, kind, n) if recipient else None
    if target is None:
        return render(request, "marketing/link_invalid.html", status=404)
    services.click_record(recipient=recipient, link=f"{kind}{n}")
    return HttpResponseRedirect(target)


# The smallest transparent GIF: what the open indicator answers, whatever happens.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@never_cache
def opened(request, token: str):
    recipient = services.recipient_for_token(token)
    if recipient is not None:
        services.open_record(
            recipient=recipient,
            ip=request.META.get("REMOTE_ADDR", ""),
            user_agent=request.headers.get("User-Agent", ""),
        )
    return HttpResponse(PIXEL, content_type="image/gif")


def image(request, pk: int):
    """A campaign's image, served by Parvis (in production too): the messages load it from here."""
    picture = CampaignImage.objects.filter(pk=pk).first()
    if picture is None or not picture.image:
        raise Http404
    response = FileResponse(
        picture.image.open("rb"), content_type=mimetypes.guess_type(picture.image.name)[0]
    )
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


PREFERENCES_VERSION = "campaign-preferences-2026-12"
# The purposes a person chooses from a campaign's preferences page: what may be written to them.
MESSAGE_PURPOSES = (
    Purpose.ORGANIZER_NEWSLETTER,
    Purpose.NETWORK_NEWSLETTER,
    Purpose.PARTNER_OFFERS,
    Purpose.RECOMMENDATIONS,
    Purpose.EMAIL_TRACKING,
)


@csrf_exempt  # a mail provider's one-click POST carries no CSRF token; the signed link is the proof
@never_cache
def unsubscribe(request, token: str):
    """GET: a page with a button (a link scanner opening the link unsubscribes nobody). POST: withdrawn
    at once, from the button or from the mail provider's one-click request (`List-Unsubscribe=One-Click`)."""
    recipient = services.recipient_for_token(token)
    if recipient is None:
        return render(request, "marketing/link_invalid.html", status=404)
    campaign = recipient.campaign
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        services.unsubscribe(recipient=recipient, proof=privacy.consent_proof(request), one_click=one_click)
        if one_click:
            return HttpResponse(_("Désinscription enregistrée."), content_type="text/plain; charset=utf-8")
        return render(request, "marketing/unsubscribed.html", {"recipient": recipient, "token": token})
    return render(
        request,
        "marketing/unsubscribe.html",
        {
            "recipient": recipient,
            "owner": campaign.network.name if campaign.network_id else recipient.contact.organizer.name,
            "purpose": campaign.get_purpose_display(),
            "token": token,
        },
    )


@never_cache
def preferences(request, token: str):
    recipient = services.recipient_for_token(token)
    if recipient is None or not recipient.contact.is_active:
        return render(request, "marketing/link_invalid.html", status=404)
    contact = recipient.contact
    if request.method == "POST":
        wanted = {purpose: request.POST.get(f"consent-{purpose}") == "on" for purpose in MESSAGE_PURPOSES}
        privacy.consents_set(
            contact=contact,
            wanted=wanted,
            wording=privacy.purpose_wording(),
            version=PREFERENCES_VERSION,
            proof=privacy.consent_proof(request),
        )
        saved = True
    else:
        saved = False
    consents = [row for row in selectors.consents_of(contact) if row["purpose"] in MESSAGE_PURPOSES]
    return render(
        request,
        "marketing/preferences.html",
        {"contact": contact, "consents": consents, "saved": saved, "token": token},
    )
