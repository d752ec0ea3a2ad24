"""Accreditation end to end at the service level: apply (acknowledged by e-mail through a real SMTP
server), review (approve, refuse with a reason, ask for more), pay the fee through an order (its invoice
made out to the company), receive the badge (PDF whose QR code the door reads), groups of badges; the
door's rules for badges by area and day; the CRM's record."""

import datetime
import uuid
from decimal import Decimal

import pypdfium2
import pytest
import zxingcpp
from django.test import override_settings
from django.utils import timezone

from parvis.checkin import services as door
from parvis.checkin.models import CheckinList
from parvis.core.models import AuditLogEntry
from parvis.core.tests.smtp import Sink
from parvis.crm.models import Affiliation, Consent, Interaction
from parvis.market import accreditation, badges, documents, sessions
from parvis.market.accreditation import MarketError
from parvis.market.models import Access, Participant
from parvis.network.models import Role
from parvis.testing import staff
from parvis.ticketing import invoicing
from parvis.ticketing.services import checkout

from .factories import category, market, participant

pytestmark = pytest.mark.django_db

APPLICATION = {
    "first_name": "Inès",
    "last_name": "Moreau",
    "email": "Ines.Moreau@Studio.example",
    "organisation_name": "Studio Lumen",
    "role": "Productrice",
    "siret": "73282932000074",
    "vat_number": "FR40732829320",
    "billing_address": "3 rue des Ateliers\n13003 Marseille",
    "interests": "réalité virtuelle, installations",
    "in_directory": True,
    "share_with_exhibitors": True,
}


def _pdf_text(data: bytes) -> str:
    return pypdfium2.PdfDocument(data)[0].get_textpage().get_text_range()


def _qr(data: bytes) -> str:
    image = pypdfium2.PdfDocument(data)[0].render(scale=3).to_pil()
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)[0].text


def test_a_professional_applies_is_approved_pays_and_gets_a_badge_the_door_reads(
    django_capture_on_commit_callbacks,
):
    fair = market()
    pro = category(fair, fee="90.00", colour="#b91c1c", asks_proof=False)
    reviewer = staff(fair.organizer, Role.ADMINISTRATOR)
    with Sink() as sink, override_settings(**sink.email_settings()):
        with django_capture_on_commit_callbacks(execute=True):
            applicant = accreditation.apply(market=fair, category=pro, data=APPLICATION)
        assert applicant.state == "applied" and applicant.email == "ines.moreau@studio.example"
        assert "Demande d'accréditation reçue" in sink.subjects()[0]
        with django_capture_on_commit_callbacks(execute=True):
            accreditation.review(actor=reviewer, participant=applicant, decision="approve")
        applicant.refresh_from_db()
        assert applicant.state == "approved"
        with django_capture_on_commit_callbacks(execute=True):
            order = accreditation.fee_order_place(participant=applicant, provider_code="demo")
            checkout.payment_confirm(payment_id=order.payments.get().pk)
        applicant.refresh_from_db()
        assert (
            applicant.state == "accredited" and applicant.order == order and order.total == Decimal("90.00")
        )
        subjects = sink.subjects()
        assert any("il reste à la régler" in s for s in subjects)
        badge_mail = sink.messages[next(i for i, s in enumerate(subjects) if "Votre badge" in s)]
    attachment = next(
        part for part in badge_mail.walk() if part.get_filename() == f"badge-{applicant.code}.pdf"
    )
    pdf = attachment.get_payload(decode=True)
    text = _pdf_text(pdf)
    assert "Inès" in text and "Studio Lumen" in text and "PROFESSIONNEL" in text
    secret = _qr(pdf)
    assert secret == badges.badge_secret(applicant)
    # The invoice is made out to the company (B2B).
    invoice = invoicing.invoice_for(order)
    assert invoice.buyer["company"] == "Studio Lumen" and invoice.buyer["siret"] == "73282932000074"
    assert "FR40732829320" in _pdf_text(invoicing.invoice_pdf(invoice))
    # The CRM knows the person, their organisation, their consents and each step.
    assert Affiliation.objects.get(contact=applicant.contact).organisation.name == "Studio Lumen"
    assert set(Consent.objects.filter(contact=applicant.contact).values_list("purpose", flat=True)) == {
        "market_directory",
        "market_leads",
    }
    steps = Interaction.objects.filter(contact=applicant.contact, kind="market").values_list(
        "summary", flat=True
    )
    assert any("payée" in s for s in steps) and len(steps) >= 3
    assert AuditLogEntry.objects.filter(action="market.approve", actor=reviewer).exists()


def test_a_refusal_needs_a_reason_and_a_request_for_more_sends_the_application_back():
    fair = market()
    press = category(fair, kind="press", asks_proof=True)
    with pytest.raises(MarketError, match="justificatif"):
        accreditation.apply(market=fair, category=press, data=APPLICATION)
    applicant = accreditation.apply(
        market=fair, category=press, data={**APPLICATION, "proof_url": "https://x.example/carte"}
    )
    with pytest.raises(MarketError):
        accreditation.apply(
            market=fair, category=press, data={**APPLICATION, "proof_url": "https://x.example/c"}
        )
    with pytest.raises(MarketError, match="pourquoi"):
        accreditation.review(actor=None, participant=applicant, decision="refuse")
    accreditation.review(actor=None, participant=applicant, decision="more_info", message="Carte de presse ?")
    applicant.refresh_from_db()
    assert applicant.state == "more_info" and applicant.staff_message == "Carte de presse ?"
    accreditation.complete(participant=applicant, data={"proof_url": "https://x.example/carte-2026"})
    assert Participant.objects.get(pk=applicant.pk).state == "applied"
    accreditation.review(
        actor=None, participant=applicant, decision="refuse", message="Hors du champ du marché."
    )
    assert Participant.objects.get(pk=applicant.pk).state == "refused"
    with pytest.raises(MarketError, match="déjà reçu"):
        accreditation.review(actor=None, participant=applicant, decision="approve")
    # Free categories are accredited at once on approval.
    student = category(fair, kind="student", asks_organisation=False, asks_role=False)
    other = accreditation.apply(market=fair, category=student, data={**APPLICATION, "email": "e@etu.example"})
    accreditation.review(actor=None, participant=other, decision="approve")
    assert Participant.objects.get(pk=other.pk).state == "accredited"


def test_a_company_buys_badges_and_names_as_many_people_as_it_paid_for():
    fair = market()
    pro = category(fair, fee="60.00")
    pack = accreditation.pack_order_place(
        category=pro,
        data={"organisation_name": "Collectif Réseau", "email": "achats@reseau.example"},
        quantity=2,
        provider_code="demo",
    )
    with pytest.raises(MarketError, match="pas encore payé"):
        accreditation.pack_name(pack=pack, data={"first_name": "A", "last_name": "B", "email": "a@r.example"})
    assert pack.order.total == Decimal("120.00")
    checkout.payment_confirm(payment_id=pack.order.payments.get().pk)
    for n in range(2):
        named = accreditation.pack_name(
            pack=pack, data={"first_name": f"N{n}", "last_name": "R", "email": f"{n}@r.example"}
        )
        assert named.accredited and named.organisation_name == "Collectif Réseau"
    with pytest.raises(MarketError, match="Tous les badges"):
        accreditation.pack_name(pack=pack, data={"first_name": "C", "last_name": "R", "email": "c@r.example"})


def _door(fair, *areas):
    checkin_list = CheckinList.objects.create(organizer=fair.organizer, name="Marché", areas=list(areas))
    device, _token = door.device_create(organizer=fair.organizer, name="Entrée Friche")
    return checkin_list, device


def _scan(checkin_list, device, secret, at=None):
    return door.redeem(
        device=device, checkin_list=checkin_list, nonce=uuid.uuid4().hex, secret=secret, scanned_at=at
    )


def test_the_door_admits_a_badge_in_the_areas_of_its_category_on_the_market_days_only():
    fair = market(days_ahead=0, length=2)
    pro = category(fair, access=[Access.MARKET])
    student = category(fair, kind="student", access=[Access.SESSIONS])
    holder, learner = participant(fair, pro, 1), participant(fair, student, 2)
    checkin_list, device = _door(fair, badges.area_code(fair.pk, Access.MARKET))
    verdict = _scan(checkin_list, device, badges.badge_secret(holder))
    assert verdict.accepted and verdict.scan.code_ref == f"badge:{holder.pk}"
    assert verdict.extra["holder"]["organisation"] == "Société 1"
    again = _scan(checkin_list, device, badges.badge_secret(holder))  # professionals come and go
    assert again.accepted
    refused = _scan(checkin_list, device, badges.badge_secret(learner))
    assert not refused.accepted and refused.reason == "badge_area"
    assert str(refused.scan.reason_label) == "Cette catégorie de badge n'entre pas ici"
    old = badges.badge_secret(holder)
    accreditation.cancel(actor=None, participant=holder)
    assert _scan(checkin_list, device, old).reason == "badge_revoked"
    before = timezone.now() - datetime.timedelta(days=1)
    other = participant(fair, pro, 3)
    assert _scan(checkin_list, device, badges.badge_secret(other), at=before).reason == "badge_day"
    assert _scan(checkin_list, device, badges.badge_secret(other)[:-4] + "AAAA").reason == "invalid"


def test_a_session_door_lets_in_its_registered_and_its_speakers():
    fair = market(days_ahead=0, length=2)
    pro = category(fair, access=[Access.SESSIONS])
    visitor, speaker, late = (participant(fair, pro, n) for n in range(3))
    start = timezone.now() + datetime.timedelta(hours=1)
    session = sessions.session_create(
        actor=None,
        market=fair,
        title="Table ronde : l'IA et la scène",
        kind="round_table",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        capacity=1,
        speakers=[speaker],
    )
    sessions.register(session=session, participant=visitor)
    assert sessions.register(session=session, participant=late).state == "waiting"
    checkin_list, device = _door(fair)
    checkin_list.performances.add(session.performance)
    assert _scan(checkin_list, device, badges.badge_secret(visitor)).accepted
    assert _scan(checkin_list, device, badges.badge_secret(speaker)).accepted
    assert _scan(checkin_list, device, badges.badge_secret(late)).reason == "badge_area"
    # Offline, the phone knows who is registered or speaking: the same verdicts without the network.
    from parvis.checkin.selectors import offline_package

    package = offline_package(checkin_list)["codes"]["3"]
    assert package["admitted"] == sorted([visitor.pk, speaker.pk])


def test_the_offline_package_carries_the_badges_a_device_may_let_in():
    fair = market(days_ahead=0)
    pro = category(fair, access=[Access.MARKET])
    holder = participant(fair, pro, 1)
    participant(fair, pro, 2, state="refused")
    gone = participant(fair, pro, 3)
    accreditation.cancel(actor=None, participant=gone)
    checkin_list, _device = _door(fair, badges.area_code(fair.pk, Access.MARKET))
    from parvis.checkin.selectors import offline_package

    package = offline_package(checkin_list)["codes"]["3"]
    assert list(package["badges"]) == [str(holder.pk)]
    assert package["revoked"] == [gone.pk]  # refused offline as cancelled, like online
    assert package["markets"][str(fair.pk)]["categories"] == {
        str(pro.pk): {"name": pro.name, "colour": pro.colour}
    }


def test_the_badge_pdf_shows_the_category_colour_band_and_what_it_opens():
    fair = market()
    pro = category(fair, access=[Access.MARKET, Access.SHOWCASES])
    text = _pdf_text(documents.badge_pdf(participant(fair, pro, 4)))
    assert "Showcases" in text and "Nom4" in text


def test_a_proof_document_is_kept_private_and_read_only_by_the_reviewers(client):
    from pathlib import Path

    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from parvis.testing import login_staff

    fair = market()
    press = category(fair, kind="press", asks_proof=True)
    url = f"/o/{fair.organizer.slug}/marche/{fair.slug}/accreditation/{press.pk}/"
    fields = {k: v for k, v in APPLICATION.items() if not isinstance(v, bool)} | {"in_directory": "on"}
    card = b"%PDF-1.4\n% press card of Ines Moreau\n"
    # Neither a link nor a document: asked again, nothing kept.
    assert "Donnez un lien ou joignez un document" in client.post(url, fields).content.decode()
    # A text file named .pdf is refused by what it is, not by its name.
    fake = SimpleUploadedFile("carte.pdf", b"not a pdf at all", content_type="application/pdf")
    refused = client.post(url, {**fields, "proof_file": fake})
    assert refused.status_code == 400 and "Seuls les documents PDF" in refused.content.decode()
    assert not Participant.objects.exists()
    upload = SimpleUploadedFile("carte de presse.pdf", card, content_type="application/pdf")
    sent = client.post(url, {**fields, "proof_file": upload})
    applicant = Participant.objects.get()
    assert sent.status_code == 302 and applicant.proof_url == ""
    stored = Path(applicant.proof_file.path)
    assert stored.read_bytes() == card and stored.is_relative_to(settings.PRIVATE_TEST_ROOT)
    assert not stored.is_relative_to(settings.MEDIA_ROOT)  # never under the public media

    proof = f"/staff/o/{fair.organizer.slug}/marche/{fair.slug}/candidatures/{applicant.code}/justificatif/"
    reviewer, reader = Client(), Client()
    login_staff(reviewer, staff(fair.organizer, Role.PROGRAMMING))
    login_staff(reader, staff(fair.organizer, Role.READ_ONLY))
    page = reviewer.get(proof.removesuffix("justificatif/")).content.decode()
    assert 'data-testid="proof-file"' in page
    got = reviewer.get(proof)
    assert got.status_code == 200 and b"".join(got.streaming_content) == card
    assert got["Content-Type"] == "application/pdf" and got["X-Content-Type-Options"] == "nosniff"
    assert got["Content-Disposition"].startswith("attachment")
    assert reader.get(proof).status_code == 403  # reads the market, not its applicants' documents
    assert Client().get(proof).status_code == 302  # to the sign-in page
    other = market(slug="autre")
    assert reviewer.get(proof.replace(f"/{fair.slug}/", f"/{other.slug}/")).status_code in (403, 404)


def test_a_badge_photo_is_private_shown_to_the_team_and_printed_on_the_badge():
    import io
    from pathlib import Path

    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from PIL import Image

    from parvis.testing import login_staff

    fair = market()
    artist = category(fair, kind="artist", asks_photo=True)
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 30, 30)).save(buffer, "PNG")
    face = buffer.getvalue()
    applicant = accreditation.apply(
        market=fair, category=artist, data=APPLICATION,
        photo=SimpleUploadedFile("ines-moreau.png", face, content_type="image/png"),
    )  # fmt: skip
    stored = Path(applicant.photo.path)
    assert stored.read_bytes() == face and stored.is_relative_to(settings.PRIVATE_TEST_ROOT)
    assert not stored.is_relative_to(settings.MEDIA_ROOT) and stored.parent.name != "2026"  # a random folder

    base = f"/staff/o/{fair.organizer.slug}/marche/{fair.slug}/candidatures/{applicant.code}/"
    reader = Client()
    login_staff(reader, staff(fair.organizer, Role.READ_ONLY))
    page = reader.get(base).content.decode()
    assert f'src="{base}photo/"' in page and "/media/" not in page
    got = reader.get(base + "photo/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == face
    assert got["Content-Type"] == "image/png" and got["Cache-Control"] == "private, no-store"
    assert Client().get(base + "photo/").status_code == 302  # to the sign-in page
    stranger = Client()
    login_staff(
        stranger, staff(market(slug="ailleurs").organizer, Role.ADMINISTRATOR, username="x@y.example")
    )
    assert stranger.get(base + "photo/").status_code in (403, 404)

    applicant.state = Participant.State.ACCREDITED
    pdf = pypdfium2.PdfDocument(documents.badge_pdf(applicant))
    images = [o for o in pdf[0].get_objects() if o.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE]
    assert len(images) == 1  # the photo (the QR code is drawn, not an image)
    applicant.photo = ""
    pdf = pypdfium2.PdfDocument(documents.badge_pdf(applicant))
    assert not [o for o in pdf[0].get_objects() if o.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE]


def test_an_erasure_reaches_the_accreditation_its_files_and_a_group_leaders_booking(client):
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    from parvis.crm.privacy import contact_erase, personal_data
    from parvis.groups.models import GroupBooking
    from parvis.groups.tests.test_bookings import _ask, _offer

    fair = market()
    press = category(fair, kind="press", asks_proof=True)
    proof = SimpleUploadedFile("carte.pdf", b"%PDF-1.4 carte", content_type="application/pdf")
    applicant = accreditation.apply(
        market=fair, category=press, data={**APPLICATION, "phone": "0600000000"}, proof_file=proof
    )
    stored = Path(applicant.proof_file.path)
    exported = personal_data(applicant.contact)
    assert exported["market_accreditations"][0]["email"] == "ines.moreau@studio.example"
    assert stored.exists()
    contact_erase(contact=applicant.contact)
    applicant.refresh_from_db()
    assert (applicant.first_name, applicant.email, applicant.phone, applicant.organisation_name) == (
        "[effacé]", "", "", "Studio Lumen"  # the company is not the person
    )  # fmt: skip
    assert not applicant.proof_file and not stored.exists() and not applicant.in_directory

    offer, (performance, _second) = _offer()
    _ask(client, offer, performance, leader_phone="0611111111")
    booking = GroupBooking.objects.get()
    assert personal_data(booking.contact)["group_bookings"][0]["phone"] == "0611111111"
    contact_erase(contact=booking.contact)
    booking.refresh_from_db()
    assert (booking.leader_name, booking.leader_email, booking.leader_phone) == ("[effacé]", "", "")
    assert booking.establishment_name == "École élémentaire des Tilleuls"  # the school is no person
