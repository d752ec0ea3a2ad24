"""`parvis reco evaluate` (issue 23): the organizer's history replayed with a time split, each model and
balance side by side, as a table or JSON lines; people who refused recommendations are left out."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from parvis.crm.models import Consent, Contact, Purpose
from parvis.crm.services import consent_record
from parvis.ticketing.models import Order

from .test_event_page import _buy, _show

pytestmark = pytest.mark.django_db


def _bought(show, email, days_ago):
    before = set(Order.objects.values_list("pk", flat=True))
    _buy(show.tariffs.get(), email)
    Order.objects.exclude(pk__in=before).update(paid_at=timezone.now() - datetime.timedelta(days=days_ago))


@pytest.fixture
def replayed(organizer):
    """Five people took A and B long ago; Quinn took A long ago and B lately (to be found); Rita too,
    but she refused recommendations."""
    a, b, c = (_show(organizer, title) for title in ("A", "B", "C"))
    for n in range(5):
        _bought(a, f"p{n}@example.org", 100)
        _bought(b, f"p{n}@example.org", 100)
    for email in ("quinn@example.org", "rita@example.org"):
        _bought(a, email, 100)
        _bought(b, email, 5)
    _bought(c, "p0@example.org", 100)
    consent_record(
        contact=Contact.objects.get(email="rita@example.org"),
        purpose=Purpose.RECOMMENDATIONS,
        given=False,
        source=Consent.Source.SELF_SERVICE,
    )


def test_evaluate_prints_each_model_and_balance_as_json(organizer, replayed):
    out = io.StringIO()

    call_command("reco", "evaluate", "--organizer", organizer.slug, "--held-days", "30", "--json", stdout=out)

    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["model"], r["curiosity"]) for r in rows] == [
        ("popularity", 0.0),
        ("ease", 0.0),
        ("ease", 0.25),
        ("ease", 0.5),
        ("ease", 0.75),
    ]
    for row in rows:
        assert row["organizer"] == organizer.slug
        assert row["recall_at_20"] == 1.0  # Quinn's B is found, whatever the model (three shows only)
        assert 0 <= row["coverage"] <= 1 and 0 <= row["discovery_rate"] <= 1


def test_evaluate_as_a_table_counts_only_the_people_who_did_not_refuse(organizer, replayed):
    out = io.StringIO()

    call_command("reco", "evaluate", "--organizer", organizer.slug, "--held-days", "30", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == f"{organizer.slug} (1 people to find)"  # Quinn; not Rita
    assert "recall_at_20" in lines[1] and "discovery_rate" in lines[1]
    assert lines[2].split()[0] == "popularity" and len(lines) == 7


def test_an_unknown_organizer_is_an_error():
    with pytest.raises(CommandError, match="Structure inconnue"):
        call_command("reco", "evaluate", "--organizer", "nowhere", stdout=io.StringIO())
