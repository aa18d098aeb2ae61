"""How stable the default county's plan is across samples of the same size.

For each sample size N (``--years``): ``--pairs`` pairs of disjoint samples of N
years (``optimize.stability.plan_stability``), each solved for its plan; per size
the mean and worst pair's shared money by item and by item and depot, each
pair's shares, the solve times and a verdict against the stability threshold
(mean by item >= 85%, worst pair >= 75%). Then, per size, the cheap check a run
can make on its own sample (``half_sample_stability`` on the optimiser's own N
years: two halves of N/2), to see how well it predicts the pairs' figures.
Budgets are the scenario's, as ``yingji optimize`` uses them.

Run: ``python benchmarks/bench_stability.py [--years 50,100,200] [--pairs 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

from run_header import default_county

from optimize.demand import sample_years
from optimize.stability import (
    STABLE_MEAN_SHARE_BY_ITEM,
    STABLE_WORST_SHARE_BY_ITEM,
    Stability,
    half_sample_stability,
    plan_stability,
)


def _shares(values: tuple[float, ...]) -> str:
    return ", ".join(f"{value:.1%}" for value in values)


def _times(values: tuple[float, ...]) -> str:
    return (
        f"solve {min(values):.1f}–{max(values):.1f} s "
        f"(median {statistics.median(values):.1f} s, {len(values)} solves)"
    )


def _verdict(result: Stability) -> str:
    if result.stable:
        return "STABLE"
    short = []
    if result.mean_by_item < STABLE_MEAN_SHARE_BY_ITEM:
        short.append(f"mean by item below {STABLE_MEAN_SHARE_BY_ITEM:.0%}")
    if result.worst_by_item < STABLE_WORST_SHARE_BY_ITEM:
        short.append(f"worst pair by item below {STABLE_WORST_SHARE_BY_ITEM:.0%}")
    return "NOT STABLE (" + "; ".join(short) + ")"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", default="50,100,200", help="sample sizes, comma-separated")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--mip-gap", type=float, default=1e-4)
    parser.add_argument("--time-limit", type=float, default=600.0)
    args = parser.parse_args()
    scenario, network, budgets = default_county()
    print(
        f"budgets: procurement {budgets.procurement_yuan:,.0f} yuan, staffing "
        f"{'decided' if budgets.optimises_staffing else 'as it stands'}; seed {scenario.seed}; "
        f"{args.pairs} pairs per size; gap asked {args.mip_gap:g}; threshold: mean by item "
        f">= {STABLE_MEAN_SHARE_BY_ITEM:.0%} and worst pair >= {STABLE_WORST_SHARE_BY_ITEM:.0%}",
        flush=True,
    )
    for years in (int(text) for text in args.years.split(",")):
        started = time.perf_counter()
        pairs = plan_stability(
            network, budgets, scenario.seed, years, args.pairs, args.mip_gap, args.time_limit
        )
        print(
            f"N={years}: by item mean {pairs.mean_by_item:.1%}, worst {pairs.worst_by_item:.1%} "
            f"[{_shares(pairs.by_item)}]; by item-depot mean {pairs.mean_by_item_depot:.1%}, "
            f"worst {pairs.worst_by_item_depot:.1%} [{_shares(pairs.by_item_depot)}]; "
            f"{_times(pairs.solve_s)}; {time.perf_counter() - started:.0f} s in all; "
            f"{_verdict(pairs)}",
            flush=True,
        )
        started = time.perf_counter()
        own = sample_years(network, scenario.seed, years)
        half = half_sample_stability(network, own, budgets, args.mip_gap, args.time_limit)
        print(
            f"N={years}: half-sample check on the optimiser's own {years} years "
            f"(2 x {half.years}): by item {half.by_item[0]:.1%}, "
            f"by item-depot {half.by_item_depot[0]:.1%}; {_times(half.solve_s)}; "
            f"{time.perf_counter() - started:.0f} s in all",
            flush=True,
        )


if __name__ == "__main__":
    main()
