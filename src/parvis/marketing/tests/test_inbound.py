"""What comes back to a campaign's addresses, read from a real Maildir by `parvis mail_inbound`: a
delivery status notification suppresses the address and marks the row bounced; a feedback report
(complaint) suppresses it and withdraws the consent; a message to the unsubscribe address withdraws the
consent; a temporary failure changes nothing (issue 22)."""

import base64
import json
import mailbox

import pytest
from django.core.management import call_command
from django.utils import timezone

from parvis.core.models import MailBounce
from parvis.crm.models import Consent, Purpose
from parvis.crm.selectors import consent_state
from parvis.marketing import audience, delivery, links
from parvis.marketing.models import Campaign, Recipient, Suppression
from parvis.testing import login_staff, staff

from .factories import campaign, person

pytestmark = pytest.mark.django_db

DSN = """From: MAILER-DAEMON@mx.example.org
To: bounce+{token}@club.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; {address}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {code} mailbox status

--B--
"""

ARF = """From: fbl@provider.example
To: abuse@club.example
Subject: FW: complaint
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an abuse report.

--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: Provider-FBL/1.0
Version: 1

--F
Content-Type: text/rfc822-headers

From: Club A <lettre@club.example>
Message-ID: {message_id}
Subject: =?utf-8?q?D=C3=A9cembre?=

--F--
"""


def _sent(organizer, *addresses):
    for address in addresses:
        person(organizer, address)
    letter = campaign(organizer)
    audience.freeze(letter)
    Campaign.objects.filter(pk=letter.pk).update(state=Campaign.State.SENDING)
    delivery.part_send(letter, 0)
    return {r.address: r for r in Recipient.objects.filter(campaign=letter)}


def test_bounces_complaints_and_mailto_unsubscribes_from_a_maildir(organizer, tmp_path):
    rows = _sent(
        organizer, "gone@example.org", "angry@example.org", "leaving@example.org", "busy@example.org"
    )
    box = mailbox.Maildir(tmp_path / "retours", create=True)
    gone = rows["gone@example.org"]
    box.add(
        DSN.format(
            token=links.token_of(gone.pk), address=gone.address, action="failed", status="5.1.1", code=550
        )
    )
    busy = rows["busy@example.org"]
    box.add(
        DSN.format(
            token=links.token_of(busy.pk), address=busy.address, action="delayed", status="4.2.2", code=452
        )
    )
    angry = rows["angry@example.org"]
    box.add(ARF.format(message_id=angry.message_id))  # a feedback loop: no token, the Message-ID
    leaving = rows["leaving@example.org"]
    box.add(
        f"From: leaving@example.org\nTo: unsubscribe+{links.token_of(leaving.pk)}@club.example\n"
        "Subject: unsubscribe\n\nunsubscribe\n"
    )
    box.add("From: someone@example.org\nTo: bounce+forged.x@club.example\nSubject: hello\n\nhello\n")

    call_command("mail_inbound", "--maildir", str(tmp_path / "retours"))

    assert len(box) == 0  # each message handled is removed
    gone.refresh_from_db()
    assert gone.state == Recipient.State.BOUNCED
    assert Suppression.objects.get(address="gone@example.org").reason == Suppression.Reason.HARD_BOUNCE
    assert MailBounce.objects.filter(address="gone@example.org").exists()  # shown on the profile
    assert Suppression.objects.get(address="angry@example.org").reason == Suppression.Reason.COMPLAINT
    for row, proof_key in ((angry, "complaint"), (leaving, "via")):
        state = consent_state(row.contact, Purpose.ORGANIZER_NEWSLETTER)
        assert (
            state.given is False and state.source == Consent.Source.UNSUBSCRIBE and proof_key in state.proof
        )
    assert not Suppression.objects.filter(address__in=["busy@example.org", "leaving@example.org"]).exists()
    assert consent_state(busy.contact, Purpose.ORGANIZER_NEWSLETTER).given is True
    assert sorted(a.address for a in audience.people(campaign(organizer, name="Suivante"))) == [
        "busy@example.org"
    ]


def _postmark(client, payload, password="webhook-secret"):  # noqa: S107 - the tests' own
    auth = base64.b64encode(f"provider:{password}".encode()).decode()
    return client.post(
        "/retours/fournisseur/postmark/tracking/",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )


def test_a_providers_webhooks_suppress_bounced_and_complaining_addresses(organizer, client):
    rows = _sent(organizer, "gone@example.org", "angry@example.org")
    bounce = {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "TypeCode": 1,
        "ID": 42,
        "MessageID": "pm-1",
        "Email": "Gone@example.org",
        "BouncedAt": "2026-12-06T10:00:00Z",
        "Description": "Unknown user",
    }
    assert _postmark(client, bounce, password="wrong").status_code == 400
    assert not Suppression.objects.exists()
    assert _postmark(client, bounce).status_code == 200
    assert Suppression.objects.get(address="gone@example.org").reason == Suppression.Reason.HARD_BOUNCE
    assert Recipient.objects.get(pk=rows["gone@example.org"].pk).state == Recipient.State.BOUNCED

    complaint = {
        "RecordType": "SpamComplaint",
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "ID": 43,
        "MessageID": "pm-2",
        "Email": "angry@example.org",
        "BouncedAt": "2026-12-06T11:00:00Z",
    }
    assert _postmark(client, complaint).status_code == 200
    assert Suppression.objects.get(address="angry@example.org").reason == Suppression.Reason.COMPLAINT
    state = consent_state(rows["angry@example.org"].contact, Purpose.ORGANIZER_NEWSLETTER)
    assert state.given is False and state.proof["via"] == "Postmark"


def test_the_contacts_page_says_its_address_gets_no_more_campaigns(organizer, client):
    rows = _sent(organizer, "angry@example.org")
    Suppression.objects.create(
        address="angry@example.org", reason=Suppression.Reason.COMPLAINT, at=timezone.now()
    )
    login_staff(client, staff(organizer, "marketing"))
    page = client.get(
        f"/staff/o/{organizer.slug}/publics/{rows['angry@example.org'].contact_id}/"
    ).content.decode()
    assert "angry@example.org ne reçoit plus de campagnes : signalé comme indésirable" in page
