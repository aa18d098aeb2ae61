"""How much the recommended plan moves when the sample of years it is solved on changes.

An SAA plan is a function of its sample: two disjoint samples of the same size
give two plans, and how much money they put in the same places says how far a
planner can trust the details of either. The measure is :func:`shared_money`,
the share of purchase money two plans have in common, by item or by item and
depot. :func:`plan_stability` estimates it for a sample size from pairs of
disjoint samples; :func:`half_sample_stability` is the cheap check a run can make
on its own sample (split in two), and is pessimistic for the full sample size.

Samples here come from their own block of replications of the hazard sampler,
:data:`STABILITY_OFFSET`, far from the optimiser's own sample
(:data:`optimize.demand.IN_SAMPLE_OFFSET`), the SAA-bounds samples that follow it
and the upper-bound years (:data:`optimize.saa.OUT_OF_SAMPLE_OFFSET`), so no
stability sample ever coincides with one of theirs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from optimize.demand import DemandEvent, sample_years
from optimize.model import Budgets, build_problem, extract_plan, solve
from scenarios.plan import Plan
from sim.network import CountyNetwork

STABILITY_OFFSET = 4_000_000  # stability samples start here, clear of every other block
STABLE_MEAN_SHARE_BY_ITEM = 0.85  # mean share by item over pairs that counts as stable
STABLE_WORST_SHARE_BY_ITEM = 0.75  # and the least any one pair may share by item
SOLVED = ("Optimal Solution Found", "Solution Found")

Grouping = Literal["item", "item_depot"]


class UnsolvedSampleError(RuntimeError):
    """A sample's SAA solve gave no solution, so it has no plan to compare."""


def _money(plan: Plan, prices: dict[str, float], by: Grouping) -> dict[object, float]:
    """Purchase yuan per key (an item id, or an (item id, depot id) pair)."""
    money: dict[object, float] = defaultdict(float)
    for purchase in plan.purchases:
        if purchase.item_id not in prices:
            raise ValueError(f"plan {plan.plan_id!r} buys {purchase.item_id!r}, not in the network")
        key = purchase.item_id if by == "item" else (purchase.item_id, purchase.depot_id)
        money[key] += purchase.quantity * prices[purchase.item_id]
    return money


def shared_money(first: Plan, second: Plan, network: CountyNetwork, by: Grouping = "item") -> float:
    """The share of purchase money two plans have in common, in [0, 1].

    With ``a_k`` and ``b_k`` the yuan each plan spends on key ``k`` (quantity x
    unit price, summed over the plan's purchases) and ``A``, ``B`` their totals::

        shared = sum_k min(a_k, b_k) / max(A, B)

    It is 1 only when both plans spend the same yuan on every key, and 0 when
    they buy nothing in common. Dividing by the larger total means a plan that
    spends less is not counted as agreeing with the part of a larger plan it
    covers. Two plans that buy nothing share everything (1.0). Staffing is left
    out: it is not purchase money.

    Parameters
    ----------
    first, second
        The plans; only their ``purchases`` count.
    network
        Gives the unit prices (``item_ids`` and ``item_price_yuan``, yuan per unit).
    by
        ``"item"``: keys are item ids (where the units are kept does not matter);
        ``"item_depot"``: keys are (item id, depot id) pairs.

    Returns
    -------
    float
        The shared fraction of money, from 0 to 1.
    """
    if by not in ("item", "item_depot"):
        raise ValueError(f"unknown grouping {by!r}: use 'item' or 'item_depot'")
    prices = dict(zip(network.item_ids, network.item_price_yuan.tolist(), strict=True))
    a, b = _money(first, prices, by), _money(second, prices, by)
    larger = max(sum(a.values()), sum(b.values()))
    if larger <= 0:
        return 1.0
    common = sum(min(yuan, b[key]) for key, yuan in a.items() if key in b)
    return float(common / larger)


@dataclass(frozen=True, slots=True)
class Stability:
    """Shared money between plans solved on pairs of independent samples of one size.

    ``by_item[p]`` and ``by_item_depot[p]`` are :func:`shared_money` of pair ``p``
    (fractions, 0 to 1); ``years`` is the size of each sample in years, ``pairs``
    the number of pairs. ``solve_s`` holds each sample's solve time in seconds;
    it is not compared, so the same seed gives an equal ``Stability``.
    """

    years: int
    pairs: int
    by_item: tuple[float, ...]
    by_item_depot: tuple[float, ...]
    solve_s: tuple[float, ...] = field(default=(), compare=False)

    @property
    def mean_by_item(self) -> float:
        """Mean share by item over the pairs."""
        return float(np.mean(self.by_item))

    @property
    def worst_by_item(self) -> float:
        """Smallest share by item of any pair."""
        return min(self.by_item)

    @property
    def mean_by_item_depot(self) -> float:
        """Mean share by item and depot over the pairs."""
        return float(np.mean(self.by_item_depot))

    @property
    def worst_by_item_depot(self) -> float:
        """Smallest share by item and depot of any pair."""
        return min(self.by_item_depot)

    @property
    def stable(self) -> bool:
        """Whether the shares by item meet both :data:`STABLE_MEAN_SHARE_BY_ITEM` and
        :data:`STABLE_WORST_SHARE_BY_ITEM` (for one pair, its share must meet both)."""
        return (
            self.mean_by_item >= STABLE_MEAN_SHARE_BY_ITEM
            and self.worst_by_item >= STABLE_WORST_SHARE_BY_ITEM
        )


def _solved_plan(
    network: CountyNetwork,
    years: list[list[DemandEvent]],
    budgets: Budgets,
    mip_gap: float,
    time_limit_s: float,
    plan_id: str,
) -> tuple[Plan, float]:
    """The SAA plan of one sample and its solve time; refuses a solve with no solution."""
    saa = build_problem(network, years, budgets)
    report = solve(saa, "highs", time_limit_s, mip_gap)
    if report.solution not in SOLVED:
        raise UnsolvedSampleError(
            f"the solve of {plan_id} ({len(years)} years) found no plan "
            f"({report.status}: {report.solution}); try a longer time limit"
        )
    return extract_plan(saa, network, plan_id), report.solve_s


def _pair_shares(
    network: CountyNetwork, plans: list[Plan]
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Shares by item and by item-depot of plans 0 and 1, 2 and 3, ..."""
    pairs = list(zip(plans[0::2], plans[1::2], strict=True))
    by_item = tuple(shared_money(a, b, network, "item") for a, b in pairs)
    by_item_depot = tuple(shared_money(a, b, network, "item_depot") for a, b in pairs)
    return by_item, by_item_depot


def plan_stability(
    network: CountyNetwork,
    budgets: Budgets,
    seed: int,
    years: int,
    pairs: int = 3,
    mip_gap: float = 1e-4,
    time_limit_s: float = 120.0,
) -> Stability:
    """Shared money of plans from ``pairs`` pairs of disjoint samples of ``years`` years.

    Sample ``k`` (``k = 0 .. 2 * pairs - 1``) is replications
    ``STABILITY_OFFSET + k * years`` onwards of the hazard sampler under ``seed``;
    samples ``2p`` and ``2p + 1`` make pair ``p``. Each is solved with HiGHS to
    ``mip_gap`` within ``time_limit_s`` seconds. The disagreement measured
    includes the solver's freedom among plans within ``mip_gap`` of a sample's
    optimum, which is part of what a planner would see.

    Returns
    -------
    Stability
        Shares by item and by item-depot per pair, and each sample's solve time.

    Raises
    ------
    UnsolvedSampleError
        When a sample's solve ends without a solution (no plan is guessed).
    """
    if years < 1 or pairs < 1:
        raise ValueError(f"need at least one year and one pair, not {years} and {pairs}")
    plans, times = [], []
    for k in range(2 * pairs):
        sample = sample_years(network, seed, years, first=STABILITY_OFFSET + k * years)
        plan, solve_s = _solved_plan(
            network, sample, budgets, mip_gap, time_limit_s, f"stability_{years}_{k}"
        )
        plans.append(plan)
        times.append(solve_s)
    by_item, by_item_depot = _pair_shares(network, plans)
    return Stability(years, pairs, by_item, by_item_depot, tuple(times))


def half_sample_stability(
    network: CountyNetwork,
    years_list: list[list[DemandEvent]],
    budgets: Budgets,
    mip_gap: float = 1e-4,
    time_limit_s: float = 120.0,
) -> Stability:
    """Shared money of the plans solved on the first and the second half of a sample.

    For a run that has its sample already: the sampled years are independent,
    so the two halves (``N // 2`` years each; an odd last year is left out) are
    two independent samples of half the size, and their plans' agreement is
    one pair's figure for ``N // 2`` years at the cost of two half-size solves.
    It is **pessimistic for the full sample**: a plan from ``N`` years moves
    less between samples than one from ``N / 2``, so a run whose halves agree
    is stable, and one whose halves disagree may still be. It is also a single
    pair, so it varies more than :func:`plan_stability`'s mean.

    Returns
    -------
    Stability
        One pair (``pairs == 1``) of samples of ``N // 2`` years.

    Raises
    ------
    UnsolvedSampleError
        When a half's solve ends without a solution.
    """
    half = len(years_list) // 2
    if half < 1:
        raise ValueError(f"need at least two sampled years to split, not {len(years_list)}")
    plans, times = [], []
    for number, part in enumerate((years_list[:half], years_list[half : 2 * half])):
        plan, solve_s = _solved_plan(
            network, part, budgets, mip_gap, time_limit_s, f"half_sample_{number}"
        )
        plans.append(plan)
        times.append(solve_s)
    by_item, by_item_depot = _pair_shares(network, plans)
    return Stability(half, 1, by_item, by_item_depot, tuple(times))
