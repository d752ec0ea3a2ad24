"""Importing contacts from other systems' exports: broken encodings, separators, Excel dates, bad rows."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from parvis.crm import importer, selectors
from parvis.crm.models import Contact, ImportJob, ImportMapping
from parvis.network.models import Role
from parvis.testing import OrganizerFactory, login_staff, staff
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff

pytestmark = pytest.mark.django_db

LEGACY = (
    "Prénom;Nom;Courriel;Téléphone;CP;Date de naissance;Newsletter;Catégories\r\n"
    "Hélène;Dupré;helene.dupre@example.org;06 12 34 56 78;1000;12/03/1987;oui;Abonnée, Jeune public\r\n"
    "Bruno;Lefèvre;bruno@@example;;75011;1990;non;\r\n"  # invalid e-mail
    "Chloé;Martin;chloe@example.org;;69003;31/02/1990;oui;\r\n"  # impossible date
    "Hélène;Dupré;HELENE.DUPRE@example.org;;01000;;;\r\n"  # the same person again in the file
    "Samuel;Roy;;;13001;;;\r\n"  # neither e-mail nor phone
    "Inès;Faure;ines@example.org;;33000;32874;peut-être;\r\n"  # Excel serial date, unknown yes/no
    ";;;;;;;\r\n"  # an empty line
    "Zoé;Lambert;zoe@example.org;+44 20 7946 0958;;1899;;\r\n"  # a birth year too old
    "Noé;Girard;noe@example.org;0033 6 98 76 54 32;44000;1975-06-01;1;\r\n"
)


def _latin1_with_bom() -> bytes:
    return b"\xef\xbb\xbf" + LEGACY.encode("cp1252")


def _job(organizer, raw: bytes, name="export.csv"):
    return importer.job_create(organizer=organizer, actor=None, filename=name, raw=raw)


def test_a_latin1_file_with_a_bom_and_semicolons_is_read_and_mapped():
    job = _job(OrganizerFactory(), _latin1_with_bom())
    assert job.headers[0] == "Prénom" and job.total == 9
    assert job.mapping == {
        "0": "first_name",
        "1": "last_name",
        "2": "email",
        "3": "phone",
        "4": "postal_code",
        "5": "birth_year",
        "6": "newsletter",
        "7": "tags",
    }
    preview = importer.preview(job, limit=3)
    assert preview[0]["values"][0] == "Hélène" and not preview[0]["errors"]
    assert [e[2] for e in preview[1]["errors"]] == ["invalid_email"]


def test_bad_rows_are_reported_one_by_one_and_good_ones_imported():
    organizer = OrganizerFactory()
    job = importer.run(_job(organizer, _latin1_with_bom()))
    reasons = {(e["row"], e["reason"]) for e in job.errors}
    assert reasons == {
        (3, "invalid_email"),
        (4, "impossible_date"),
        (5, "duplicate_in_file"),
        (6, "no_identifier"),
        (7, "unknown_value"),
        (8, "empty_row"),
        (9, "impossible_date"),
    }
    assert (job.created_count, job.updated_count, job.unchanged_count) == (2, 0, 0)
    helene = Contact.objects.get(email="helene.dupre@example.org")
    assert (helene.first_name, helene.phone, helene.postal_code, helene.departement, helene.birth_year) == (
        "Hélène",
        "+33612345678",
        "01000",
        "01",
        1987,
    )
    assert set(helene.tags.values_list("name", flat=True)) == {"Abonnée", "Jeune public"}
    assert selectors.can_message(helene, "organizer_newsletter")
    assert helene.consents.get().source == "import"
    noe = Contact.objects.get(email="noe@example.org")
    assert (noe.phone, noe.birth_year) == ("+33698765432", 1975)
    assert helene.interactions.filter(kind="import").count() == 1
    report = importer.error_report(job)
    assert report.startswith("\ufeffLigne;Motif;Prénom")
    rows = list(csv.reader(io.StringIO(report.lstrip("\ufeff")), delimiter=";"))
    assert (
        len(rows) == 1 + 7 and rows[1][0] == "3" and "bruno@@example" in rows[1][1] and rows[1][2] == "Bruno"
    )
    assert "Chloé" in report  # nothing lost: every bad row comes back with its original values


def test_running_the_same_file_again_changes_nothing_and_reuses_the_mapping():
    organizer = OrganizerFactory()
    first = importer.run(_job(organizer, _latin1_with_bom()))
    custom = dict(first.mapping)
    custom.pop("7")  # the user chose not to import the categories
    ImportJob.objects.filter(pk=first.pk).update(mapping=custom)
    first.refresh_from_db()
    importer.remember_mapping(first)
    again = _job(organizer, _latin1_with_bom())
    assert again.mapping == custom  # remembered for this layout
    again = importer.run(again)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    assert Contact.objects.count() == 2
    assert ImportMapping.objects.count() == 1


def test_known_people_are_completed_not_duplicated():
    performance = on_sale_performance()
    order = buy(tariff(performance), 1)  # Ana Lima, ana@example.org, no phone
    raw = b"email,telephone,ville\nANA@example.org,0612345678,Lyon\n"
    job = importer.run(_job(performance.organizer, raw))
    assert (job.created_count, job.updated_count) == (0, 1)
    contact = Contact.objects.get()
    assert contact == order.contact and contact.phone == "+33612345678" and contact.town == "Lyon"
    assert contact.identifiers.filter(kind="phone").exists()


def test_xlsx_with_real_excel_dates():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["First name", "Last name", "E-mail", "Birthdate", "Language"])
    sheet.append(["Maya", "Klein", "maya@example.org", datetime.datetime(1992, 5, 17), "English"])
    sheet.append(["Tom", "Berg", "tom@example.org", 1985, "klingon"])
    buffer = io.BytesIO()
    book.save(buffer)
    job = importer.run(_job(OrganizerFactory(), buffer.getvalue(), name="contacts.xlsx"))
    assert job.created_count == 1 and [e["reason"] for e in job.errors] == ["unknown_value"]
    maya = Contact.objects.get()
    assert (maya.birth_year, maya.language) == (1992, "en")


def test_a_corrupt_xlsx_is_refused_cleanly(client):
    organizer = OrganizerFactory()
    login_staff(client, staff(organizer, Role.MARKETING))
    upload = SimpleUploadedFile("contacts.xlsx", b"PK\x03\x04 not really a workbook")
    response = client.post(f"/staff/o/{organizer.slug}/publics/import/", {"file": upload})
    assert response.status_code == 200 and "Fichier illisible" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_fifty_thousand_rows_with_errors_sprinkled():
    lines = ["email;prenom;nom;cp"]
    for i in range(50_000):
        email = f"p{i}@example.org" if i % 1000 else f"broken{i}@"
        lines.append(f"{email};Prénom{i};Nom{i};{75000 + i % 20:05d}")
    job = importer.run(_job(OrganizerFactory(), "\n".join(lines).encode("cp1252")))
    assert job.created_count == 49_950 and len(job.errors) == 50
    assert Contact.objects.count() == 49_950


def test_staff_upload_map_run_and_download_errors(client):
    organizer = OrganizerFactory()
    login_staff(client, staff(organizer, Role.MARKETING))
    upload = SimpleUploadedFile("ancien-logiciel.csv", _latin1_with_bom())
    response = client.post(f"/staff/o/{organizer.slug}/publics/import/", {"file": upload})
    job = ImportJob.objects.get()
    url = f"/staff/o/{organizer.slug}/publics/import/{job.pk}/"
    assert response["Location"] == url
    page = client.get(url).content.decode()
    assert "Hélène" in page and "E-mail invalide" in page  # the preview shows the first rows, checked
    mapping = {f"column-{i}": field for i, field in job.mapping.items()}
    client.post(
        url, {**mapping, "column-2": "", "column-3": "", "action": "run"}
    )  # no e-mail nor phone: refused
    assert ImportJob.objects.get().state == "mapping"
    client.post(url, {**mapping, "action": "run"})
    job.refresh_from_db()
    assert job.state == "done" and job.created_count == 2
    done = client.get(url).content.decode()
    assert 'id="import-created">2<' in done
    report = client.get(f"{url}erreurs.csv")
    assert report["Content-Type"].startswith("text/csv") and "bruno@@example" in report.content.decode()
    # Other organizers and roles without the right see nothing.
    login_staff(client, staff(organizer, Role.READ_ONLY))
    assert client.get(url).status_code == 403
    login_staff(client, staff(OrganizerFactory(), Role.ADMINISTRATOR))
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("name", ["contacts.csv", "contacts.xlsx"])
def test_an_erased_person_leaves_the_imported_files_and_the_others_stay(name):
    from parvis.crm import privacy

    organizer = OrganizerFactory()
    rows = [
        ["email", "prénom", "nom", "téléphone"],
        ["zoe.martin@example.org", "Zoé", "Martin", "06 12 34 56 78"],
        ["not-an-address", "Paul", "Durand", ""],
        ["lea@example.org", "Léa", "Petit", ""],
    ]
    if name.endswith(".xlsx"):
        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)
        out = io.BytesIO()
        book.save(out)
        raw = out.getvalue()
    else:
        raw = "\n".join(";".join(r) for r in rows).encode()
    job = importer.run(_job(organizer, raw, name=name))
    assert job.created_count == 2 and len(job.errors) == 1
    zoe = Contact.objects.get(organizer=organizer, email="zoe.martin@example.org")
    privacy.contact_erase(contact=zoe)
    job.refresh_from_db()
    _headers, kept = importer.read_table(bytes(job.content), job.filename)
    kept = [[importer._text(c) for c in r] for r in kept]
    flat = " ".join(" ".join(r) for r in kept)
    assert "zoe" not in flat.lower() and "Martin" not in flat and "56 78" not in flat
    assert "lea@example.org" in flat and "Paul" in flat
    report = importer.error_report(job)
    assert "not-an-address" in report.replace("\ufeff", "")
    assert len(kept) == 3  # the rows keep their numbers
