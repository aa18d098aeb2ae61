"""What the default county's list rests on, and what finding it out costs.

The plan is solved on the sampled years, then re-solved with each judgement of
``optimize.sensitivity`` halved and doubled (what ``yingji optimize
--sensitivity`` does). Prints the time of the base solve and of every re-solve,
the wall time on the processes asked for, and the money each judgement moves
between categories.

Run: ``python benchmarks/bench_sensitivity.py [--years 200] [--jobs 2] [--mip-gap 1e-3]``.
"""

from __future__ import annotations

import argparse
import time

from run_header import default_county

from optimize.demand import sample_years
from optimize.model import build_problem, extract_plan, solve
from optimize.records import money_moved
from optimize.sensitivity import sensitivity_rows, solve_scaled, tasks
from planner.executors import open_executor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--mip-gap", type=float, default=1e-3)
    parser.add_argument("--time-limit", type=float, default=600.0)
    args = parser.parse_args()
    scenario, network, budgets = default_county()
    print(
        f"default county, {budgets.procurement_yuan:,.0f} yuan, {args.years} sampled years "
        f"(seed {scenario.seed}), gap asked {args.mip_gap:g}, {args.jobs} processes",
        flush=True,
    )
    started = time.perf_counter()
    years = sample_years(network, scenario.seed, args.years)
    saa = build_problem(network, years, budgets)
    report = solve(saa, "highs", args.time_limit, args.mip_gap)
    base = extract_plan(saa, network)
    print(f"base solve: {time.perf_counter() - started:.1f} s ({report.status})", flush=True)
    made = tasks(scenario, budgets, scenario.seed, args.years, args.mip_gap, args.time_limit, 1)
    started = time.perf_counter()
    done = {}
    with open_executor(args.jobs) as executor:
        for task, outcome in executor.run(_timed, made):
            plan, how, seconds = outcome
            done[(task.parameter, task.factor)] = (task, plan, how)
            print(f"  {task.parameter} x{task.factor:g}: {seconds:.1f} s, {how}", flush=True)
    wall = time.perf_counter() - started
    print(f"{len(made)} re-solves: {wall:.0f} s wall on {args.jobs} processes")
    rows = sensitivity_rows(scenario, base, [done[(t.parameter, t.factor)] for t in made])
    moved = money_moved(rows)
    print(moved.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))


def _timed(task):
    started = time.perf_counter()
    plan, how = solve_scaled(task)
    return plan, how, time.perf_counter() - started


if __name__ == "__main__":
    main()
