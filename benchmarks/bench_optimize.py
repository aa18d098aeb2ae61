"""Optimizer quality and speed on the default county at its 2.8M yuan budget.

Prints:

* model size, build and solve times with HiGHS and CBC at 50 and 200 sampled years,
  the solver status and MIP gap, and the same with staffing decided too; HiGHS again
  at a looser gap (``--rounding-gap``), where the rounded LP relaxation is enough;
* the SAA statistical gap (multiple-replications procedure) of the 200-year plan;
* every plan's simulated weighted unmet demand (95% CI) on common random numbers,
  and the optimised plans' cut against last year's rule (ratio of means, 95% CI).

Run: ``python benchmarks/bench_optimize.py [--reps 500] [--cbc-limit 600]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import scenarios
from optimize.baselines import equal_split, last_year_rule, status_quo
from optimize.demand import sample_years
from optimize.evaluate import paired_reduction
from optimize.greedy import greedy
from optimize.model import (
    Budgets,
    build_problem,
    extract_plan,
    minimum_staffing_cost,
    payroll_yuan,
    solve,
)
from optimize.saa import saa_bounds
from planner.pipeline import judge
from sim import build_network

BUDGET = 2_800_000


def _line(label: str, report) -> str:
    return (
        f"{label}: {report.variables:,} variables ({report.integers:,} integer), "
        f"{report.constraints:,} constraints; build {report.build_s:.1f} s, "
        f"solve {report.solve_s:.1f} s ({report.method}); {report.solution}, "
        f"{'proved optimal' if report.optimal else 'NOT proved optimal'}, gap {report.gap:.3%}, "
        f"in-sample {report.objective:,.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--cbc-limit", type=float, default=600.0)
    parser.add_argument("--highs-limit", type=float, default=600.0)
    parser.add_argument("--bounds-replications", type=int, default=4)
    parser.add_argument("--rounding-gap", type=float, default=1e-3)
    parser.add_argument("--skip-cbc", action="store_true", help="leave the CBC solves out")
    parser.add_argument(
        "--timing-only", action="store_true", help="stop after the build and solve times"
    )
    args = parser.parse_args()
    scenario = scenarios.load()
    network = build_network(scenario)
    seed = scenario.seed
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    budgets = Budgets(BUDGET)
    payroll = payroll_yuan(network)
    staffing = Budgets(BUDGET, staffing_yuan=payroll * 1.05)
    print(
        f"staffing budget for the staffing runs: {payroll * 1.05:,.0f} yuan "
        f"(today's payroll {payroll:,.0f} + 5%; "
        f"minimum staffing {minimum_staffing_cost(network):,.0f})"
    )
    plans = {}
    for years in (50, 200):
        sample = sample_years(network, seed, years)
        saa = build_problem(network, sample, budgets)
        report = solve(saa, "highs", args.highs_limit, 1e-4)
        print(_line(f"HiGHS, {years} years", report))
        plans[years] = extract_plan(saa, network, f"optimised_{years}")
        if not args.skip_cbc:
            cbc = solve(build_problem(network, sample, budgets), "cbc", args.cbc_limit, 1e-4)
            print(_line(f"CBC,   {years} years", cbc))
        with_staff = build_problem(network, sample, staffing)
        print(
            _line(
                f"HiGHS, {years} years, staffing decided",
                solve(with_staff, "highs", args.highs_limit),
            )
        )
        loose = f"gap asked {args.rounding_gap:g}"
        rounded = build_problem(network, sample, budgets)
        report = solve(rounded, "highs", args.highs_limit, args.rounding_gap)
        print(_line(f"HiGHS, {years} years, {loose}", report))
        if years == 200:
            plans["rounded"] = extract_plan(rounded, network, f"optimised_{years}_loose")
        with_staff = build_problem(network, sample, staffing)
        report = solve(with_staff, "highs", args.highs_limit, args.rounding_gap)
        print(_line(f"HiGHS, {years} years, staffing decided, {loose}", report))

    if args.timing_only:
        return
    started = time.perf_counter()
    bounds = saa_bounds(network, plans[200], budgets, seed, args.bounds_replications, 200, 500)
    print(
        f"SAA bounds (M={bounds.replications} x {bounds.years_per_replication} years, "
        f"upper on {bounds.evaluation_years} fresh years, {time.perf_counter() - started:.0f} s): "
        f"lower {bounds.lower_mean:,.0f} (95% >= {bounds.lower_low:,.0f}), "
        f"upper {bounds.upper_mean:,.0f} (95% <= {bounds.upper_high:,.0f}), "
        f"gap {bounds.gap:,.0f} = {bounds.relative_gap:.2%} (95% <= {bounds.relative_gap_high:.2%})"
    )

    started = time.perf_counter()
    greedy_plan = greedy(network, BUDGET, seed)
    print(f"greedy baseline built in {time.perf_counter() - started:.0f} s")
    candidates = [
        status_quo(),
        plans[200],
        plans["rounded"],
        plans[50],
        last_year_rule(network, BUDGET),
        equal_split(network, BUDGET),
        greedy_plan,
    ]
    judged = judge(scenario, candidates, args.reps, seed, jobs=2)
    evaluation, yearly = judged.evaluation, judged.yearly
    for row in evaluation.itertuples(index=False):
        print(
            f"{row.plan:>20}: purchases {row.purchase_cost_yuan:>11,.0f} yuan, weighted unmet "
            f"{row.weighted_unmet_mean:>11,.0f} (95% CI {row.weighted_unmet_ci_low:,.0f} – "
            f"{row.weighted_unmet_ci_high:,.0f})"
        )
    for plan_id in ("optimised_200", plans["rounded"].plan_id):
        for baseline in ("last_year_rule", "equal_split", "greedy", "status_quo"):
            cut, low, high = paired_reduction(yearly, plan_id, baseline)
            print(
                f"{plan_id} cuts weighted unmet vs {baseline} by {cut:.1%} "
                f"(95% CI {low:.1%} – {high:.1%})"
            )


if __name__ == "__main__":
    main()
