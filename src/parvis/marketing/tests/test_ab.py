"""The A/B test of a subject or a text: a sample gets A or B, the rest waits; when the test's time is up,
the version that did better (more than chance) goes to the rest, else the original; nobody gets both (issue
22)."""

import pytest
from django.core import mail
from django.utils import timezone

from parvis.marketing import ab, audience, delivery, tasks
from parvis.marketing.models import Campaign, Click, Recipient

from .factories import campaign, person

pytestmark = pytest.mark.django_db


def _start(organizer, n=200, **fields):
    for i in range(n):
        person(organizer, f"p{i:03d}@example.org", first=f"P{i}")
    letter = campaign(
        organizer,
        **{"ab_percent": 40, "ab_subject_fr": "Objet B, {{ prenom | amis }}", "ab_hours": 2, **fields},
    )
    audience.freeze(letter)
    Campaign.objects.filter(pk=letter.pk).update(state=Campaign.State.SENDING, send_at=timezone.now())
    letter.refresh_from_db()
    mail.outbox.clear()
    delivery.part_send(letter, 0)
    return letter


def test_the_sample_gets_a_or_b_the_rest_waits_then_gets_the_winner(organizer):
    letter = _start(organizer)
    rows = Recipient.objects.filter(campaign=letter)
    a, b = rows.filter(variant="a", state="sent"), rows.filter(variant="b", state="sent")
    waiting = rows.filter(state=Recipient.State.WAITING)
    assert 40 <= a.count() + b.count() <= 120 and a.count() and b.count()
    assert a.count() + b.count() + waiting.count() == 200
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert all(subjects[r.address].startswith("Objet B, P") for r in b)
    assert all(subjects[r.address].startswith("Décembre au club") for r in a)
    letter.refresh_from_db()
    assert letter.state == Campaign.State.SENDING  # the rest waits for the result

    # B's subject is opened and clicked far more: it wins, and goes to everyone who waited.
    Click.objects.bulk_create(
        [Click(campaign=letter, link="l0", at=timezone.now(), variant="b") for _row in b]
        + [Click(campaign=letter, link="l0", at=timezone.now(), variant="a") for _row in range(2)]
    )
    waited = set(waiting.values_list("address", flat=True))
    mail.outbox.clear()
    tasks.campaign_ab_decide.call(campaign_id=letter.pk)
    letter.refresh_from_db()
    assert letter.ab_winner == "b" and letter.ab_note.startswith("B l'emporte")
    delivery.part_send(letter, 0)  # (the decision enqueued the senders; the tests' backend runs them)
    assert {m.to[0] for m in mail.outbox} == waited
    assert all(m.subject.startswith("Objet B") for m in mail.outbox)
    letter.refresh_from_db()
    assert letter.state == Campaign.State.SENT
    tasks.campaign_ab_decide.call(campaign_id=letter.pk)  # a run again changes nothing
    assert Recipient.objects.filter(campaign=letter, state="sent").count() == 200


def test_a_difference_that_may_be_chance_keeps_the_original_subject(organizer):
    letter = _start(organizer, n=60)
    Click.objects.create(campaign=letter, link="l0", at=timezone.now(), variant="b")
    winner, note = ab.decide(letter)
    assert winner == "a" and note.startswith("Écart non significatif")


def test_the_p_value_of_two_proportions():
    assert ab.p_value(ab.Arm(100, 10), ab.Arm(100, 10)) == pytest.approx(1.0)
    assert ab.p_value(ab.Arm(1000, 100), ab.Arm(1000, 150)) == pytest.approx(0.00072, abs=0.0001)
    assert ab.p_value(ab.Arm(0, 0), ab.Arm(10, 5)) == 1.0


def _bodies(message) -> tuple[str, str]:
    return message.body, message.alternatives[0][0]


def test_a_test_of_the_text_gives_b_its_own_first_text_in_both_parts_and_languages(organizer):
    person(organizer, "en@example.org", first="Jo", language="en")
    letter = _start(
        organizer,
        n=100,
        ab_subject_fr="",
        ab_text_fr=(
            "<p>Version B pour {{ prenom | vous }} : <script>x</script><strong>trois places</strong></p>"
        ),
        ab_text_en="<p>Version B for {{ first_name | you }}</p>",
    )
    rows = {r.address: r for r in Recipient.objects.filter(campaign=letter, state="sent")}
    sent = {m.to[0]: m for m in mail.outbox}
    assert set(sent) == set(rows)
    b = [address for address, row in rows.items() if row.variant == "b"]
    a = [address for address, row in rows.items() if row.variant == "a"]
    assert a and b
    for address in b:
        text, page = _bodies(sent[address])
        if address == "en@example.org":
            assert "Version B for Jo" in text and "Version B for Jo" in page
        else:
            assert "Version B pour P" in text and "<strong>trois places</strong>" in page
            assert "Bonjour P" not in text and "<script>" not in page  # replaced, and cleaned
        assert sent[address].subject.startswith(("Décembre au club", "December at the club"))  # same subject
    for address in a:
        text, page = _bodies(sent[address])
        assert "Version B" not in text + page and ("Bonjour" in text or "Hello" in text)
