"""Revenue split between venues: every pass's price is allocated to the cent, statements add up."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from parvis.passes.models import PassHolding, PassProduct, SplitRule, UnusedRule
from parvis.passes.services import pass_book
from parvis.passes.settlements import (
    UsedEntry,
    discovery,
    holders_discovering,
    holding_lines,
    period_bounds,
    split_by_weights,
    split_evenly,
    statement_build,
    statement_csv,
)
from parvis.ticketing.tests.factories import buy

from .factories import bought_pass, club, concert, pass_product

NOW = datetime.datetime(2026, 11, 30, 12, tzinfo=datetime.UTC)
cents = st.integers(min_value=0, max_value=200_000).map(lambda c: Decimal(c) / 100)


@given(total=cents, weights=st.dictionaries(st.integers(1, 50), st.integers(1, 20), min_size=1, max_size=8))
def test_a_split_by_weights_adds_up_to_the_cent(total, weights):
    shares = split_by_weights(total, weights)
    assert sum(shares.values()) == total and set(shares) == set(weights)
    assert all(share >= 0 for share in shares.values())
    # Nobody is more than a cent away from their exact share.
    weight_sum = sum(weights.values())
    assert all(abs(shares[k] - total * w / weight_sum) < Decimal("0.01") for k, w in weights.items())


@given(total=cents, parts=st.integers(1, 30))
def test_an_even_split_adds_up_and_differs_by_a_cent_at_most(total, parts):
    values = split_evenly(total, parts)
    assert sum(values) == total and len(values) == parts and max(values) - min(values) <= Decimal("0.01")


def _holding(price, entries, *, expired: bool):
    until = NOW - datetime.timedelta(days=1) if expired else NOW + datetime.timedelta(days=30)
    return PassHolding(
        pk=1,
        price=price,
        entries=entries,
        vat_rate=Decimal("5.50"),
        valid_from=NOW - datetime.timedelta(days=90),
        valid_until=until,
    )


@settings(max_examples=300, deadline=None)
@given(
    price=cents,
    entries=st.integers(1, 10),
    commission=st.integers(0, 3000).map(lambda c: Decimal(c) / 100),
    rule=st.sampled_from(SplitRule.values),
    unused_rule=st.sampled_from(UnusedRule.values),
    fixed=cents,
    used=st.lists(st.integers(1, 6), max_size=10),
    partners=st.lists(st.integers(1, 30), max_size=6, unique=True),
    expired=st.booleans(),
)
def test_a_pass_price_is_allocated_to_the_cent(
    price, entries, commission, rule, unused_rule, fixed, used, partners, expired
):
    product = PassProduct(
        organizer_id=99,
        split_rule=rule,
        unused_rule=unused_rule,
        fixed_amount=fixed,
        commission_percent=commission,
    )
    holding = _holding(price, entries, expired=expired)
    used_entries = [
        UsedEntry(organizer, i, NOW - datetime.timedelta(days=40 - i), i, i)
        for i, organizer in enumerate(used)
    ][:entries]
    lines = holding_lines(
        holding=holding, product=product, entries=used_entries, partner_ids=partners, paid_at=NOW, now=NOW
    )
    total = sum((line.amount for line in lines), Decimal(0))
    assert all(line.amount >= 0 for line in lines)
    if expired or rule == SplitRule.EQUAL or len(used_entries) == entries:
        assert total == price  # everything is allocated once nothing more can happen
    else:
        assert total <= price
    if rule != SplitRule.EQUAL:
        paid_to_venues = {line.organizer_id for line in lines if line.kind == "entry"}
        assert paid_to_venues <= set(used)


def test_a_worked_example_proportional_with_commission():
    product = PassProduct(
        organizer_id=99, split_rule=SplitRule.PROPORTIONAL, unused_rule=UnusedRule.KEPT, commission_percent=10
    )
    entries = [UsedEntry(1, 10, NOW, 1, 1), UsedEntry(2, 11, NOW, 1, 2)]
    lines = holding_lines(
        holding=_holding(Decimal("45.00"), 3, expired=True),
        product=product,
        entries=entries,
        partner_ids=[],
        paid_at=NOW,
        now=NOW,
    )
    assert [(line.organizer_id, line.kind, line.amount) for line in lines] == [
        (99, "commission", Decimal("4.50")),
        (1, "entry", Decimal("13.50")),
        (2, "entry", Decimal("13.50")),
        (99, "unused", Decimal("13.50")),
    ]
    product.unused_rule = UnusedRule.SHARED
    shared = holding_lines(
        holding=_holding(Decimal("45.01"), 3, expired=True),
        product=product,
        entries=entries,
        partner_ids=[],
        paid_at=NOW,
        now=NOW,
    )
    # 45.01 − 4.50 = 40.51: 13.51 to the first entry (the extra cent goes first), then 13.50 each;
    # the unused 13.50 shared by the two venues.
    assert [(line.organizer_id, line.kind, line.amount) for line in shared][1:] == [
        (1, "entry", Decimal("13.51")),
        (2, "entry", Decimal("13.50")),
        (1, "unused", Decimal("6.75")),
        (2, "unused", Decimal("6.75")),
    ]


def test_a_fixed_amount_per_entry_stops_when_the_price_is_spent():
    product = PassProduct(
        organizer_id=99, split_rule=SplitRule.FIXED, fixed_amount=Decimal("20"), unused_rule=UnusedRule.KEPT
    )
    entries = [UsedEntry(1, 10, NOW, 1, 1), UsedEntry(2, 11, NOW, 1, 2), UsedEntry(3, 12, NOW, 1, 3)]
    lines = holding_lines(
        holding=_holding(Decimal("50.00"), 3, expired=False),
        product=product,
        entries=entries,
        partner_ids=[],
        paid_at=NOW,
        now=NOW,
    )
    assert [line.amount for line in lines] == [Decimal("20"), Decimal("20"), Decimal("10.00")]


@pytest.mark.parametrize(
    "period,first,following",
    [
        ("2026-11", datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)),
        ("2026-12", datetime.date(2026, 12, 1), datetime.date(2027, 1, 1)),
        ("2026-Q4", datetime.date(2026, 10, 1), datetime.date(2027, 1, 1)),
        ("2026-q1", datetime.date(2026, 1, 1), datetime.date(2026, 4, 1)),
        ("2026", datetime.date(2026, 1, 1), datetime.date(2027, 1, 1)),
        ("2026-11-03..2026-11-16", datetime.date(2026, 11, 3), datetime.date(2026, 11, 17)),
    ],
)
def test_periods(period, first, following):
    start, end, _label = period_bounds(period)
    assert (timezone.localtime(start).date(), timezone.localtime(end).date()) == (first, following)
    assert timezone.localtime(start).hour == 0


@pytest.mark.parametrize("period", ["", "2026-13", "novembre", "2026-11-20..2026-11-01", "festival:x"])
def test_unknown_periods_are_refused(period):
    with pytest.raises(ValueError):
        period_bounds(period)


@pytest.fixture
def festival_sales(db, network, organizer):
    """Three clubs, two passes used across them, one ordinary ticket bought earlier at the first club."""
    clubs = [club(network, "alpha"), club(network, "beta"), club(network, "gamma")]
    product = pass_product(organizer, network, commission_percent=Decimal("10"), price=Decimal("45.00"))
    concerts = [concert(c, days=5 + i) for i, c in enumerate(clubs)]
    earlier = concert(clubs[0], days=2)
    buy(earlier.tariffs.get())  # ana@example.org has been to club alpha before
    ana = bought_pass(product)
    bo = bought_pass(product, email="bo@example.org")
    for performance in concerts:
        pass_book(holding=ana, performance_id=performance.pk)
    pass_book(holding=bo, performance_id=concerts[1].pk)
    return clubs, product, concerts


def _period_around(performances):
    start = min(p.starts_at for p in performances) - datetime.timedelta(days=30)
    end = max(p.starts_at for p in performances) + datetime.timedelta(days=1)
    return start, end


def test_a_statement_has_a_row_per_organizer_adding_up_to_the_total(festival_sales, network, organizer):
    clubs, _product, concerts = festival_sales
    start, end = _period_around(concerts)
    statement = statement_build(network=network, start=start, end=end)
    rows = {row.organizer_id: row for row in statement.rows}
    # 45 − 4.50 = 40.50 → 13.50 an entry; two commissions of 4.50 to the seller.
    assert rows[clubs[0].pk].total == Decimal("13.50") and rows[clubs[1].pk].entries == 2
    assert rows[clubs[1].pk].total == Decimal("27.00")
    assert rows[organizer.pk].commission == Decimal("9.00")
    assert statement.total.total == sum(row.total for row in statement.rows) == Decimal("63.00")
    assert statement.total.excl_tax + statement.total.tax == statement.total.total
    assert all(row.excl_tax + row.tax == row.total for row in statement.rows)
    text = statement_csv(statement)
    lines = text.strip().split("\n")
    assert lines[0].startswith("structure;siret;entrees")
    assert len(lines) == 1 + len(statement.rows) + 1 and lines[-1].startswith("TOTAL;")
    assert lines[-1].endswith(";63.00")


def test_entries_count_in_the_period_of_their_performance(festival_sales, network):
    _clubs, _product, concerts = festival_sales
    start, _end = _period_around(concerts)
    statement = statement_build(network=network, start=start, end=concerts[0].starts_at)
    assert statement.total.entries == 0 and statement.total.commission == Decimal("9.00")


def test_unused_entries_go_to_the_seller_once_the_pass_has_expired(festival_sales, network, organizer):
    _clubs, product, concerts = festival_sales
    start, end = _period_around(concerts)
    PassHolding.objects.filter(product=product).update(valid_until=end - datetime.timedelta(hours=1))
    statement = statement_build(network=network, start=start, end=end, now=end)
    rows = {row.organizer_id: row for row in statement.rows}
    assert rows[organizer.pk].unused_amount == Decimal("27.00")  # bo used one entry of three
    assert statement.total.total == Decimal("90.00")  # both passes wholly allocated


def test_the_command_prints_the_statement_as_csv(festival_sales, network):
    _clubs, _product, concerts = festival_sales
    day = timezone.localtime(concerts[0].starts_at).date()
    out = StringIO()
    call_command("settlements", "--network", network.slug, "--period", f"{day:%Y-%m}", stdout=out)
    text = out.getvalue()
    assert text.startswith("structure;") and "\nTOTAL;" in text
    with pytest.raises(CommandError):
        call_command("settlements", "--network", network.slug, "--period", "demain", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("settlements", "--network", "nope", "--period", "2026-11", stdout=StringIO())


def test_discovery_counts_first_visits(festival_sales, network):
    clubs, _product, concerts = festival_sales
    start, end = _period_around(concerts)
    rows = {row["venue"]: row for row in discovery(network=network, start=start, end=end)}
    alpha, beta = clubs[0].venues.get().name, clubs[1].venues.get().name
    assert rows[alpha] == {"venue": alpha, "town": "Paris", "entries": 1, "first_visits": 0, "scanned": 0}
    assert rows[beta]["entries"] == 2 and rows[beta]["first_visits"] == 2
    assert holders_discovering(network=network, start=start, end=end) == 2
