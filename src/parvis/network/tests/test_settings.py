import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from parvis.core.models import AuditLogEntry
from parvis.network.models import Role, Space, Venue
from parvis.testing import login_staff, staff

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", list(Role))
def test_only_administrators_change_the_settings(client, organizer, role):
    login_staff(client, staff(organizer, role))
    allowed = role == Role.ADMINISTRATOR
    url = reverse("staff:organizer_settings", args=[organizer.slug])
    assert client.get(url).status_code == (200 if allowed else 403)
    client.post(url, {"name": "Nouveau nom", "retention_prospect_years": 3, "retention_customer_years": 5})
    organizer.refresh_from_db()
    assert (organizer.name == "Nouveau nom") is allowed
    assert (organizer.retention_customer_years == 5) is allowed


def test_settings_of_another_organizer_are_invisible(client, organizer, other_organizer, venue):
    login_staff(client, staff(other_organizer, Role.ADMINISTRATOR))
    assert client.get(reverse("staff:organizer_settings", args=[organizer.slug])).status_code == 404
    assert (
        client.post(
            reverse("staff:organizer_settings", args=[organizer.slug]), {"name": "Piraté"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("staff:venue_edit", args=[organizer.slug, venue.pk]),
            {"name": "Piraté", "slug": "x", "town": "X", "country": "FR", "timezone": "Europe/Paris"},
        ).status_code
        == 404
    )
    # Its own venue URL cannot reach another organizer's venue either.
    assert client.get(reverse("staff:venue_edit", args=[other_organizer.slug, venue.pk])).status_code == 404
    organizer.refresh_from_db()
    venue.refresh_from_db()
    assert organizer.name == "Club A" and venue.name == "Salle A"


def test_admin_creates_a_venue_and_a_hall_audited(client, organizer, venue):
    login_staff(client, staff(organizer, Role.ADMINISTRATOR))
    response = client.post(
        reverse("staff:venue_create", args=[organizer.slug]),
        {
            "name": "La Cave",
            "slug": "cave",
            "town": "Paris",
            "country": "FR",
            "timezone": "Europe/Paris",
            "capacity": "80",
        },
    )
    assert response.status_code == 302
    cave = Venue.objects.get(organizer=organizer, slug="cave")
    response = client.post(
        reverse("staff:venue_edit", args=[organizer.slug, cave.pk]),
        {"space-name": "Petite salle", "space-capacity": "40"},
    )
    assert response.status_code == 302
    assert Space.objects.get(venue=cave).capacity == 40
    assert set(AuditLogEntry.objects.filter(organizer=organizer).values_list("action", flat=True)) == {
        "venue.create",
        "space.create",
    }
    # A duplicate slug or an unknown time zone is refused with the reason, nothing written.
    response = client.post(
        reverse("staff:venue_create", args=[organizer.slug]),
        {
            "name": "Doublon",
            "slug": "cave",
            "town": "Paris",
            "country": "FR",
            "timezone": "Lune/Base",
        },
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"slug", "timezone"}
    assert Venue.objects.filter(organizer=organizer).count() == 2


def test_the_settings_page_shows_every_field_in_its_section(client, organizer):
    from parvis.network.forms import OrganizerSettingsForm

    grouped = [name for _legend, names in OrganizerSettingsForm.GROUPS for name in names]
    assert sorted(grouped) == sorted(OrganizerSettingsForm.base_fields)  # a new field needs a section
    login_staff(client, staff(organizer, Role.ADMINISTRATOR))
    page = client.get(reverse("staff:organizer_settings", args=[organizer.slug])).content.decode()
    assert page.count("<fieldset>") == len(OrganizerSettingsForm.GROUPS)
    assert all(f'name="{name}"' in page for name in grouped)


def test_an_administrator_uploads_a_logo_and_chooses_the_ticket_layout(client, organizer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    login_staff(client, staff(organizer, Role.ADMINISTRATOR))
    url = reverse("staff:organizer_settings", args=[organizer.slug])
    base = {"name": organizer.name, "retention_prospect_years": 3, "retention_customer_years": 3}
    bad = SimpleUploadedFile("logo.png", b"not an image", content_type="image/png")
    response = client.post(url, {**base, "logo": bad, "ticket_layout": "compact"})
    assert response.status_code == 400
    organizer.refresh_from_db()
    assert not organizer.logo and organizer.ticket_layout == "a4"
    png = io.BytesIO()
    Image.new("RGB", (200, 80), (10, 80, 160)).save(png, "PNG")
    good = SimpleUploadedFile("logo.png", png.getvalue(), content_type="image/png")
    assert client.post(url, {**base, "logo": good, "ticket_layout": "compact"}).status_code == 302
    organizer.refresh_from_db()
    assert organizer.logo.name.startswith("organizers/") and organizer.ticket_layout == "compact"
    assert client.post(url, {**base, "ticket_layout": "nonsense"}).status_code == 400
