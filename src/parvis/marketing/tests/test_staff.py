"""The campaigns' staff pages: a marketer writes a campaign block by block (what was typed kept when
something is wrong), sees its audience, previews it as a contact, tests it, schedules it; each role and
each organizer sees only what it may (issue 22)."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from parvis.crm.models import Purpose, Segment
from parvis.marketing.models import Campaign, CampaignImage, Recipient, SendingDomain
from parvis.network.models import NetworkRole, NetworkStaff
from parvis.testing import OrganizerFactory, PerformanceFactory, UserFactory, login_staff, staff

from .factories import campaign, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer(organizer, client):
    user = staff(organizer, "marketing", email="marketing@club.example")
    login_staff(client, user)
    return user


def _post_blocks(client, url, blocks, action="save", **fields):
    data = {
        "name": "Lettre de janvier",
        "purpose": Purpose.ORGANIZER_NEWSLETTER,
        "subject_fr": "Janvier, {{ prenom | chers amis }}",
        "from_name": "Club A",
        "from_email": "lettre@club.example",
        "priority": "normal",
        "holdout_percent": "0",
        "attribution_days": "7",
        "ab_percent": "0",
        "ab_hours": "4",
        "ab_metric": "clicks",
        "blocks": str(len(blocks)),
        "action": action,
        **fields,
    }
    for n, block in enumerate(blocks):
        for key, value in block.items():
            data[f"block-{n}-{key}"] = value
    return client.post(url, data)


def test_a_marketer_writes_a_campaign_block_by_block_and_nothing_typed_is_lost(organizer, marketer, client):
    event = PerformanceFactory(event__organizer=organizer, event__title="Nuit blanche").event
    url = f"/staff/o/{organizer.slug}/campagnes/nouvelle/"
    assert client.get(url).status_code == 200

    answer = _post_blocks(
        client, url, [{"type": "text", "fr": "<p>Bonjour {{ prenom }}</p>"}], action="add:events"
    )
    page = answer.content.decode()
    assert answer.status_code == 200 and "Bonjour {{ prenom }}" in page and "Nuit blanche" in page
    assert not Campaign.objects.exists()

    # A script pasted in the text is cleaned away; an unknown token is refused, the text kept.
    blocks = [
        {"type": "text", "fr": "<p>Bonjour {{ prenon }}</p><script>alert(1)</script>"},
        {"type": "events", "ids": str(event.pk)},
    ]
    answer = _post_blocks(client, url, blocks)
    assert answer.status_code == 200
    assert "n&#x27;est pas une donnée connue" in answer.content.decode()
    assert "Bonjour {{ prenon }}" in answer.content.decode()
    assert not Campaign.objects.exists()

    blocks[0]["fr"] = "<p>Bonjour {{ prenom }}</p><script>alert(1)</script>"
    answer = _post_blocks(client, url, blocks)
    letter = Campaign.objects.get()
    assert (
        answer.status_code == 302
        and answer["Location"] == f"/staff/o/{organizer.slug}/campagnes/{letter.pk}/"
    )
    assert letter.blocks == [
        {"type": "text", "fr": "<p>Bonjour {{ prenom }}</p>", "en": ""},
        {"type": "events", "ids": [event.pk]},
    ]
    assert letter.organizer == organizer and letter.state == Campaign.State.DRAFT


def test_the_marketer_sees_the_audience_previews_as_a_contact_and_schedules(organizer, marketer, client):
    ana = person(organizer, "ana@example.org", first="Ana", language="en")
    person(organizer, "no@example.org", given=False)
    letter = campaign(organizer)
    base = f"/staff/o/{organizer.slug}/campagnes/{letter.pk}/"
    assert client.get(base).status_code == 200
    audience = client.get(base + "public/").content.decode()
    assert "1 destinataire" in audience and "Ana" in audience and "no@example.org" not in audience

    preview = client.get(base + f"apercu/?contact={ana.pk}&language=en")
    assert preview.status_code == 200 and "Hello Ana," in preview.content.decode()
    assert preview["X-Frame-Options"] == "SAMEORIGIN"
    assert "script-src 'none'" in preview["Content-Security-Policy"]
    other = person(OrganizerFactory(), "x@example.org", first="Xavier")
    assert "Xavier" not in client.get(base + f"apercu/?contact={other.pk}").content.decode()

    when = (timezone.localtime() + datetime.timedelta(days=2)).replace(hour=10, minute=0)
    answer = client.post(base + "action/", {"action": "schedule", "when": when.strftime("%Y-%m-%dT%H:%M")})
    assert answer.status_code == 302
    letter.refresh_from_db()
    assert letter.state == Campaign.State.SCHEDULED and letter.send_at == when.replace(
        second=0, microsecond=0
    )
    assert not Recipient.objects.exists()  # frozen when the sending starts

    answer = client.post(base + "action/", {"action": "cancel"})
    letter.refresh_from_db()
    assert letter.state == Campaign.State.CANCELLED


def test_a_past_date_is_refused_in_words(organizer, marketer, client):
    letter = campaign(organizer)
    answer = client.post(
        f"/staff/o/{organizer.slug}/campagnes/{letter.pk}/action/",
        {"action": "schedule", "when": "2020-01-01T10:00"},
        follow=True,
    )
    assert "Cette date est passée." in answer.content.decode()
    letter.refresh_from_db()
    assert letter.state == Campaign.State.DRAFT


@pytest.mark.parametrize("role, status", [("box_office", 403), ("read_only", 403), ("administrator", 200)])
def test_who_may_open_the_campaigns(organizer, client, role, status):
    login_staff(client, staff(organizer, role))
    assert client.get(f"/staff/o/{organizer.slug}/campagnes/").status_code == status


def test_another_organizers_campaign_is_not_found(organizer, other_organizer, marketer, client):
    theirs = campaign(other_organizer)
    assert client.get(f"/staff/o/{other_organizer.slug}/campagnes/").status_code == 404
    assert client.get(f"/staff/o/{organizer.slug}/campagnes/{theirs.pk}/").status_code == 404
    assert (
        client.post(
            f"/staff/o/{organizer.slug}/campagnes/{theirs.pk}/action/", {"action": "cancel"}
        ).status_code
        == 404
    )


def test_only_administration_adds_a_sending_domain_and_sees_its_dns_record(organizer, marketer, client):
    url = f"/staff/o/{organizer.slug}/campagnes/domaines/"
    assert client.post(url, {"domain": "club.example"}).status_code == 403
    admin = staff(organizer, "administrator")
    login_staff(client, admin)
    client.post(url, {"domain": "not a domain"})
    assert not SendingDomain.objects.exists()
    client.post(url, {"domain": "Club.Example."})
    domain = SendingDomain.objects.get()
    assert domain.domain == "club.example" and domain.organizer == organizer
    page = client.get(url).content.decode()
    assert domain.dns_name in page and domain.public_key in page


def test_a_coordinator_writes_to_the_network(network, organizer, client):
    coordinator = UserFactory()
    NetworkStaff.objects.create(network=network, user=coordinator, role=NetworkRole.COORDINATOR)
    login_staff(client, coordinator)
    url = f"/staff/r/{network.slug}/campagnes/nouvelle/"
    answer = _post_blocks(
        client, url, [{"type": "text", "fr": "<p>Le réseau</p>"}], purpose=Purpose.NETWORK_NEWSLETTER
    )
    letter = Campaign.objects.get()
    assert answer.status_code == 302 and letter.network == network and letter.organizer is None
    assert client.get(f"/staff/o/{organizer.slug}/campagnes/").status_code == 404


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (138, 28, 43)).save(buffer, "PNG")
    return buffer.getvalue()


def test_an_image_is_uploaded_described_and_served_by_parvis(organizer, marketer, client, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    person(organizer, "ana@example.org", first="Ana")
    url = f"/staff/o/{organizer.slug}/campagnes/nouvelle/"
    data = {
        "name": "Avec image", "purpose": Purpose.ORGANIZER_NEWSLETTER, "subject_fr": "Image",
        "from_name": "Club A", "from_email": "lettre@club.example", "priority": "normal",
        "holdout_percent": "0", "attribution_days": "7", "ab_percent": "0", "ab_hours": "4",
        "ab_metric": "clicks", "blocks": "1", "block-0-type": "image", "action": "save",
    }  # fmt: skip
    refused = client.post(url, {**data, "block-0-file": SimpleUploadedFile("x.png", b"not an image")})
    assert "pas une image" in refused.content.decode() and not CampaignImage.objects.exists()
    answer = client.post(url, {**data, "block-0-file": SimpleUploadedFile("affiche.png", _png())})
    assert "lecteurs d&#x27;écran" in answer.content.decode()  # described first: saved, not yet the campaign
    picture = CampaignImage.objects.get()
    assert not Campaign.objects.exists()
    data.update({"block-0-image": str(picture.pk), "block-0-alt_fr": "L'affiche de la saison"})
    assert client.post(url, data).status_code == 302
    letter = Campaign.objects.get()
    assert letter.blocks[0] == {
        "type": "image",
        "image": picture.pk,
        "alt_fr": "L'affiche de la saison",
        "alt_en": "",
        "url": "",
    }
    preview = client.get(f"/staff/o/{organizer.slug}/campagnes/{letter.pk}/apercu/").content.decode()
    assert f'/m/image/{picture.pk}/"' in preview and 'alt="L\'affiche de la saison"' in preview
    client.logout()
    served = client.get(f"/m/image/{picture.pk}/")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == picture.image.open("rb").read()


def test_a_sent_campaign_serves_as_the_template_of_the_next(organizer, marketer, client):
    fans = Segment.objects.create(organizer=organizer, name="Fans", kind=Segment.Kind.STATIC)
    letter = campaign(organizer, holdout_percent=10)
    letter.include_segments.set([fans])
    Campaign.objects.filter(pk=letter.pk).update(state=Campaign.State.SENT)
    answer = client.post(f"/staff/o/{organizer.slug}/campagnes/{letter.pk}/action/", {"action": "duplicate"})
    copy = Campaign.objects.exclude(pk=letter.pk).get()
    assert answer["Location"] == f"/staff/o/{organizer.slug}/campagnes/{copy.pk}/modifier/"
    assert copy.state == Campaign.State.DRAFT and copy.name == "Lettre de décembre (copie)"
    assert (copy.blocks, copy.subject_fr, copy.holdout_percent) == (letter.blocks, letter.subject_fr, 10)
    assert list(copy.include_segments.all()) == [fans]
    assert client.get(answer["Location"]).status_code == 200


def test_an_ab_test_needs_a_b_and_a_text_b_needs_a_text_block(organizer, marketer, client):
    url = f"/staff/o/{organizer.slug}/campagnes/nouvelle/"
    button = [{"type": "button", "label_fr": "Agenda", "url": "https://club.example/agenda"}]
    page = _post_blocks(client, url, button, ab_percent="20").content.decode()
    assert "Un test A/B compare deux versions" in page
    page = _post_blocks(
        client, url, button, ab_percent="20", ab_text_fr="<p>Autre texte</p>"
    ).content.decode()
    assert "Le texte B remplace le premier bloc de texte" in page
    assert not Campaign.objects.exists()
    text = [{"type": "text", "fr": "<p>Bonjour</p>"}, *button]
    answer = _post_blocks(
        client,
        url,
        text,
        ab_percent="20",
        ab_text_fr='<p onclick="x()">Autre texte</p>',
        ab_text_en="<p>Other</p>",
    )
    assert answer.status_code == 302
    letter = Campaign.objects.get()
    assert letter.ab_text_fr == "<p>Autre texte</p>" and letter.ab_text_en == "<p>Other</p>"
    assert "Autre texte" in client.get(answer.url + "modifier/").content.decode()
