"""What a household pays under each sharing rule: exact Decimal, shares sum to the cost."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deliberation.proposals.costs import (
    OptionCost,
    UnitShareInput,
    allocate,
    household_share,
    lift_weight,
    unit_shares,
)


def units_of(*specs):
    """specs: (unit_id, area, floor, building)"""
    return [UnitShareInput(i, Decimal(a), f, b) for i, a, f, b in specs]


UNITS = units_of(
    (1, "60.00", 1, 1),
    (2, "90.00", 2, 1),
    (3, "120.00", 6, 1),
    (4, "80.00", 3, 2),
)


def test_equal_per_unit():
    shares = unit_shares(OptionCost(Decimal("1000.00"), "equal"), UNITS)
    assert shares == {
        1: Decimal("250.00"),
        2: Decimal("250.00"),
        3: Decimal("250.00"),
        4: Decimal("250.00"),
    }


def test_by_floor_area():
    # total area 350 m²: 60/350, 90/350, 120/350, 80/350 of 3500.00
    shares = unit_shares(OptionCost(Decimal("3500.00"), "area"), UNITS)
    assert shares == {
        1: Decimal("600.00"),
        2: Decimal("900.00"),
        3: Decimal("1200.00"),
        4: Decimal("800.00"),
    }


def test_by_floor_as_for_a_lift_in_one_building():
    # building 1 only; weights floor-1: 0, 1, 5 → ground floor pays nothing
    option = OptionCost(Decimal("600000.00"), "floor", building_id=1)
    shares = unit_shares(option, UNITS)
    assert shares == {
        1: Decimal("0.00"),
        2: Decimal("100000.00"),
        3: Decimal("500000.00"),
        4: Decimal("0.00"),
    }
    assert lift_weight(1) == 0 and lift_weight(0) == 0 and lift_weight(6) == 5


def test_custom_floor_weights():
    option = OptionCost(Decimal("300.00"), "floor", building_id=1)
    weights = {1: Decimal("0"), 2: Decimal("1"), 6: Decimal("2")}
    assert unit_shares(option, UNITS, floor_weights=weights)[3] == Decimal("200.00")


def test_paid_by_a_party_costs_residents_nothing():
    option = OptionCost(Decimal("480000.00"), "party", paying_party="property")
    assert household_share(option, UNITS, [1, 3]) == Decimal("0.00")


def test_unknown_without_cost_or_rule():
    assert household_share(OptionCost(None, "equal"), UNITS, [1]) is None
    assert household_share(OptionCost(Decimal("10"), ""), UNITS, [1]) is None


def test_household_with_several_units_pays_the_sum():
    option = OptionCost(Decimal("1000.00"), "equal")
    assert household_share(option, UNITS, [2, 4]) == Decimal("500.00")


def test_rounding_to_fen_by_largest_remainder():
    # 100.00 over three equal units: 33.34 + 33.33 + 33.33, the extra fen to the lowest id
    shares = allocate(Decimal("100.00"), {7: Decimal(1), 8: Decimal(1), 9: Decimal(1)})
    assert shares == {7: Decimal("33.34"), 8: Decimal("33.33"), 9: Decimal("33.33")}
    assert sum(shares.values()) == Decimal("100.00")


@given(
    total=st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False),
    weights=st.lists(
        st.decimals(min_value=0, max_value=500, places=2, allow_nan=False), min_size=1, max_size=40
    ),
)
def test_allocation_is_exact_and_fair(total, weights):
    shares = allocate(total, dict(enumerate(weights)))
    positive = sum(w for w in weights if w > 0)
    if positive == 0:
        assert all(v == 0 for v in shares.values())
        return
    assert sum(shares.values()) == total
    for key, weight in enumerate(weights):
        exact = total * weight / positive
        assert abs(shares[key] - exact) < Decimal("0.01")
        assert shares[key] == shares[key].quantize(Decimal("0.01"))


@pytest.mark.parametrize("rule", ["equal", "area", "floor"])
def test_units_outside_the_scope_pay_nothing(rule):
    shares = unit_shares(OptionCost(Decimal("999.99"), rule, building_id=2), UNITS)
    assert shares[1] == shares[2] == shares[3] == Decimal("0.00")
    assert shares[4] == Decimal("999.99")  # the only unit in scope (floor 3 for the lift)
