"""Campaign benchmark on PostgreSQL (issue 22): 100,000 recipients chosen among 1,000,000 contacts of one
organizer (10 % consented to its newsletter; another 10 % consented, then withdrew), each message
personalised with the person's name and language and three shows picked for them (half of them agreed
to personalised recommendations: theirs come from their history through the organizer's model),
DKIM-signed, sent by two task workers (`parvis db_worker`) to an SMTP server on loopback (aiosmtpd, a process of its own,
`bench/_smtp_sink.py`). A worker is killed (SIGKILL) when 25 %, 50 % and 75 % are sent, the two in
turn, and another started each time: its part is taken back after the lease and finished.

Then a journey (the ready-made welcome: a message, 72 h, another) is started and 100,000 sign-ups reach
the timeline: `journey_events_s` is the time to take them in and move each person through the steps due
(the first message queued for each, after its consent check; sending is what `messages_per_s` measures).

Figures: `messages_per_s` (from the send order to the last message accepted, the audience's freezing
included), `audience_ms` (computing the audience, one per address), `duplicates` and `lost` (what the SMTP
server received against the frozen audience), `peak_rss_mb` (the largest task worker).
Run alone: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/campaign.py
(BENCH_CAMPAIGN_CONTACTS scales it down). The contacts are kept between runs and rebuilt when their number
differs.
"""

import collections
import os
import signal
import subprocess
import sys
import tempfile
import time

os.environ["PARVIS_TASKS_BACKEND"] = "database"  # the send order goes to the workers through the table
os.environ["PARVIS_CAMPAIGN_QUIET_HOURS"] = "0,0"
os.environ.setdefault("PARVIS_CAMPAIGN_PARTS", "2")

from _common import ROOT, _free_port, emit, machine_speed, server_env, setup_django  # noqa: E402

setup_django()

import datetime  # noqa: E402

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from parvis.crm.models import Interaction, Purpose  # noqa: E402
from parvis.marketing import audience, journey_templates, journeys, services  # noqa: E402
from parvis.marketing.models import Campaign, Journey, JourneyEntry, Recipient, SendingDomain  # noqa: E402
from parvis.network.models import Organizer, Venue  # noqa: E402
from parvis.programming.models import Event, Genre, Performance  # noqa: E402
from parvis.recommendations import training  # noqa: E402

BENCH = "campaign"
CONTACTS = int(os.environ.get("BENCH_CAMPAIGN_CONTACTS", "1000000"))
TIMEOUT_S = 1800
LEASE_S = 6


def sql(statement: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or {})


def shows(organizer: Organizer) -> None:
    """Twenty coming shows across the genres, and ten past ones that people went to."""
    if Event.objects.filter(organizer=organizer).count() >= 30:
        return
    venue, _ = Venue.objects.get_or_create(
        organizer=organizer, slug="grande-salle", defaults={"name": "Grande salle", "town": "Lyon"}
    )
    genres = list(Genre.values)
    now = timezone.now()
    for n in range(30):
        event = Event.objects.create(
            organizer=organizer,
            slug=f"show-{n}",
            title=f"Spectacle {n}",
            genre=genres[n % len(genres)],
            status="published",
        )
        days = 5 + n if n < 20 else -(n * 3)
        Performance.objects.create(
            event=event, organizer=organizer, venue=venue, starts_at=now + datetime.timedelta(days=days)
        )


def people(organizer: Organizer) -> None:
    if organizer.contacts.count() == CONTACTS:
        return
    p = {"o": organizer.pk, "n": CONTACTS, "purpose": Purpose.ORGANIZER_NEWSLETTER}
    for statement in (
        "DELETE FROM marketing_recipient WHERE campaign_id IN (SELECT id FROM marketing_campaign WHERE organizer_id = %(o)s)",
        "DELETE FROM marketing_journeyentry WHERE contact_id IN (SELECT id FROM crm_contact WHERE organizer_id = %(o)s)",
        "DELETE FROM crm_interaction WHERE organizer_id = %(o)s",
        "DELETE FROM crm_consent WHERE organizer_id = %(o)s",
        "DELETE FROM crm_contact WHERE organizer_id = %(o)s",
    ):
        sql(statement, p)
    sql(
        """INSERT INTO crm_contact (first_name, last_name, email, phone, postal_code, departement, town, address,
            country, language, custom_fields, name_key, source, created_at, updated_at, last_seen_at, rfm_group,
            organizer_id)
        SELECT 'Prénom' || (g %% 997), 'Nom' || (g %% 1009), 'c' || g || '@camp.example', '', '69001', '69', '',
            '', 'FR', CASE WHEN g %% 7 = 0 THEN 'en' ELSE 'fr' END, '{}', '', 'bench', now(), now(),
            now() - (g %% 400) * interval '1 day', '', %(o)s
        FROM generate_series(0, %(n)s - 1) g""",
        p,
    )
    # 10 % consent; another 10 % consented a year ago and withdrew since.
    for given_filter, given, when in (("IN (3, 4)", "true", "1 year"), ("= 4", "false", "1 day")):
        sql(
            f"""INSERT INTO crm_consent (organizer_id, contact_id, purpose, channel, given, at, source, wording,
                version, proof)
            SELECT %(o)s, id, %(purpose)s, 'email', {given}, now() - interval '{when}', 'import', '', '', '{{}}'
            FROM crm_contact WHERE organizer_id = %(o)s AND id %% 10 {given_filter}""",  # noqa: S608 - constants
            p,
        )
    past = list(
        Performance.objects.filter(organizer=organizer, starts_at__lt=timezone.now()).values_list(
            "pk", flat=True
        )
    )
    sql(
        """INSERT INTO crm_interaction (organizer_id, contact_id, kind, occurred_at, summary, ref, performance_id)
        SELECT %(o)s, id, 'attendance', now() - interval '30 days', '', '', (%(past)s::int[])[(id %% 10) + 1]
        FROM crm_contact WHERE organizer_id = %(o)s AND id %% 30 = 3""",
        {**p, "past": past},
    )
    sql("ANALYZE crm_contact; ANALYZE crm_consent; ANALYZE crm_interaction")


def recommendation_consents(organizer: Organizer) -> None:
    """Half the audience agreed to personalised recommendations: their picks come from their history
    through the organizer's model (trained here), the others' from the common list."""
    p = {"o": organizer.pk, "purpose": Purpose.RECOMMENDATIONS}
    sql("DELETE FROM crm_consent WHERE organizer_id = %(o)s AND purpose = %(purpose)s", p)
    sql(
        """INSERT INTO crm_consent (organizer_id, contact_id, purpose, channel, given, at, source, wording,
            version, proof)
        SELECT %(o)s, id, %(purpose)s, 'email', true, now() - interval '1 year', 'import', '', '', '{}'
        FROM crm_contact WHERE organizer_id = %(o)s AND id %% 20 = 3""",
        p,
    )
    sql("ANALYZE crm_consent")
    training.train_organizer(organizer)


def build() -> Campaign:
    organizer, _ = Organizer.objects.get_or_create(
        slug="bench-campaign",
        defaults={"name": "Théâtre du Banc d'essai", "address": "1 place du Banc, Lyon"},
    )
    shows(organizer)
    people(organizer)
    recommendation_consents(organizer)
    sql(
        "DELETE FROM marketing_recipient WHERE campaign_id IN (SELECT id FROM marketing_campaign WHERE organizer_id = %(o)s)",
        {"o": organizer.pk},
    )
    Journey.objects.filter(organizer=organizer).delete()
    Campaign.objects.filter(organizer=organizer).delete()
    Interaction.objects.filter(organizer=organizer, kind=Interaction.Kind.EMAIL_SENT).delete()
    if not SendingDomain.objects.filter(organizer=organizer, domain="banc.example").exists():
        services.domain_add(campaign_owner={"organizer": organizer}, domain="banc.example", actor=None)
    picked = list(Event.objects.filter(organizer=organizer).order_by("pk").values_list("pk", flat=True)[:2])
    return Campaign.objects.create(
        organizer=organizer,
        name="Bench",
        subject_fr="{{ prenom | Bonjour }}, la saison continue",
        subject_en="{{ first_name | Hello }}, the season goes on",
        preheader_fr="Trois spectacles choisis pour vous",
        from_name="Théâtre du Banc d'essai",
        from_email="lettre@banc.example",
        blocks=[
            {"type": "text", "fr": "<p>Bonjour {{ prenom | à vous }},</p><p>" + "La saison continue. " * 40 + "</p>",
             "en": "<p>Hello {{ first_name | there }},</p><p>" + "The season goes on. " * 40 + "</p>"},
            {"type": "events", "ids": picked},
            {"type": "recommended", "count": 3},
            {"type": "button", "label_fr": "Tout l'agenda", "label_en": "The whole agenda", "url": "https://banc.example/agenda"},
        ],
    )  # fmt: skip


class Workers:
    def __init__(self, smtp_port: int):
        self.env = server_env(
            _free_port(),
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
            PARVIS_TASK_LEASE_S=str(LEASE_S),
            PARVIS_CAMPAIGN_QUIET_HOURS="0,0",
        )
        self.generation = 0
        self.processes = [self.start(0), self.start(1)]
        self.peaks: list[int] = []

    def start(self, slot: int) -> subprocess.Popen:
        self.generation += 1
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "parvis", "db_worker", "--interval", "0.2", "--no-startup-delay"]
            + ["--worker-id", f"campaign-{slot}-{self.generation}"],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def peak_kb(self, process) -> int:
        try:
            with open(f"/proc/{process.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def kill(self, slot: int) -> None:
        process = self.processes[slot]
        self.peaks.append(self.peak_kb(process))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        self.processes[slot] = self.start(slot)

    def stop(self) -> int:
        self.peaks += [self.peak_kb(p) for p in self.processes]
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=60)
        return max(self.peaks)


def main():
    machine_speed(BENCH)
    start = time.perf_counter()
    campaign = build()
    emit(BENCH, "build_s", round(time.perf_counter() - start, 1), "s", None, contacts=CONTACTS)

    start = time.perf_counter()
    expected = {person.address for person in audience.people(campaign)}
    emit(
        BENCH,
        "audience_ms",
        round((time.perf_counter() - start) * 1000),
        "ms",
        2000,
        recipients=len(expected),
    )

    port = _free_port()
    received_path = tempfile.mktemp(suffix=".txt", prefix="parvis-campaign-")  # noqa: S306 - the sink writes it
    sink = subprocess.Popen(  # noqa: S603
        [sys.executable, str(ROOT / "bench" / "_smtp_sink.py"), str(port), received_path],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    sink.stdout.readline()
    workers = Workers(port)
    kills = [0.25, 0.5, 0.75]
    killed = 0
    try:
        start = time.perf_counter()
        services.campaign_schedule(campaign=campaign, actor=None)
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            time.sleep(0.5)
            campaign.refresh_from_db(fields=["state"])
            if campaign.state == Campaign.State.SENT:
                break
            if killed < len(kills):
                sent = Recipient.objects.filter(campaign=campaign, state=Recipient.State.SENT).count()
                if sent >= kills[killed] * len(expected):
                    workers.kill(killed % 2)
                    killed += 1
        elapsed = time.perf_counter() - start
    finally:
        peak_kb = workers.stop()
        sink.send_signal(signal.SIGTERM)
        sink.wait(timeout=30)
    with open(received_path) as received_file:
        received = collections.Counter(line.split(" ", 1)[0] for line in received_file if line.strip())
    os.unlink(received_path)
    sent_rows = Recipient.objects.filter(campaign=campaign, state=Recipient.State.SENT).count()
    emit(
        BENCH,
        "messages_per_s",
        round(sum(received.values()) / elapsed, 1),
        "messages/s",
        300,
        received=sum(received.values()),
        seconds=round(elapsed, 1),
        state=campaign.state,
        workers_killed=killed,
    )
    emit(BENCH, "duplicates", sum(n - 1 for n in received.values() if n > 1), "messages", 0)
    emit(BENCH, "lost", len(expected - set(received)), "recipients", 0, sent_rows=sent_rows)
    emit(BENCH, "peak_rss_mb", round(peak_kb / 1024, 1), "MB", None)
    seconds, extra = journey_events(campaign.organizer)
    emit(BENCH, "journey_events_s", seconds, "s", 60, **extra)
    machine_speed(BENCH)


def journey_events(organizer) -> tuple:
    """100,000 sign-ups reach the timeline of a started welcome journey: taken in, and each person moved
    through the steps due (the first message queued after its consent check)."""
    journey = journey_templates.journey_create(organizer=organizer, key="welcome", actor=None)
    journey_templates.journey_switch(journey=journey, actor=None, active=True)
    sql(
        """INSERT INTO crm_interaction (organizer_id, contact_id, kind, occurred_at, summary, ref)
        SELECT %(o)s, id, 'signup', now(), '', '' FROM crm_contact WHERE organizer_id = %(o)s AND id %% 10 = 3""",
        {"o": organizer.pk},
    )
    start = time.perf_counter()
    journey.refresh_from_db()
    journeys.intake(journey)
    moved = journeys.advance(journey)
    seconds = round(time.perf_counter() - start, 1)
    entries = JourneyEntry.objects.filter(journey=journey).count()
    sql("DELETE FROM crm_interaction WHERE organizer_id = %(o)s AND kind = 'signup'", {"o": organizer.pk})
    return seconds, {"entries": entries, "queued": moved["queued"]}


if __name__ == "__main__":
    main()
