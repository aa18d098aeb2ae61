"""Time for a plan over several years of the default county, and how it grows with the years.

Plans ``--years`` counts of years (1, 3, 5 and 10 by default) of the bundled county at
its budget every year, with the defaults of ``yingji plan-years`` (200 sampled years to
choose, 200 simulated years to judge each year), and prints the seconds each took, the
seconds a year, and the last year's weighted shortfall, so the growth is seen to be
linear in the years (each year is one optimisation and one simulation).

Run: ``python benchmarks/bench_plan_years.py [--years 1 3 5 10] [--jobs 2]``.
"""

from __future__ import annotations

import argparse
import time

from run_header import default_county

from optimize.years import YearsSettings, plan_years


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, nargs="+", default=[1, 3, 5, 10])
    parser.add_argument("--sampled-years", type=int, default=200)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    scenario, _, budgets = default_county()
    settings = YearsSettings(args.sampled_years, args.reps, jobs=args.jobs)
    print(
        f"default county, {budgets.procurement_yuan:,.0f} yuan a year, {args.sampled_years} "
        f"sampled years, {args.reps} judging years a year, {args.jobs} simulation processes"
    )
    print("| years | s | s a year | last year | its weighted shortfall (95% CI) | proved |")
    print("| --- | --- | --- | --- | --- | --- |")
    for count in args.years:
        started = time.perf_counter()
        planned = plan_years(scenario, (budgets.procurement_yuan,) * count, settings)
        spent = time.perf_counter() - started
        last = planned.years[-1]
        proved = sum(row.proved_optimal for row in planned.years)
        print(
            f"| {count} | {spent:.1f} | {spent / count:.1f} | {last.year} | "
            f"{last.weighted_unmet_mean:,.0f} ({last.weighted_unmet_ci_low:,.0f} – "
            f"{last.weighted_unmet_ci_high:,.0f}) | {proved} of {count} |"
        )


if __name__ == "__main__":
    main()
