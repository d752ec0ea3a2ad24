"""Suggestions for a person, by name: only for those whose latest answer to "personalised
recommendations" is yes, from their own history (less what they asked to forget) through the neighbours
of their organizer's model; the others get the same list for all, the most chosen coming shows made
varied, with nothing of theirs used. Read for many people at once (a campaign's batch): a fixed number of
queries, whatever their number.

`Picker(organizer_id, candidates)` chooses among `candidates` (event ids: the shows a campaign's cards
show, or every coming show of the organizer); `prepare(contact_ids)` reads what those people need;
`for_contact(contact_id, count)` gives the picks, each with why.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Min
from django.utils import timezone, translation
from django.utils.translation import gettext

from parvis.core.compiled import CompiledQuery
from parvis.crm import network_audience
from parvis.crm.models import Contact, Interaction
from parvis.programming.models import Performance
from parvis.ticketing.models import Ticket, TicketState

from . import engine, history, selectors, tracking
from .models import Arm, Forgotten, Impression, Neighbour


@dataclass(frozen=True)
class Because:
    kind: str  # "liked" (a show of their history), "new_genre", "new_venue", "" (not personal)
    event_id: int | None = None  # the show of their history that leads here ("liked")


@dataclass(frozen=True)
class Choice:
    event_id: int
    because: Because


@dataclass
class _Person:
    weights: dict[int, float] = field(default_factory=dict)  # event id → strongest signal
    known: set = field(default_factory=set)  # genres and venues met


_forgotten = CompiledQuery(
    Forgotten,
    lambda contact_ids: Forgotten.objects.filter(contact_id__in=contact_ids).values_list(
        "contact_id", "event_id", "at"
    ),
)
_bought = CompiledQuery(
    Ticket,
    lambda contact_ids: Ticket.objects.filter(
        order__contact_id__in=contact_ids, state=TicketState.VALID
    ).values_list(
        "order__contact_id",
        "performance__event_id",
        "performance__event__genre",
        "performance__venue_id",
        "order__paid_at",
    ),
)
_came = CompiledQuery(
    Interaction,
    lambda contact_ids: Interaction.objects.filter(
        contact_id__in=contact_ids, kind=Interaction.Kind.ATTENDANCE, performance__isnull=False
    ).values_list(
        "contact_id",
        "performance__event_id",
        "performance__event__genre",
        "performance__venue_id",
        "occurred_at",
    ),
)
_neighbours_of = CompiledQuery(
    Neighbour,
    lambda organizer_id, event_ids: Neighbour.objects.filter(
        training__organizer_id=organizer_id, event_id__in=event_ids
    ).values_list("event_id", "neighbour_id", "score", "event__title", "event__title_en"),
)


_birth_years = CompiledQuery(
    Contact,
    lambda contact_ids: Contact.objects.filter(pk__in=contact_ids, birth_year__isnull=False).values_list(
        "pk", "birth_year"
    ),
)
network_neighbours_of = CompiledQuery(
    Neighbour,
    lambda network_id, event_ids: Neighbour.objects.filter(
        training__network_id=network_id, event_id__in=event_ids
    ).values_list("event_id", "neighbour_id", "score", "event__title", "event__title_en"),
)


def profile_histories(network_id: int, contact_ids: list[int]) -> dict[int, _Person]:
    """For each of these contacts (who agreed to personalised recommendations), the history of their
    person across the network: every contact their shared profile links (read through the network's one
    door, where they consent to share), less those where the person refused recommendations. A contact
    not linked (it does not share its profile) gets nothing: the network uses nothing of theirs."""
    links = network_audience.live_links(network_id)
    profile_of = dict(links.filter(contact_id__in=contact_ids).values_list("contact_id", "profile_id"))
    linked: dict[int, list[int]] = defaultdict(list)
    for contact_id, profile_id in links.filter(profile_id__in=set(profile_of.values())).values_list(
        "contact_id", "profile_id"
    ):
        linked[profile_id].append(contact_id)
    everyone = sorted({c for contacts in linked.values() for c in contacts})
    allowed = history.not_refusing(everyone) if everyone else set()
    histories = person_history(sorted(allowed)) if allowed else {}
    people: dict[int, _Person] = {}
    for contact_id, profile_id in profile_of.items():
        person = _Person()
        for other in linked[profile_id]:
            found = histories.get(other)
            if found is not None:
                for event_id, weight in found.weights.items():
                    person.weights[event_id] = max(weight, person.weights.get(event_id, 0))
                person.known |= found.known
        people[contact_id] = person
    return people


def person_history(contact_ids: list[int]) -> dict[int, _Person]:
    """Each person's signals (bought, came) with the genres and venues they met, less what they asked to
    forget. Three queries, each written as SQL once per process (a campaign asks them for every batch)."""
    forgotten_events: dict[int, set[int]] = defaultdict(set)
    reset_at: dict[int, object] = {}
    for contact_id, event_id, at in _forgotten(contact_ids):
        if event_id is None:
            reset_at[contact_id] = max(at, reset_at.get(contact_id, at))
        else:
            forgotten_events[contact_id].add(event_id)
    people: dict[int, _Person] = defaultdict(_Person)
    signals = (
        (_bought(contact_ids), engine.WEIGHTS["bought"]),
        (_came(contact_ids), engine.WEIGHTS["attended"]),
    )
    for rows, weight in signals:
        for contact_id, event_id, genre, venue_id, at in rows:
            if event_id in forgotten_events[contact_id]:
                continue
            if contact_id in reset_at and (at is None or at <= reset_at[contact_id]):
                continue
            person = people[contact_id]
            person.weights[event_id] = max(weight, person.weights.get(event_id, 0))
            person.known |= {f"genre:{genre}", f"venue:{venue_id}"}
    return people


class Picker:
    def __init__(self, organizer_id: int | None, candidates: list[int], *, now=None, network_id=None):
        """The organizer's model, or the network's (`network_id`: its campaigns); neither: the common
        list only."""
        self.organizer_id, self.network_id = organizer_id, network_id
        if network_id:
            self.owner, self.holdout_key = {"network_id": network_id}, f"n{network_id}"
        else:
            self.owner = {"organizer_id": organizer_id} if organizer_id else {}
            self.holdout_key = organizer_id
        self.now = now or timezone.now()
        self.candidates = list(dict.fromkeys(candidates))
        self.age_min: dict[int, int] = {}  # the candidates with an age advice
        self.attributes = self._attributes()
        # The candidates' attributes as vectors once, for every person of every batch.
        self.position = {event_id: n for n, event_id in enumerate(self.candidates)}
        self.features = engine.Features(
            attributes=[self.attributes[e] for e in self.candidates], popularity=[1] * len(self.candidates)
        )
        self.policy = selectors.policy_of(**self.owner) if self.owner else None
        self.balance = engine.Balance(float(self.policy.curiosity) if self.policy else 0.5)
        training = selectors.latest_training(**self.owner) if self.owner else None
        self.version = training.version if training else None
        self.popularity = self._popularity()
        self._popular: list[int] | None = None
        self.consenting: set[int] = set()
        self.too_young: dict[int, frozenset] = {}
        self._arms: dict[int, str] = {}
        self.people: dict[int, _Person] = {}
        self.neighbours: dict[int, list[tuple[int, float]]] = {}
        self.titles: dict[int, tuple[str, str]] = {}

    def _attributes(self) -> dict[int, frozenset]:
        """Each candidate that may be booked now (a date on sale online, to come, not sold out: the
        business rules of `selectors.bookable`), with its genre and the venue of its next such date."""
        found: dict[int, frozenset] = {}
        rows = (
            selectors.bookable(self.now)
            .filter(event_id__in=self.candidates)
            .order_by("starts_at")
            .values_list("event_id", "event__genre", "venue_id", "event__age_min")
        )
        for event_id, genre, venue_id, age_min in rows:
            found.setdefault(event_id, frozenset({f"genre:{genre}", f"venue:{venue_id}"}))
            if age_min:
                self.age_min[event_id] = age_min
        self.candidates = [event_id for event_id in self.candidates if event_id in found]
        return found

    def _popularity(self) -> Counter:
        sold = Ticket.objects.filter(performance__event_id__in=self.candidates, state=TicketState.VALID)
        return Counter(dict(sold.values_list("performance__event_id").annotate(n=Count("pk"))))

    def prepare(self, contact_ids: list[int]) -> None:
        """Read what these people need: who consented, their histories, the neighbours of what they took."""
        self.consenting = history.consenting(contact_ids) if self.owner else set()
        self.too_young = self._too_young(contact_ids)
        self._arms = {}
        personal = [
            contact_id for contact_id in sorted(self.consenting) if self.arm(contact_id) == Arm.PERSONAL
        ]
        if self.network_id:
            self.people = profile_histories(self.network_id, personal) if personal else {}
        else:
            self.people = person_history(personal) if personal else {}
        sources = {event_id for person in self.people.values() for event_id in person.weights}
        self.titles = {}
        self.neighbours = defaultdict(list)
        if sources and self.candidates:
            if self.network_id:
                rows = network_neighbours_of(self.network_id, sorted(sources))
            else:
                rows = _neighbours_of(self.organizer_id, sorted(sources))
            for event_id, neighbour_id, score, title, title_en in rows:
                self.titles[event_id] = (title, title_en)
                if neighbour_id in self.position:
                    self.neighbours[event_id].append((neighbour_id, score))

    def _too_young(self, contact_ids: list[int]) -> dict[int, frozenset]:
        """The shows each person is younger than the age advice of, as far as their birth year tells
        (a rule that only withholds: read for everyone, consent or not, and only when a candidate has an
        advice)."""
        if not self.age_min or not contact_ids:
            return {}
        year = timezone.localtime(self.now).year
        found = {}
        for contact_id, born in _birth_years(list(contact_ids)):
            age = year - born - 1  # the youngest they may be this year
            blocked = frozenset(e for e, advice in self.age_min.items() if age < advice)
            if blocked:
                found[contact_id] = blocked
        return found

    def _common(self, count: int, blocked: frozenset) -> list[Choice]:
        if not blocked:
            return self.popular(count)
        return [c for c in self.popular(len(self.candidates)) if c.event_id not in blocked][:count]

    def popular(self, count: int) -> list[Choice]:
        """The same for everyone: the most chosen coming shows, made varied."""
        if self._popular is None:
            ranked = sorted(self.candidates, key=lambda e: (-self.popularity.get(e, 0), self.position[e]))
            picks = self._rerank(
                ranked, [self.popularity.get(e, 0) + 1.0 for e in ranked], len(ranked), frozenset()
            )
            self._popular = [pick.index for pick in picks]
        return [Choice(ranked_id, Because("")) for ranked_id in self._popular[:count]]

    def arm(self, contact_id: int) -> str:
        """Their own picks (they consented, and are not of the holdout group), or the common list."""
        if contact_id not in self.consenting:
            return Arm.COMMON
        if contact_id not in self._arms:
            holdout = tracking.in_holdout(self.holdout_key, contact_id, self.policy.holdout_percent)
            self._arms[contact_id] = Arm.HOLDOUT if holdout else Arm.PERSONAL
        return self._arms[contact_id]

    def impression(self, contact_id: int, choices: list[Choice], surface: str, ref: str = ""):
        """What this person was shown, to keep (`tracking.record`): named, and findable by `ref` for their
        clicks, only if they consented to personalised recommendations."""
        if not self.owner or not choices:
            return None
        arm = self.arm(contact_id)
        named = arm != Arm.COMMON
        return Impression(
            **self.owner,
            surface=surface,
            ref=ref if named else "",
            arm=arm,
            version=self.version,
            curiosity=self.policy.curiosity,
            contact_id=contact_id if named else None,
            events=[choice.event_id for choice in choices],
            at=timezone.now(),
        )

    def for_contact(self, contact_id: int, count: int) -> list[Choice]:
        blocked = self.too_young.get(contact_id, frozenset())
        person = self.people.get(contact_id) if self.arm(contact_id) == Arm.PERSONAL else None
        if person is None or not person.weights:
            return self._common(count, blocked)
        pairs = (
            (source, neighbour_id, score)
            for source in person.weights
            for neighbour_id, score in self.neighbours.get(source, ())
        )
        scores, because = lead_to(person.weights, pairs, skip=blocked)
        if not scores:  # nothing leads anywhere yet: the common list, less what they have
            return self._common(count, blocked | frozenset(person.weights))
        ranked = sorted(scores, key=lambda e: -scores[e])[: self.balance.pool]
        picks = self._rerank(ranked, [scores[e] for e in ranked], count, frozenset(person.known))
        choices = [
            Choice(event_id, self._why(event_id, person, because)) for event_id in (p.index for p in picks)
        ]
        if len(choices) < count:  # too little history: the common list completes it
            taken = {choice.event_id for choice in choices} | set(person.weights) | blocked
            choices += [c for c in self.popular(len(self.candidates)) if c.event_id not in taken][
                : count - len(choices)
            ]
        return choices

    def _rerank(self, ranked: list[int], relevance: list[float], count: int, known: frozenset):
        picks = engine.rerank(
            [self.position[e] for e in ranked],
            relevance,
            self.features,
            count=count,
            balance=self.balance,
            known=known,
        )
        return [engine.Pick(self.candidates[p.index], p.relevance, p.new_attributes) for p in picks]

    def _why(self, event_id: int, person: _Person, because: dict) -> Because:
        new = self.attributes[event_id] - person.known
        if any(name.startswith("genre:") for name in new):
            return Because("new_genre")
        if any(name.startswith("venue:") for name in new):
            return Because("new_venue")
        return Because("liked", because[event_id][1])


def lead_to(weights: dict[int, float], pairs, *, skip=frozenset()) -> tuple[dict, dict]:
    """What a person's choices (`weights`: event → signal) lead to through the neighbour `pairs`
    (source, neighbour, score): each neighbour's score, and (part, source) of the show of their history
    that leads there most. Nothing they have already, nothing in `skip`."""
    scores: dict[int, float] = defaultdict(float)
    because: dict[int, tuple[float, int]] = {}
    for source, neighbour_id, score in pairs:
        if neighbour_id in weights or neighbour_id in skip:
            continue
        part = weights[source] * score
        scores[neighbour_id] += part
        if part > because.get(neighbour_id, (0, 0))[0]:
            because[neighbour_id] = (part, source)
    return scores, because


def coming_events(organizer_id: int, *, now=None, limit: int = 200) -> list[int]:
    """The organizer's events with a date to come, the soonest first: what an account page picks from."""
    now = now or timezone.now()
    rows = (
        Performance.objects.filter(organizer_id=organizer_id, starts_at__gt=now, event__status="published")
        .values("event_id")
        .annotate(first=Min("starts_at"))
        .order_by("first")[:limit]
    )
    return [row["event_id"] for row in rows]


def reason_text(because: Because, titles: dict) -> str:
    """Why, in the active language: « Parce que vous avez aimé … », a genre or a place new to them
    (`titles`: the Picker's, French and English, of the shows its people's histories hold)."""
    if because.kind == "new_genre":
        return gettext("Un genre à découvrir")
    if because.kind == "new_venue":
        return gettext("Un lieu où vous n'êtes jamais allé")
    if because.kind == "liked" and because.event_id in titles:
        title = localized(*titles[because.event_id])
        return gettext("Parce que vous avez aimé « %(title)s »") % {"title": title}
    return ""


def localized(title: str, title_en: str) -> str:
    """A show's title in the active language (the French one when it has no English title)."""
    return title_en if translation.get_language() == "en" and title_en else title


@dataclass(frozen=True)
class Offered:
    event_id: int
    why: str  # in the active language, "" for the common list
    suggestion: str  # the token a link to it carries (`?suggestion=`), "" when nothing was kept


def offer(contact, surface: str, count: int = 4) -> list[Offered]:
    """One person's suggestions from their organizer's coming shows (their own if they consented and are
    not of the holdout group, the common list otherwise), kept as one impression: an account page, the
    box office's counter."""
    picker = Picker(contact.organizer_id, coming_events(contact.organizer_id))
    picker.prepare([contact.pk])
    choices = picker.for_contact(contact.pk, count)
    impression = picker.impression(contact.pk, choices, surface)
    token = ""
    if impression is not None:
        impression.save()
        token = tracking.token_of(impression)
    return [Offered(c.event_id, reason_text(c.because, picker.titles), token) for c in choices]
