"""How simulation and optimisation grow from a county to a city (issue: a city on two cores).

The city is the default county tiled side by side (``benchmarks/city.py``): 1 tile is
the county (33 townships), 6 tiles a city of the seeds' size (198 townships). For
each size, in a fresh process each (so that peak memory is the run's own):

* the network build, and the simulation's milliseconds per city-year (``--reps`` years
  after a warm-up year, in one process and in two worker processes, the two checked to
  give the same events);
* the SAA model of ``--years`` sampled years: variables, build and solve seconds,
  what the solver proved, and peak memory (resident set size).

Targets (issue 16): a ~200-township city-year at most 15 ms; a 200-year SAA of that
city within 60 s. Run: ``python benchmarks/bench_city.py [--tiles 1 2 4 6]
[--years 50] [--reps 50] [--time-limit 120]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure_simulation(tiles: int, reps: int) -> dict[str, float]:
    """Network build seconds and simulated milliseconds per city-year."""
    from city import city

    from sim import build_network, simulate

    scenario = city(tiles)
    started = time.perf_counter()
    build_network(scenario)
    built = time.perf_counter() - started
    simulate(scenario, None, reps=1, seed=1)  # warm-up: imports, caches
    started = time.perf_counter()
    one = simulate(scenario, None, reps=reps, seed=7)
    per_year = (time.perf_counter() - started) / reps
    # Both cores: two worker processes, their start-up included; the same numbers.
    started = time.perf_counter()
    two = simulate(scenario, None, reps=reps, seed=7, jobs=2)
    per_year_two = (time.perf_counter() - started) / reps
    assert one.events.equals(two.events), "two processes gave other numbers"
    return {"build_s": built, "ms_per_year": 1e3 * per_year, "ms_per_year_2": 1e3 * per_year_two}


def measure_saa(tiles: int, years: int, time_limit_s: float) -> dict[str, object]:
    """The SAA model's size, build and solve seconds and what the solver proved."""
    from city import city

    from optimize.demand import sample_years
    from optimize.model import build_problem, solve
    from planner.pipeline import budgets_for
    from sim import build_network

    scenario = city(tiles)
    network = build_network(scenario)
    sample = sample_years(network, seed=3, count=years)
    saa = build_problem(network, sample, budgets_for(scenario))
    report = solve(saa, time_limit_s=time_limit_s, mip_gap=1e-3)
    return {
        "variables": report.variables,
        "constraints": report.constraints,
        "build_s": report.build_s,
        "solve_s": report.solve_s,
        "status": report.status,
        "gap": report.gap,
    }


def _child(kind: str, tiles: int, args: argparse.Namespace) -> dict[str, object]:
    """Run one measurement in a fresh process; its result and its peak memory (MB)."""
    command = [sys.executable, __file__, "--one", kind, str(tiles)]
    command += ["--years", str(args.years), "--reps", str(args.reps)]
    command += ["--time-limit", str(args.time_limit)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=HERE.parent)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, nargs="+", default=[1, 2, 4, 6])
    parser.add_argument("--years", type=int, default=50, help="sampled years in the SAA model")
    parser.add_argument("--reps", type=int, default=50, help="simulated city-years")
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--one", nargs=2, metavar=("KIND", "TILES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    if args.one:
        kind, tiles = args.one[0], int(args.one[1])
        if kind == "sim":
            found = measure_simulation(tiles, args.reps)
        else:
            found = measure_saa(tiles, args.years, args.time_limit)
        found["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(found))
        return
    from run_header import print_header

    print_header()
    print(f"SAA: {args.years} sampled years, time limit {args.time_limit:g} s, gap 0.1%")
    print(
        "tiles townships | network build s | ms per city-year, 1 process | 2 processes | "
        "sim peak MB | SAA variables | build s | solve s | status, gap | SAA peak MB"
    )
    for tiles in args.tiles:
        sim = _child("sim", tiles, args)
        saa = _child("saa", tiles, args)
        print(
            f"{tiles:5d} {33 * tiles:9d} | {sim['build_s']:15.2f} | {sim['ms_per_year']:26.1f} | "
            f"{sim['ms_per_year_2']:11.1f} | "
            f"{sim['peak_mb']:11.0f} | {saa['variables']:13,} | {saa['build_s']:7.1f} | "
            f"{saa['solve_s']:7.1f} | {saa['status']}, {saa['gap']:.2%} | {saa['peak_mb']:11.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
