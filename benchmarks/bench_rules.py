"""What the planning rules and norms cost and change: the default county solved with and without.

The same sampled years are solved twice at the scenario's budget: with the
scenario's planning rules and norms (``scenarios.rules``, ``scenarios.norms``)
and without them (``build_problem(..., planning_rules=False)``: purchase tiers
only). Per solve: the model's objective (in sample), bound, gap, build and solve
time, how many item types the plan buys, its money by category and to the
county depot, how many rules it breaks and how many norms it meets.

``--candidate-depot T14:80000`` adds an empty county store in that township at that
yearly upkeep (400 m3), to measure what asking "should we build it?" costs the solve.

Run: ``python benchmarks/bench_rules.py [--years 200] [--mip-gap 1e-3] [--candidate-depot T:Y]``.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

from run_header import default_county

from optimize.demand import sample_years
from optimize.model import build_problem, extract_plan, solve
from scenarios.norms import compliance
from scenarios.rules import breaches
from scenarios.schema import Depot
from sim import build_network


def _shares(plan, scenario) -> str:
    items = {item.item_id: item for item in scenario.items}
    money: dict[str, float] = defaultdict(float)
    county = 0.0
    for purchase in plan.purchases:
        item = items[purchase.item_id]
        cost = purchase.quantity * item.unit_price_yuan
        money[item.category] += cost
        county += cost if purchase.depot_id.startswith("D_COUNTY") else 0.0
    total = sum(money.values()) or 1.0
    split = ", ".join(f"{c} {v / total:.1%}" for c, v in sorted(money.items()))
    return f"{split}; county depot {county / total:.1%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=200)
    parser.add_argument("--mip-gap", type=float, default=1e-3)
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--candidate-depot", help="TOWNSHIP:UPKEEP, an empty county store")
    args = parser.parse_args()
    scenario, network, budgets = default_county()
    if args.candidate_depot:
        township, upkeep = args.candidate_depot.split(":")
        store = Depot(
            depot_id="D_CANDIDATE", tier="county", township_id=township, capacity_m3=400,
            upkeep_yuan_per_year=float(upkeep),
        )  # fmt: skip
        scenario = scenario.model_copy(update={"depots": (*scenario.depots, store)})
        network = build_network(scenario)
        print(f"with an empty county store in {township} at {float(upkeep):,.0f} yuan a year")
    print(
        f"default county, {budgets.procurement_yuan:,.0f} yuan, {args.years} sampled years "
        f"(seed {scenario.seed}), gap asked {args.mip_gap:g}",
        flush=True,
    )
    years = sample_years(network, scenario.seed, args.years)
    for planning_rules in (True, False):
        started = time.perf_counter()
        saa = build_problem(network, years, budgets, planning_rules=planning_rules)
        report = solve(saa, "highs", args.time_limit, args.mip_gap)
        plan = extract_plan(saa, network)
        norms = compliance(scenario, plan)
        label = "with the rules and norms" if planning_rules else "without them"
        proved = "proved" if report.optimal else "NOT proved"
        print(
            f"{label}: objective {report.objective:,.0f} yuan-equivalent/yr (in sample), bound "
            f"{report.best_bound:,.0f}, gap {report.gap:.3%} ({proved}); build "
            f"{report.build_s:.1f} s, solve {report.solve_s:.1f} s ({report.method}); "
            f"{time.perf_counter() - started:.0f} s in all",
            flush=True,
        )
        print(
            f"  buys {len({p.item_id for p in plan.purchases})} of {len(scenario.items)} "
            f"item types; {_shares(plan, scenario)}; breaks {len(breaches(plan, scenario))} "
            f"rules; meets {sum(n.meets_after for n in norms)} of {len(norms)} norms; "
            f"pays {plan.upkeep_yuan(scenario):,.0f} yuan of depot upkeep",
            flush=True,
        )


if __name__ == "__main__":
    main()
