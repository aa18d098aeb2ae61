"""The SAA gap of the default county's plan at 2.8M yuan, for several sample sizes.

For each number of sampled years N: the plan optimised on N years, then the
multiple-replications procedure (``optimize.saa.saa_bounds``) with M further
independent samples of N years and an upper bound on 500 fresh years. Prints
build and solve times, the lower and upper bound estimates and the gap with its
one-sided 95% limit, in yuan-equivalent per year and as a share of the upper bound.
Then every N's plan and last year's rule are simulated on the same years
(``--judge-reps``), each plan's cut against the rule with its 95% CI.

Run: ``python benchmarks/bench_saa_gap.py [--years 200,500,1000] [--replications 4]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import scenarios
from optimize.baselines import last_year_rule
from optimize.demand import sample_years
from optimize.evaluate import paired_reduction
from optimize.model import Budgets, build_problem, extract_plan, solve
from optimize.saa import saa_bounds
from planner.pipeline import judge
from sim import build_network

BUDGET = 2_800_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", default="200,500,1000", help="sample sizes, comma-separated")
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--evaluation-years", type=int, default=500)
    parser.add_argument("--mip-gap", type=float, default=1e-3)
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--judge-reps", type=int, default=500, help="0 leaves the judging out")
    args = parser.parse_args()
    scenario = scenarios.load()
    network = build_network(scenario)
    budgets = Budgets(BUDGET)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        f"; M = {args.replications}, gap asked {args.mip_gap:g}"
    )
    plans = []
    for years in (int(text) for text in args.years.split(",")):
        started = time.perf_counter()
        saa = build_problem(network, sample_years(network, scenario.seed, years), budgets)
        report = solve(saa, "highs", args.time_limit, args.mip_gap)
        plan = extract_plan(saa, network, f"optimised_{years}")
        plans.append(plan)
        print(
            f"N={years}: build {report.build_s:.1f} s, solve {report.solve_s:.1f} s "
            f"({report.method}, gap {report.gap:.3%}), in-sample {report.objective:,.0f}",
            flush=True,
        )
        bounds = saa_bounds(
            network,
            plan,
            budgets,
            scenario.seed,
            args.replications,
            years,
            args.evaluation_years,
            time_limit_s=args.time_limit,
            mip_gap=args.mip_gap,
        )
        print(
            f"N={years}: lower {bounds.lower_mean:,.0f} (95% >= {bounds.lower_low:,.0f}), "
            f"upper {bounds.upper_mean:,.0f} (95% <= {bounds.upper_high:,.0f}), "
            f"gap {bounds.gap:,.0f} = {bounds.relative_gap:.2%} "
            f"(95% <= {bounds.relative_gap_high:.2%}); {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    if args.judge_reps:
        _judge(scenario, network, plans, args.judge_reps)


def _judge(scenario, network, plans, reps: int) -> None:
    rule = last_year_rule(network, BUDGET)
    judged = judge(scenario, [rule, *plans], reps, scenario.seed, jobs=2)
    evaluation, yearly = judged.evaluation, judged.yearly
    for row in evaluation.itertuples(index=False):
        print(
            f"{row.plan:>16}: weighted unmet {row.weighted_unmet_mean:,.0f} "
            f"(95% CI {row.weighted_unmet_ci_low:,.0f} – {row.weighted_unmet_ci_high:,.0f})"
        )
    for plan in plans:
        cut, low, high = paired_reduction(yearly, plan.plan_id, rule.plan_id)
        print(f"{plan.plan_id} cuts it vs last year's rule by {cut:.1%} ({low:.1%}–{high:.1%})")


if __name__ == "__main__":
    main()
