"""A province-wide sweep on a Dask cluster of separate processes: wall time, cells/min, memory.

Generates a province of ``--counties`` counties from the bundled county,
deterministically by ``--seed``: each county's hazard rates, township
populations and procurement budget scaled by its own factors. Each is written as
county files (its TOML and CSV tables) in a temporary folder, so the sweep reads
them the way a province planner's files are read. A sweep file lists them
(``counties = ["counties/*/county.toml"]``) over ``budget_factor``.

The cluster is started as the tests start it: ``dask scheduler`` on a free port,
then ``--workers`` separate ``dask worker`` processes (one process, one thread each)
given its address; ``yingji sweep --scheduler ADDRESS`` runs in a process of its
own. Prints the time to read and check the sweep file, the memory it holds, the
sweep's wall time, cells per minute, and the sweep process's peak memory.

Run: ``python benchmarks/bench_province.py [--counties 100] [--factors 1.0 1.2]
[--reps 10] [--sampled-years 10] [--workers 2] [--seed 1] [--trace-memory]``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gc
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from run_header import print_header

from scenarios.loader import default_scenario_path, input_files
from scenarios.sweep import load_sweep

ROOT = Path(__file__).resolve().parents[1]
SWEEP = """
[sweep]
name_zh = "基准省"
name_en = "Benchmark province"
counties = ["counties/*/county.toml"]
reps = {reps}
sampled_years = {sampled_years}
time_limit_s = 120

[grid]
budget_factor = {factors}
"""


def write_province(folder: Path, counties: int, seed: int) -> list[Path]:
    """``counties`` variants of the bundled county as county files, the same for one seed."""
    rng = np.random.default_rng(seed)
    source = default_scenario_path()
    tables = input_files(source)[1:]
    text = source.read_text(encoding="utf-8")
    paths = []
    for number in range(1, counties + 1):
        hazards, people, budget = (
            rng.uniform(0.6, 1.6),
            rng.uniform(0.5, 1.5),
            rng.uniform(0.7, 1.5),
        )
        county = folder / "counties" / f"{number:03d}"
        (county / "default_county").mkdir(parents=True)
        for table in tables:
            shutil.copyfile(table, county / "default_county" / table.name)
        _scale_population(county / "default_county" / "townships.csv", people)
        path = county / "county.toml"
        path.write_text(_county_toml(text, number, hazards, budget), encoding="utf-8")
        paths.append(path)
    return paths


def _county_toml(text: str, number: int, hazards: float, budget: float) -> str:
    """The bundled county's TOML with its own id, names, seed, budget and hazard rates."""
    head, _, rest = text.partition("[[hazards]]")
    head = re.sub(r'(?m)^scenario_id = "[^"]*"', f'scenario_id = "county_{number:03d}"', head)
    head = re.sub(r'(?m)^name_zh = "[^"]*"', f'name_zh = "基准县{number:03d}"', head, count=1)
    head = re.sub(
        r'(?m)^name_en = "[^"]*"', f'name_en = "Benchmark county {number:03d}"', head, count=1
    )
    head = re.sub(r"(?m)^seed = \d+", f"seed = {20230600 + number}", head)
    # whole 10,000 yuan, as a bureau's budget is written
    money = round(2_800_000 * budget, -4)
    head = re.sub(
        r"(?m)^procurement_budget_yuan = \d+", f"procurement_budget_yuan = {money:.0f}", head
    )
    rest = re.sub(
        r"(?m)^annual_rate = ([0-9.]+)",
        lambda match: f"annual_rate = {float(match.group(1)) * hazards:.6g}",
        rest,
    )
    return f"{head}[[hazards]]{rest}"


def _scale_population(path: Path, factor: float) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["population"] = str(round(int(row["population"]) * factor))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _spawn(args: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    with log.open("wb") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", *args],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=log.parent,
            start_new_session=True,
        )


def start_cluster(folder: Path, workers: int) -> tuple[str, list[subprocess.Popen]]:
    """A scheduler and ``workers`` worker processes, each its own process group."""
    from distributed import Client

    file = folder / "scheduler.json"
    args = ["--scheduler-file", str(file), "--host", "127.0.0.1", "--port", "0"]
    # a benchmark killed before its clean-up leaves no process: the scheduler ends once
    # idle, each worker once it has lost the scheduler
    args += ["--no-dashboard", "--idle-timeout", "300s"]
    started = [_spawn(["dask", "scheduler", *args], folder / "scheduler.log")]
    while not file.is_file() or not file.read_text(encoding="utf-8").strip():
        time.sleep(0.05)
    address = json.loads(file.read_text(encoding="utf-8"))["address"]
    for number in range(workers):
        args = [address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"]
        args += ["--host", "127.0.0.1", "--local-directory", str(folder), "--death-timeout", "60s"]
        started.append(_spawn(["dask", "worker", *args], folder / f"worker{number}.log"))
    with Client(address, timeout=30) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, started


def stop(started: list[subprocess.Popen]) -> None:
    for process in reversed(started):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--factors", type=float, nargs="+", default=[1.0, 1.2])
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--sampled-years", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--trace-memory", action="store_true", help="read the sweep file again, traced"
    )
    args = parser.parse_args()
    print_header()
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        write_province(folder, args.counties, args.seed)
        path = folder / "sweep.toml"
        text = SWEEP.format(reps=args.reps, sampled_years=args.sampled_years, factors=args.factors)
        path.write_text(text, encoding="utf-8")
        _loading(path, args.trace_memory)
        address, started = start_cluster(folder, args.workers)
        try:
            began = time.perf_counter()
            command = [sys.executable, "-m", "planner.cli", "sweep", str(path)]
            command += ["--scheduler", address, "--out", str(folder / "out")]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            wall = time.perf_counter() - began
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        finally:
            stop(started)
        if done.returncode != 0:
            sys.exit(f"the sweep failed: {done.stderr[-2000:]}")
        cells = len(list((folder / "out" / "cells").glob("cell-*.parquet")))
        busy = _cell_seconds(folder / "out")
    print(
        f"sweep: {cells} cells ({args.counties} counties x {len(args.factors)} budgets, "
        f"reps {args.reps}, sampled years {args.sampled_years}) on {args.workers} workers in "
        f"{wall:.1f} s = {cells / wall * 60:.1f} cells/min; mean cell {busy / cells:.2f} s "
        f"({busy:.0f} s of cells, {busy / (wall * args.workers):.0%} of the workers' time); "
        f"peak memory of the sweep process (the Dask client) {peak_mb:.0f} MB"
    )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _loading(path: Path, trace: bool) -> None:
    """How long reading and checking the sweep file takes, and (traced) what the sweep holds."""
    began = time.perf_counter()
    sweep = load_sweep(path)
    seconds = time.perf_counter() - began
    counties, cells = len(sweep.counties), len(sweep.cells)
    print(
        f"sweep file read and every cell checked: {seconds:.1f} s for {counties} counties "
        f"and {cells} cells"
    )
    if not trace:
        return
    del sweep
    gc.collect()
    tracemalloc.start()  # slows the reading several times over: timed above, untraced
    sweep = load_sweep(path)  # kept alive while its memory is read
    gc.collect()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(sweep.cells) == cells
    print(
        f"held after reading: {held / 1e6:.0f} MB ({held / 1e6 / counties:.2f} MB a county), "
        f"peak while checking {peak / 1e6:.0f} MB (traced Python allocations)"
    )


def _cell_seconds(out: Path) -> float:
    import pandas as pd

    frames = [pd.read_parquet(p, columns=["cell", "cell_s"]) for p in (out / "cells").iterdir()]
    return float(pd.concat(frames).groupby("cell")["cell_s"].first().sum())


if __name__ == "__main__":
    main()
