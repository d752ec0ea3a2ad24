import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db import models

from parvis.crm import network_suggestions
from parvis.demo.builder import build_demo
from parvis.marketing import journeys
from parvis.marketing.models import Campaign, Journey, Recipient
from parvis.network.models import Network, Organizer, OrganizerStaff, Role, Venue
from parvis.programming.models import Event, Festival, Performance
from parvis.recommendations.models import Neighbour

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Network.objects.count(),
        Organizer.objects.count(),
        Venue.objects.count(),
        Event.objects.count(),
        Performance.objects.count(),
        OrganizerStaff.objects.count(),
    )


def test_demo_builds_the_network_and_twice_duplicates_nothing(capsys):
    call_command("demo")
    first = _counts()
    out = capsys.readouterr().out
    assert "parvis-demo-2026" in out and "administrator@theatre-du-parvis.example" in out

    jazz = Network.objects.get(slug="jazz-idf")
    clubs = Organizer.objects.filter(network_memberships__network=jazz, venues__slug="club")
    assert clubs.count() == 25
    festival = Festival.objects.get(network=jazz)
    festival_perfs = Performance.objects.filter(event__festivals=festival)
    assert festival_perfs.count() == 180
    assert festival_perfs.values("venue").distinct().count() == 25
    assert (festival.ends_on - festival.starts_on).days == 13
    assert Venue.objects.filter(town__in=["Marseille", "Aix-en-Provence"]).count() == 2
    theatre_roles = set(
        OrganizerStaff.objects.filter(organizer__slug="theatre-du-parvis").values_list("role", flat=True)
    )
    assert theatre_roles == set(Role.values)

    call_command("demo")
    assert _counts() == first
    from parvis.ticketing.models import Order, Quota

    # 7 ticket orders, 2 festival passes and the 4 concerts booked with them, 2 museum memberships,
    # a theatre subscription, a concert sold by the association on behalf of a club, a gift voucher and the
    # evening paid with it; the 7 theatre regulars whose choices the recommendations learn from; and the 6
    # orders of the evening sold on the seat plan, the 3 online orders (a virtual visit, two viewers of a
    # stream; the declarations' quarter is counted on its own).
    quarter = models.Q(email__endswith="@trimestre.example") | models.Q(channel="box_office", email="")
    paid = Order.objects.filter(state="paid").exclude(email__endswith="@saison.example").exclude(quarter)
    assert paid.count() == 35
    # A season of suggestions at the theatre: its report compares those who got their own with the
    # holdout group.
    import datetime

    from django.utils import timezone

    from parvis.recommendations import report as reco_report

    theatre = Organizer.objects.get(slug="theatre-du-parvis")
    figures = reco_report.report(
        {"organizer_id": theatre.pk}, timezone.now() - datetime.timedelta(days=90), timezone.now()
    )
    assert figures["people"]["personal"] >= 10 and figures["people"]["holdout"] >= 5
    assert {row.key for row in figures["compared"]} >= {"clicked", "tickets", "new_venues"}
    # Last season's audience at the theatre: a quarter came back this season, most gave a postcode.
    from parvis.analytics import audiences
    from parvis.analytics.boards import Filters

    today = timezone.localdate()
    board = audiences.board(
        [theatre.pk],
        Filters(start=today - datetime.timedelta(days=400), end=today + datetime.timedelta(days=90)),
    )
    charts = {chart.key: chart for chart in board["charts"]}
    last = audiences.season_label(audiences.season_of(today) - 1)
    cohort = next(row for row in charts["cohorts"].rows if row[0] == last)
    assert cohort[1] >= 40 and 5 <= cohort[2] < cohort[1]
    assert len(charts["departements"].rows) >= 5
    from parvis.ticketing.models import Voucher, WaitingEntry

    assert Voucher.objects.get(source="online").balance == 22
    assert WaitingEntry.objects.filter(state="waiting").count() == 2
    agent_order = Order.objects.exclude(quarter).get(
        organizer__slug="jazz-idf-association", extras__isnull=True, state="paid"
    )
    assert agent_order.tickets.exclude(organizer=agent_order.organizer).count() == 2
    from parvis.memberships.models import Subscription

    subscription = Subscription.objects.get(state="active")
    assert subscription.order.tickets.values("performance__event").distinct().count() == 4
    from parvis.passes.models import PassEntry, PassHolding

    assert PassHolding.objects.filter(state="active").count() == 2
    entries = PassEntry.objects.filter(state="booked")
    assert entries.count() == 4 and entries.values("venue").distinct().count() == 4
    assert Performance.objects.filter(status="sold_out").count() == 2
    from parvis.memberships.models import Membership
    from parvis.memberships.services import renewal_reminders_due

    members = Membership.objects.filter(state="active")
    assert members.count() == 2 and members.values("level__program").distinct().count() == 1
    assert renewal_reminders_due() == [members.get(email="tom.nguyen@public.example").pk]
    assert not Quota.objects.filter(used__gt=models.F("capacity")).exists()


def test_demo_invitation_goes_through_the_task_backend_to_the_mailbox(django_capture_on_commit_callbacks):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo")
    invitations = [m for m in mail.outbox if m.to == ["nouvelle.recrue@theatre-du-parvis.example"]]
    assert len(invitations) == 1 and "/staff/password/" in invitations[0].body
    # The demo's buyers received their tickets too.
    # (and their passes and member cards; the concerts booked with a pass in the demo are not e-mailed),
    # the 6 buyers of seats on the plan and the 3 online buyers (their personal links) too.
    assert sum(1 for m in mail.outbox if m.to[0].endswith("@public.example")) == 24
    links = [m for m in mail.outbox if m.to == ["nora.benali@public.example"]]
    assert len(links) == 1 and "/en-ligne/" in links[0].body and not links[0].attachments


def test_the_demo_administrator_logs_in_with_the_code_demo_totp_prints(client, capsys, settings):
    from django.urls import reverse

    settings.DEBUG = True  # demo_totp is a development helper

    call_command("demo")
    capsys.readouterr()
    response = client.post(
        reverse("accounts:login"),
        {"username": "administrator@theatre-du-parvis.example", "password": "parvis-demo-2026"},
    )
    assert response["Location"].startswith(reverse("accounts:login_totp"))
    call_command("demo_totp")
    code = capsys.readouterr().out.strip()
    assert len(code) == 6 and code.isdigit()
    assert client.post(reverse("accounts:login_totp"), {"code": code}).status_code == 302
    assert client.get(reverse("staff:organizer_settings", args=["theatre-du-parvis"])).status_code == 200


def test_the_demo_shows_a_failed_job_to_the_theatre_administrators(client):
    from django_tasks_db.models import DBTaskResult

    from parvis.core.models import FailedJob
    from parvis.testing import login_staff

    call_command("demo")
    call_command("demo")
    job = FailedJob.objects.get()
    assert job.organizer.slug == "theatre-du-parvis" and job.open and "550" in job.reason
    assert DBTaskResult.objects.get(pk=job.task_id).status == "FAILED"
    admin = OrganizerStaff.objects.get(organizer=job.organizer, role=Role.ADMINISTRATOR).user
    login_staff(client, admin)
    page = client.get("/staff/o/theatre-du-parvis/taches-en-echec/")
    assert page.status_code == 200 and job.subject in page.content.decode()


def test_the_demo_network_shows_how_people_move_between_clubs():
    from parvis.crm import network_audience

    call_command("demo")
    call_command("demo")
    jazz = Network.objects.get(slug="jazz-idf")
    profiles = network_audience.linked_profiles(jazz)
    assert profiles.count() == 25
    cells = network_audience.circulation(jazz)
    assert sorted(n for (a, b), n in cells.items() if a != b and n is not None) == [10, 14]
    # Hidden: the 6 people at clubs 1 and 3 (two pairs), and Lucie's three clubs (one person, three pairs).
    assert sum(1 for (a, b), n in cells.items() if a != b and n is None) == 5
    # Lucie never signed in: her festival pass links the three clubs it took her to.
    assert network_audience.profile_for_email(jazz, "lucie.moreau@public.example") is None
    (lucie,) = profiles.filter(links__contact__email="lucie.moreau@public.example").distinct()
    assert len(network_audience.organizers_of(lucie)) == 3
    # Spectateur 1 is asked about the address they gave at a fourth club.
    (suggestion,) = network_suggestions.suggestions_for("spectateur1@exemple.org")
    assert suggestion.masked == "s•••@travail.exemple.org"


def test_the_demo_theatre_has_sent_a_letter_its_marketer_can_read_and_a_draft_to_try(client):
    build_demo()
    theatre = Organizer.objects.get(slug="theatre-du-parvis")
    sent = Campaign.objects.get(organizer=theatre, state=Campaign.State.SENT)
    assert Recipient.objects.filter(campaign=sent, state=Recipient.State.SENT).count() == 16
    subjects = [m.subject for m in mail.outbox if "saison" in m.subject or "season" in m.subject]
    assert "Camille, la saison est lancée" in subjects and "Olivia, the season is on" in subjects
    assert Campaign.objects.filter(organizer=theatre, state=Campaign.State.DRAFT).exists()
    client.force_login(get_user_model().objects.get(username="marketing@theatre-du-parvis.example"))
    page = client.get(f"/staff/o/{theatre.slug}/campagnes/{sent.pk}/").content.decode()
    assert "Résultats" in page and "Lettre de la saison" in page
    welcome = Journey.objects.get(organizer=theatre, template="welcome", active=True)
    assert journeys.funnel(welcome)["entered"] == 3
    assert "Bienvenue, Manon !" in [m.subject for m in mail.outbox]
    assert Journey.objects.filter(organizer=theatre, template="after_show", active=False).exists()


def test_the_demo_event_pages_suggest_other_shows_and_say_why(client):
    build_demo()
    together = Neighbour.objects.filter(reason=Neighbour.Reason.TOGETHER).select_related("event").first()
    assert together is not None and together.event.organizer.slug == "theatre-du-parvis"
    page = client.get(together.event.get_absolute_url()).content.decode()
    assert "Vous aimerez aussi" in page
    assert f"Le public de « {together.event.title} » l'a aussi choisi" in page


def test_the_demo_theatre_sells_an_evening_on_its_seat_plan(client):
    from django.urls import reverse

    from parvis.seating.models import ClaimState, SeatClaim, SeatedPerformance

    build_demo()
    seated = SeatedPerformance.objects.select_related("plan").get()
    assert seated.plan.seats.count() == 364 and seated.plan.categories.count() == 3
    assert seated.plan.version == 2 and seated.plan.standing_areas.get().capacity == 30
    claims = SeatClaim.objects.filter(performance=seated.performance)
    assert claims.filter(state=ClaimState.SOLD, ticket__isnull=False).count() == 15
    assert claims.filter(state=ClaimState.KEPT).count() == 4
    page = client.get(reverse("seating:choose", args=[seated.performance_id]))
    text = page.content.decode()
    assert page.status_code == 200 and "Un poteau cache" in text and "emplacement fauteuil roulant" in text
    assert "Places debout — Promenoir" in text
    build_demo()  # twice: nothing more
    assert SeatClaim.objects.filter(state=ClaimState.SOLD).count() == 15


def test_the_demo_has_a_quarter_to_declare_and_a_till_that_opened_and_closed(client, capsys):
    import datetime

    from django.utils import timezone

    from parvis.boxoffice import journal
    from parvis.boxoffice.models import Closure, TillSession
    from parvis.declarations import show_tax, sibil
    from parvis.declarations.models import DailyStatement

    call_command("demo")
    assert "inspector@theatre-du-parvis.example" in capsys.readouterr().out
    theatre = Organizer.objects.get(slug="theatre-du-parvis")
    sessions = TillSession.objects.filter(organizer=theatre)
    assert sessions.count() == 4 and not sessions.filter(closed_at=None).exists()
    assert len({s.opened_at.date() for s in sessions}) == 4  # four days, not this morning
    assert Closure.objects.filter(organizer_id=theatre.pk, kind="day").count() >= 4
    for chain in {s.chain for s in sessions}:
        assert journal.verify(theatre, chain, full=True).ok
    year, quarter = sibil.quarter_of(timezone.now())
    year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    rows = sibil.quarter_rows(theatre, year, quarter)
    assert {r.performance.event.title for r in rows} >= {"Voltige", "Les Bonnes"}
    assert all(r.tickets for r in rows if r.performance.event.title in ("Voltige", "Les Bonnes"))
    club_rows = [
        r
        for o in Organizer.objects.filter(events__title="Trio Nocturne")
        for r in sibil.quarter_rows(o, year, quarter)
    ]
    assert club_rows and any("SIRET" in w for w in club_rows[0].warnings)
    start, end = sibil.quarter_bounds(year, quarter)
    taxed = {r.performance.event.title: r for r in show_tax.rows(theatre, start, end)}
    assert taxed["Voltige"].warnings and taxed["Les Bonnes"].due > 0
    assert DailyStatement.objects.filter(organizer=theatre).count() >= 3
    from parvis.declarations.models import SelfBillingInvoice

    documents = SelfBillingInvoice.objects.filter(organizer__events__title="Trio Nocturne")
    assert documents.count() == 2 and documents.filter(total__lt=0).count() == 1  # the invoice, a credit note
    assert all(document.payments.exists() for document in documents)  # both settled
    assert Organizer.objects.exclude(siret="").filter(venues__slug="club").count() >= 12
    assert timezone.now() - sessions.order_by("-opened_at")[0].opened_at > datetime.timedelta(days=5)


def test_the_demo_sells_a_virtual_visit_and_a_live_stream(client):
    from parvis.online import services as online
    from parvis.online.models import OnlineContent
    from parvis.ticketing.models import Order

    build_demo()
    visit = OnlineContent.objects.get(kind="on_demand")
    order = Order.objects.get(email="nora.benali@public.example")
    ((_label, url, _note),) = online.order_links(order, "")
    page = client.get(url)
    assert page.status_code == 200 and "Livret de visite" in page.content.decode()
    assert visit.members and visit.resources.count() == 1
    stream = OnlineContent.objects.get(kind="live")
    assert stream.performance.tariffs.filter(online=True).count() == 1
    build_demo()  # twice: nothing more
    assert OnlineContent.objects.count() == 2


def test_the_demo_museum_has_classes_asking_coming_and_come(client):
    from parvis.groups.models import GroupBooking

    build_demo()
    states = sorted(GroupBooking.objects.values_list("state", flat=True))
    assert states == ["confirmed", "no_show", "requested", "visited"]
    came = GroupBooking.objects.get(state="visited")
    assert (came.final_pupils, came.places) == (22, 25) and came.guide.name == "Léa Martin"
    page = client.get(GroupBooking.objects.get(state="confirmed").get_absolute_url())
    assert page.status_code == 200 and "Dossier pédagogique" in page.content.decode()
    build_demo()  # twice: nothing more
    assert GroupBooking.objects.count() == 4


def test_the_demo_market_has_its_people_stands_round_tables_and_placed_meetings(client):
    from parvis.market.models import Exhibitor, Market, Meeting, Participant, Session

    build_demo()
    market = Market.objects.get(slug="marche-pro")
    assert Participant.objects.filter(market=market, state="accredited").count() == 300
    assert Participant.objects.filter(market=market, state__in=["applied", "more_info"]).count() == 10
    assert Participant.objects.filter(market=market, state="applied").exclude(proof_file="").count() == 1
    assert (
        Exhibitor.objects.filter(market=market).count() == 40
        and Session.objects.filter(market=market).count() == 12
    )
    placed = Meeting.objects.filter(market=market, slot__isnull=False).count()
    assert placed >= 290 and Meeting.objects.filter(market=market, state="pending").count() == 60
    client.force_login(get_user_model().objects.get(username="marche@biennale-imaginaires.example"))
    board = client.get(f"/staff/o/{market.organizer.slug}/marche/{market.slug}/")
    assert board.status_code == 200 and "placés" in board.content.decode()
    build_demo()  # twice: nothing more
    assert Market.objects.count() == 1
