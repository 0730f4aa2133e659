"""What a household pays under an option's cost-sharing rule. Pure: plain data, exact Decimal.

Rules (``SharingRule``):

* ``equal`` — every unit in scope bears the same share (按户均摊).
* ``area`` — shares proportional to each unit's exclusive floor area in m² (按面积分摊).
* ``floor`` — as for installing a lift (加装电梯): a unit on floor *f* has weight ``f - 1``, the
  number of storeys the lift saves its residents from climbing. Ground-floor (and basement) units
  have weight 0 and pay nothing; a 6th-floor unit bears five times a 2nd-floor one. This is the
  simplest of the schemes local guidelines publish (most ask the building to agree its own
  coefficients); a community that adopts other coefficients passes them as ``floor_weights``.
* ``party`` — paid by one party (property company, department, committee): residents pay 0.

Scope: the units that share the cost — the whole community, or one building when the option is
limited to it (a lift serves one building).

Rounding (to the fen, 0.01 元): the total is split exactly with the largest-remainder method.
Each unit first gets its exact share rounded *down* to the fen; the fen left over are handed out
one each to the units with the largest remainders (ties: lower unit id first). So the shares of
all units always add up to exactly the estimated cost, and no unit's share differs from its exact
share by a fen or more. A household owning several units pays the sum of their shares.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

FEN = Decimal("0.01")

EQUAL = "equal"
AREA = "area"
FLOOR = "floor"
PARTY = "party"
RESIDENT_PARTY = "resident"


@dataclass(frozen=True)
class UnitShareInput:
    unit_id: int
    area_m2: Decimal
    floor: int
    building_id: int


@dataclass(frozen=True)
class OptionCost:
    cost: Decimal | None
    rule: str
    paying_party: str = ""
    building_id: int | None = None


def lift_weight(floor: int) -> Decimal:
    """Default floor weight for a lift: storeys saved, 0 at ground level or below."""
    return Decimal(max(0, floor - 1))


def unit_weight(
    unit: UnitShareInput, rule: str, floor_weights: Mapping[int, Decimal] | None
) -> Decimal:
    if rule == EQUAL:
        return Decimal(1)
    if rule == AREA:
        return Decimal(unit.area_m2)
    if rule == FLOOR:
        if floor_weights is not None:
            return Decimal(floor_weights.get(unit.floor, 0))
        return lift_weight(unit.floor)
    raise ValueError(f"no weights for rule {rule!r}")


def allocate(total: Decimal, weights: Mapping[int, Decimal]) -> dict[int, Decimal]:
    """Split ``total`` (to the fen) over ``weights`` by largest remainder; sums exactly to total.

    Units with weight 0 get 0. With no positive weight nobody is charged.
    """
    total = Decimal(total).quantize(FEN)
    positive = {key: Decimal(w) for key, w in weights.items() if Decimal(w) > 0}
    weight_sum = sum(positive.values(), Decimal(0))
    shares = dict.fromkeys(weights, Decimal("0.00"))
    if not positive:
        return shares
    exact = {key: total * w / weight_sum for key, w in positive.items()}
    floored = {key: value.quantize(FEN, rounding=ROUND_DOWN) for key, value in exact.items()}
    leftover = int(((total - sum(floored.values(), Decimal(0))) / FEN).to_integral_value())
    order = sorted(positive, key=lambda key: (-(exact[key] - floored[key]), key))
    for key in order[:leftover]:
        floored[key] += FEN
    shares.update(floored)
    return shares


def unit_shares(
    option: OptionCost,
    units: Iterable[UnitShareInput],
    *,
    floor_weights: Mapping[int, Decimal] | None = None,
) -> dict[int, Decimal] | None:
    """Each unit's share of the option's cost, or ``None`` when it cannot be said.

    ``None``: no cost estimate or no sharing rule. ``party`` with a non-resident payer: all 0.
    Units outside the option's building (when it has one) are not in scope and get 0.
    """
    if option.cost is None or not option.rule:
        return None
    units = list(units)
    if option.rule == PARTY:
        if option.paying_party == RESIDENT_PARTY:
            return None
        return {unit.unit_id: Decimal("0.00") for unit in units}
    in_scope = [
        u for u in units if option.building_id is None or u.building_id == option.building_id
    ]
    weights = {u.unit_id: unit_weight(u, option.rule, floor_weights) for u in in_scope}
    shares = dict.fromkeys((u.unit_id for u in units), Decimal("0.00"))
    shares.update(allocate(option.cost, weights))
    return shares


def household_share(
    option: OptionCost,
    units: Sequence[UnitShareInput],
    household_unit_ids: Iterable[int],
    *,
    floor_weights: Mapping[int, Decimal] | None = None,
) -> Decimal | None:
    """What one household (the units one person owns) pays under ``option``; ``None`` if unknown."""
    shares = unit_shares(option, units, floor_weights=floor_weights)
    if shares is None:
        return None
    return sum(
        (shares.get(unit_id, Decimal("0.00")) for unit_id in household_unit_ids), Decimal("0.00")
    )
