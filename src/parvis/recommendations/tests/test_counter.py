"""At the box office (issue 23): choosing a customer shows what to offer them, their own suggestions with
why if they agreed to them, the most chosen coming shows otherwise, each with its next date on sale; kept
as an impression; only for the organizer's box office staff and its own customers."""

import pytest

from parvis.crm.models import Contact
from parvis.network.models import Role
from parvis.recommendations.models import Arm, Impression, Surface
from parvis.testing import OrganizerFactory, login_staff, staff

from .test_personal import season  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

URL = "/staff/o/club-a/guichet/suggestions/"


def test_the_clerk_sees_what_to_offer_and_why(client, organizer, season):  # noqa: F811
    login_staff(client, staff(organizer, Role.BOX_OFFICE))

    found = client.get("/staff/o/club-a/guichet/clients/", {"q": "ana@"}).content.decode()
    assert f"{URL}?contact={season['ana'].pk}" in found  # choosing her asks for her suggestions

    page = client.get(URL, {"contact": season["ana"].pk}).content.decode()
    listed = page.split('data-testid="counter-suggestions"')[1]
    assert "Jazz 2" in listed and "Parce que vous avez aimé « Jazz" in listed
    assert "Jazz 1" not in listed.split("</ul>")[0]  # she has it
    shown = Impression.objects.get(surface=Surface.COUNTER)
    assert (shown.contact_id, shown.arm) == (season["ana"].pk, Arm.PERSONAL)

    page = client.get(URL, {"contact": season["bob"].pk}).content.decode()
    assert "Jazz 1" in page and "Parce que" not in page and "rien de ses choix" in page
    assert Impression.objects.filter(surface=Surface.COUNTER, contact=None, arm=Arm.COMMON).count() == 1


def test_nothing_for_another_organizers_customer_or_another_role(client, organizer, season):  # noqa: F811
    stranger = Contact.objects.create(organizer=OrganizerFactory(slug="club-b"), email="eve@example.org")
    login_staff(client, staff(organizer, Role.BOX_OFFICE))

    for junk in (stranger.pk, "abc", "", "９"):
        answer = client.get(URL, {"contact": junk})
        assert answer.status_code == 200 and "counter-suggestions" not in answer.content.decode()
    assert not Impression.objects.exists()

    client.logout()
    login_staff(client, staff(organizer, Role.MARKETING))
    assert client.get(URL, {"contact": season["ana"].pk}).status_code in (403, 404)
    assert not Impression.objects.exists()
