"""An organizer's settings of its recommendations (issue 23): its marketers and administrators set the
balance from familiar to discovery and the reach, audited; nobody else, and nothing out of range."""

from decimal import Decimal

import pytest

from parvis.core.models import AuditLogEntry
from parvis.network.models import Role
from parvis.recommendations import training
from parvis.recommendations.models import Policy
from parvis.testing import OrganizerFactory, login_staff, staff

pytestmark = pytest.mark.django_db

URL = "/staff/o/club-a/campagnes/recommandations/"


def test_a_marketer_sets_the_balance_and_the_reach(client, organizer):
    training.train_organizer(organizer)
    login_staff(client, staff(organizer, Role.MARKETING))

    page = client.get(URL).content.decode()
    assert 'type="range"' in page and "Dernier apprentissage" in page

    answer = client.post(URL, {"curiosity": "0.8", "reach_km": "30", "holdout_percent": "15"})

    assert answer.status_code == 302
    policy = Policy.objects.get(organizer=organizer)
    assert policy.curiosity == Decimal("0.80") and policy.reach_km == 30 and policy.holdout_percent == 15
    entry = AuditLogEntry.objects.get(action="reco.policy")
    assert entry.organizer_id == organizer.pk
    assert entry.after == {"curiosity": "0.8", "reach_km": 30, "holdout_percent": 15}


def test_out_of_range_is_refused_and_nothing_saved(client, organizer):
    login_staff(client, staff(organizer, Role.MARKETING))

    answer = client.post(URL, {"curiosity": "1.5", "reach_km": "-3", "holdout_percent": "60"})

    assert answer.status_code == 400
    assert answer.content.decode().count('aria-invalid="true"') == 3
    assert not Policy.objects.exists()


@pytest.mark.parametrize("role", [Role.READ_ONLY, Role.BOX_OFFICE])
def test_other_roles_and_other_organizers_cannot(client, organizer, role):
    login_staff(client, staff(organizer, role))
    assert client.post(URL, {"curiosity": "0.1", "reach_km": "10"}).status_code in (403, 404)
    other = OrganizerFactory(slug="club-b")
    client.logout()
    login_staff(client, staff(other, Role.ADMINISTRATOR))
    assert client.get(URL).status_code in (403, 404)
    assert not Policy.objects.exists()
