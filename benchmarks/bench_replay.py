"""Replayed event tables: loading, sampling and a weighted scenario set, on the default county.

Prints, for replay tables made up on the bundled default county (random
townships, hazards in proportion to their annual rates, times spread over the
year, ``--events`` events a year):

* loading the table and sampling every year of it for the optimizer
  (``optimize.demand.sample_years``), at 4,000 and at 100,000 recorded years;
* at 4,000 years, the same sampling when every replication filters and sorts
  the whole table for its year (the way replay worked before the table was
  indexed by year), for comparison;
* overlap grouping of one busy year, the sweep against the pairwise search it
  replaced;
* a 51-year scenario set with five-decimal probabilities (``--set-events`` a
  year, about the default county's own rate): loaded, each year sampled once
  with its probability, and optimised at the county's budget (build, HiGHS solve).

Run: ``python benchmarks/bench_replay.py [--years 4000,100000] [--events 3]``.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

import scenarios
from optimize.demand import overlapping_groups, recorded_years, sample_years
from optimize.model import Budgets, build_problem, solve
from planner.pipeline import budgets_for
from scenarios.loader import input_files
from sim import build_network
from sim.hazards import HOURS_PER_YEAR

SET_YEARS = 51


def write_table(
    base: scenarios.Scenario, folder: Path, years: int, events: float, seed: int, weighted: bool
) -> Path:
    """A scenario like ``base`` that replays a made-up table of ``years`` recorded years."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(events, size=years)
    rates = np.array([h.annual_rate for h in base.hazards])
    hazards = rng.choice(len(rates), size=counts.sum(), p=rates / rates.sum())
    towns = rng.integers(0, len(base.townships), size=counts.sum())
    header = ["replication", "time_h", "township_id", "hazard", "severity_people"]
    if weighted:
        header.append("probability")
        # Five decimals that sum to 1 exactly, as a published set gives them.
        shares = rng.multinomial(100_000 - years, np.full(years, 1 / years)) + 1
        probabilities = [f"{share / 100_000:.5f}" for share in shares]
    rows, event = [], 0
    for year, count in enumerate(counts):
        for _ in range(count):
            hazard = base.hazards[hazards[event]]
            people = hazard.severity_median_people * np.exp(hazard.severity_sigma * rng.normal())
            when = f"{rng.random() * HOURS_PER_YEAR:.2f}"
            town = base.townships[towns[event]].township_id
            row = [year, when, town, hazard.hazard_id, f"{people:.1f}"]
            rows.append(row + ([probabilities[year]] if weighted else []))
            event += 1
        if count == 0:
            rows.append([year, "", "", "", ""] + ([probabilities[year]] if weighted else []))
    table = folder / "replay.csv"
    with table.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return _scenario_file(base, folder)


def _scenario_file(base: scenarios.Scenario, folder: Path) -> Path:
    """A copy of ``base``'s files in ``folder``, its TOML naming the replay table too."""
    source = Path(base.source_path)
    for file in input_files(source):
        target = folder / file.relative_to(source.parent)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, target)
    path = folder / source.name
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith("[tables]"))
    lines.insert(at + 1, 'replay = "replay.csv"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def old_replay_rows(scenario: scenarios.Scenario, replication: int) -> list:
    """A replication's rows found as before: the whole table filtered and sorted for its year."""
    assert scenario.replay is not None
    years = sorted({e.replication for e in scenario.replay})
    year = years[replication % len(years)]
    return sorted((e for e in scenario.replay if e.replication == year), key=lambda e: e.time_h)


def old_overlapping_groups(events: list) -> list[list[int]]:
    """The pairwise overlap search the sweep replaced (quadratic in the year's events)."""
    starts = sorted(range(len(events)), key=lambda k: events[k].alarm_h)
    groups: list[set[int]] = []
    for k in starts:
        moment = events[k].alarm_h
        active = {j for j in starts if events[j].alarm_h <= moment < max(events[j].end_h, moment)}
        active.add(k)
        if not any(active <= group for group in groups):
            groups = [group for group in groups if not group <= active] + [active]
    return [sorted(group) for group in groups]


def _timed(function, *args):
    started = time.perf_counter()
    value = function(*args)
    return value, time.perf_counter() - started


def bench_sampling(base: scenarios.Scenario, years: int, events: float, seed: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_table(base, Path(folder), years, events, seed, weighted=False)
        scenario, load_s = _timed(scenarios.load, path)
    network = build_network(scenario)
    sample, sample_s = _timed(sample_years, network, seed, years)
    count = sum(len(year) for year in sample)
    print(
        f"{years:,} recorded years ({len(scenario.replay or ()):,} events): load {load_s:.2f} s, "
        f"sample every year {sample_s:.2f} s ({count:,} demand events)"
    )
    if years <= 10_000:
        started = time.perf_counter()
        for k in range(years):
            old_replay_rows(scenario, k)
        old_s = time.perf_counter() - started
        print(f"  finding each year's rows the old way (whole table per year): {old_s:.2f} s")


def bench_overlaps(base: scenarios.Scenario, events: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    starts = np.round(rng.random(events) * HOURS_PER_YEAR, 1)
    lengths = np.round(rng.lognormal(3.0, 1.0, events), 1)

    class Interval:
        __slots__ = ("alarm_h", "end_h")

        def __init__(self, alarm_h: float, end_h: float) -> None:
            self.alarm_h, self.end_h = alarm_h, end_h

    year = [Interval(float(a), float(a + b)) for a, b in zip(starts, lengths, strict=True)]
    new, new_s = _timed(overlapping_groups, year)
    old, old_s = _timed(old_overlapping_groups, year)
    print(
        f"overlap groups of one year with {events:,} events: sweep {new_s * 1e3:.1f} ms, "
        f"pairwise {old_s * 1e3:.0f} ms, same groups: {new == old}"
    )


def bench_weighted_set(base: scenarios.Scenario, events: float, seed: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_table(base, Path(folder), SET_YEARS, events, seed, weighted=True)
        scenario = scenarios.load(path)
    network = build_network(scenario)
    (years, weights), sample_s = _timed(recorded_years, network, seed)
    budgets: Budgets = budgets_for(scenario)
    saa, build_s = _timed(build_problem, network, years, budgets, None, None, True, weights)
    report = solve(saa, "highs", 300.0, 1e-4)
    proved = "proved optimal" if report.optimal else "NOT proved optimal"
    print(
        f"{SET_YEARS}-year set with five-decimal probabilities (sum {sum(weights):.5f}): "
        f"{len(years)} years sampled once each in {sample_s:.2f} s; build {build_s:.2f} s, "
        f"solve {report.solve_s:.2f} s ({report.method}, {proved}); expected penalty "
        f"{report.objective:,.0f} yuan/yr = weighted mean of the years' "
        f"{float(np.dot(weights, saa.year_costs())):,.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", default="4000,100000", help="table sizes, comma-separated")
    parser.add_argument("--events", type=float, default=3.0, help="mean events per year")
    parser.add_argument("--overlap-events", type=int, default=3000)
    parser.add_argument("--set-events", type=float, default=12.0, help="events a year, 51-year set")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    base = scenarios.load()
    for years in (int(text) for text in args.years.split(",")):
        bench_sampling(base, years, args.events, args.seed)
    bench_overlaps(base, args.overlap_events, args.seed)
    bench_weighted_set(base, args.set_events, args.seed)


if __name__ == "__main__":
    main()
