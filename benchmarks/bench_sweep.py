"""Sweep throughput on the default county: 1 process, 2 processes, a 2-worker Dask cluster.

A 40-cell budget sweep (20 budget levels from 1M to 5.75M yuan, normal and wet
year), each cell optimising its purchases and simulating the optimised plan,
the status quo and last year's rule. Prints, for each executor, the wall time,
cells per minute, the speed-up over one process, and the executor's cost per cell
two ways, each as a share of a cell on one process:
* outside cells: (wall time x workers - time spent inside cells) / cells;
* in all: wall time x workers / cells - the mean cell on one process, which also
  counts a cell running slower inside a worker than on its own;
and the executor's own cost between cells, from the times the cell files were
written: the workers' time from the first cell's start to the last cell's end, less
the time inside cells and the idle tail once no cell is left to start (the
workload's granularity, not the executor's), per cell. What is left of the wall
time is the fixed cost of starting and stopping the executor.
Checks that all runs wrote the same numbers.

Run: ``python benchmarks/bench_sweep.py [--reps 100] [--sampled-years 50]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import tempfile
import time
from pathlib import Path

import pandas as pd
from rich.console import Console

from planner.results import load_results
from planner.sweeping import SweepRequest, run_sweep

BUDGETS = [1_000_000 + 250_000 * step for step in range(20)]
SWEEP = """
[sweep]
name_en = "Benchmark: 40-cell budget sweep"
scenario = "default"
reps = {reps}
sampled_years = {sampled_years}
[grid]
budget_yuan = {budgets}
rain_intensity = {{ values = [1.0, 1.5], labels = ["normal", "wet"] }}
"""
TIMING = ["cell_s", "solve_s"]


def _run(
    path: Path, out: Path, workers: int, **executor
) -> tuple[float, pd.DataFrame, pd.DataFrame, float]:
    quiet = Console(stderr=True, quiet=True)
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # the sweep's own table is not needed
        run_sweep(SweepRequest(path, out=out, **executor), quiet)
    wall = time.perf_counter() - started
    summary, years = load_results(out)
    return wall, summary, years, _busy_span(out, summary, workers)


def _busy_span(out: Path, summary: pd.DataFrame, workers: int) -> tuple[float, float]:
    """(seconds from the first cell's start to the last cell's end, idle tail in worker-seconds)."""
    written = pd.Series(
        {int(f.stem.split("-")[1]): f.stat().st_mtime_ns / 1e9 for f in (out / "cells").glob("*")}
    )
    inside = _cell_seconds(summary)
    first_start = (written - inside.reindex(written.index)).min()
    ends = written.sort_values().to_numpy()
    tail = float(sum(ends[-1] - ends[-1 - k] for k in range(1, min(workers, len(ends)))))
    return float(ends[-1] - first_start), tail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--sampled-years", type=int, default=50)
    parser.add_argument(
        "--executors",
        default="serial,pool,dask",
        help="which to run, comma-separated (serial is always run: it is the reference)",
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        f" ({platform.system()}); reps {args.reps}, sampled years {args.sampled_years}"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sweep.toml"
        text = SWEEP.format(reps=args.reps, sampled_years=args.sampled_years, budgets=BUDGETS)
        path.write_text(text, encoding="utf-8")
        chosen = set(args.executors.split(",")) | {"serial"}
        runs = {
            label: executor
            for key, label, executor in (
                ("serial", "1 process", {"jobs": 1}),
                ("pool", "2 processes", {"jobs": 2}),
                ("dask", "Dask LocalCluster, 2 workers", {"local_cluster": 2}),
            )
            if key in chosen
        }
        measured = {}
        for label, executor in runs.items():
            workers = executor.get("jobs", executor.get("local_cluster"))
            out = Path(folder) / label.replace(" ", "_")
            measured[label] = (*_run(path, out, workers, **executor), workers)
            print(f"{label}: {measured[label][0]:.1f} s", flush=True)
    serial_wall, serial_summary, serial_years, _, _ = measured["1 process"]
    cells = serial_summary["cell"].nunique()
    alone = _cell_seconds(serial_summary).mean()
    for label, (wall, summary, years, (span, tail), workers) in measured.items():
        same = summary.drop(columns=TIMING).equals(serial_summary.drop(columns=TIMING))
        same = same and years.equals(serial_years)
        inside = _cell_seconds(summary)
        outside = (wall * workers - inside.sum()) / cells
        in_all = wall * workers / cells - alone
        between = (span * workers - tail - inside.sum()) / cells
        print(
            f"{label}: {cells} cells in {wall:.1f} s = {cells / wall * 60:.1f} cells/min; "
            f"speed-up {serial_wall / wall:.2f}x; mean cell {inside.mean():.2f} s; "
            f"overhead outside cells {outside:.2f} s/cell = {outside / alone:.1%}, "
            f"in all {in_all:.2f} s/cell = {in_all / alone:.1%} of a cell on 1 process; "
            f"between cells {between:.3f} s/cell = {between / inside.mean():.2%} of its cells, "
            f"idle tail {tail:.1f} worker-s, start and stop {wall - span:.1f} s; "
            f"same numbers as 1 process: {'yes' if same else 'NO'}"
        )


def _cell_seconds(summary: pd.DataFrame) -> pd.Series:
    return summary.groupby("cell")["cell_s"].first()


if __name__ == "__main__":
    main()
