"""A province sweep on a Dask cluster of separate processes gives one process's numbers.

The cluster is started as a real one is: ``dask scheduler`` writes its address
to a scheduler file, and each ``dask worker`` (one process, one thread) is its own
process given that address, with the project on its ``PYTHONPATH``. ``yingji
sweep --scheduler ADDRESS`` then runs in a process of its own. Every process is
started in a session of its own and ended with its whole group (a worker's nanny
and the worker it spawned), and the tests check that none is left.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from planner.results import finished_cells, load_results
from tests.builders import write_province
from tests.support import run_process

ROOT = Path(__file__).resolve().parents[1]
TIMING = ["cell_s", "solve_s"]  # wall-clock columns: no two runs share them
COUNTIES = 4
PROVINCE = """
[sweep]
name_zh = "小省"
name_en = "Tiny province"
counties = ["counties/*/scenario.toml"]
reps = 10
sampled_years = 6
time_limit_s = 60

[grid]
budget_factor = [1.0, 1.5]
"""
CELLS = COUNTIES * 2


@dataclass
class DaskCluster:
    """A scheduler and its workers, each a process group of its own."""

    address: str
    scheduler: subprocess.Popen
    workers: dict[str, subprocess.Popen]


def _spawn(args: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    with log.open("wb") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "dask", *args],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=log.parent,
            start_new_session=True,  # its group holds it and what it spawns
        )


def _gone(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return True
    return False


def _end(process: subprocess.Popen) -> None:
    """Kill the process's whole group and wait for every member to go."""
    if not _gone(process.pid):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    deadline = time.monotonic() + 30
    while not _gone(process.pid):
        assert time.monotonic() < deadline, f"process group {process.pid} outlived its kill"
        time.sleep(0.05)


def _scheduler_address(path: Path, scheduler: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + 60
    while not path.is_file() or not path.read_text(encoding="utf-8").strip():
        assert scheduler.poll() is None, log.read_text(encoding="utf-8", errors="replace")
        assert time.monotonic() < deadline, "the scheduler wrote no scheduler file"
        time.sleep(0.05)
    return json.loads(path.read_text(encoding="utf-8"))["address"]


@contextmanager
def dask_cluster(folder: Path, workers: int = 2) -> Iterator[DaskCluster]:
    """``dask scheduler`` on a free port, then ``workers`` separate ``dask worker`` processes."""
    from distributed import Client

    folder.mkdir(parents=True, exist_ok=True)
    started: list[subprocess.Popen] = []
    try:
        file, log = folder / "scheduler.json", folder / "scheduler.log"
        args = ["--scheduler-file", str(file), "--host", "127.0.0.1", "--port", "0"]
        # Should this test's process die before its clean-up, the scheduler ends itself
        # once idle and each worker once it has lost the scheduler: no process stays.
        args += ["--no-dashboard", "--idle-timeout", "120s"]
        started.append(_spawn(["scheduler", *args], log))
        address = _scheduler_address(file, started[0], log)
        named = {}
        for number in range(workers):
            name = f"w{number}"
            args = [address, "--name", name, "--nworkers", "1", "--nthreads", "1"]
            args += ["--host", "127.0.0.1", "--no-dashboard", "--local-directory", str(folder)]
            args += ["--death-timeout", "60s"]
            named[name] = _spawn(["worker", *args], folder / f"{name}.log")
            started.append(named[name])
        with Client(address, timeout=30) as client:
            client.wait_for_workers(workers, timeout=90)
        yield DaskCluster(address, started[0], named)
    finally:
        for process in reversed(started):
            _end(process)


def _worker_running_a_cell(cluster: DaskCluster) -> str:
    """The name of a worker that is running a cell now (waits for one)."""
    from distributed import Client

    with Client(cluster.address, timeout=30) as client:
        deadline = time.monotonic() + 60
        while True:
            names = {a: w["name"] for a, w in client.scheduler_info()["workers"].items()}
            busy = [names[a] for a, keys in client.processing().items() if keys and a in names]
            if busy:
                return sorted(busy)[0]
            assert time.monotonic() < deadline, "no worker took a cell"
            time.sleep(0.02)


@pytest.fixture(scope="module")
def province(tmp_path_factory) -> Path:
    """Four small counties of tests/builders.py, two budgets each: eight cells."""
    folder = tmp_path_factory.mktemp("province")
    write_province(folder, COUNTIES)
    path = folder / "sweep.toml"
    path.write_text(PROVINCE, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def one_process(province, tmp_path_factory) -> Path:
    """The reference: ``yingji sweep --jobs 1`` on the same file."""
    out = tmp_path_factory.mktemp("one") / "out"
    done = run_process("sweep", province, "--jobs", "1", "--out", out)
    assert done.returncode == 0, done.stderr
    return out


def assert_same_numbers(out: Path, reference: Path) -> None:
    """Every number the runs wrote is the same, bit for bit, but the wall-clock columns.

    The yearly files hold numbers only: their bytes are compared. The cell files and
    the summary also hold each cell's time, left out; the rest is compared exactly.
    """
    assert finished_cells(out) == finished_cells(reference) == set(range(CELLS))
    for name in sorted(p.name for p in (reference / "years").iterdir()):
        assert (out / "years" / name).read_bytes() == (reference / "years" / name).read_bytes()
    for name in sorted(p.name for p in (reference / "cells").iterdir()):
        ours, theirs = (pd.read_parquet(f / "cells" / name) for f in (out, reference))
        pd.testing.assert_frame_equal(ours.drop(columns=TIMING), theirs.drop(columns=TIMING))
    summaries = [
        pd.read_csv(f / "sweep_summary.csv", dtype=str).drop(columns=TIMING)
        for f in (out, reference)
    ]
    pd.testing.assert_frame_equal(*summaries)  # as text: the same digits
    assert set(summaries[0]["county"]) == {f"tiny_{k + 1}" for k in range(COUNTIES)}


def test_province_sweep_on_separate_dask_workers_matches_one_process(
    province, one_process, tmp_path
):
    from distributed import Client

    with dask_cluster(tmp_path / "cluster") as cluster:
        out = tmp_path / "out"
        done = run_process("sweep", province, "--scheduler", cluster.address, "--out", out)
        assert done.returncode == 0, done.stderr
        assert f"{CELLS} to run on the Dask cluster at {cluster.address} (2 threads)" in done.stderr
        with Client(cluster.address, timeout=30) as client:
            ran = client.run(lambda dask_worker: dask_worker.state.executed_count)
        assert len(ran) == 2 and all(count >= 1 for count in ran.values()), ran  # both worked
        assert sum(ran.values()) == CELLS
    assert_same_numbers(out, one_process)
    summary, _ = load_results(out)
    assert summary.groupby("county")["procurement_budget_yuan"].agg(["min", "max"]).to_dict(
        "index"
    ) == {
        "tiny_1": {"min": 60000.0, "max": 90000.0},
        "tiny_2": {"min": 80000.0, "max": 120000.0},
        "tiny_3": {"min": 100000.0, "max": 150000.0},
        "tiny_4": {"min": 120000.0, "max": 180000.0},
    }


def test_province_sweep_finishes_with_the_same_numbers_after_a_worker_is_killed(
    province, one_process, tmp_path
):
    """kill -9 of a worker (nanny and worker process) running a cell: Dask runs it elsewhere."""
    out = tmp_path / "out"
    with dask_cluster(tmp_path / "cluster") as cluster:
        scheduler = ["--scheduler", cluster.address, "--out", str(out)]
        sweep = subprocess.Popen(
            [sys.executable, "-m", "planner.cli", "sweep", str(province), *scheduler],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"},
            start_new_session=True,
        )
        try:
            victim = _worker_running_a_cell(cluster)
            os.killpg(cluster.workers[victim].pid, signal.SIGKILL)
            killed_with = len(finished_cells(out))
            _, stderr = sweep.communicate(timeout=240)
        finally:
            _end(sweep)
        assert sweep.returncode == 0, stderr
        assert "failed" not in stderr.replace("failed 0", "")
        assert killed_with < CELLS  # the kill came before the sweep's end
        cluster.workers[victim].wait(timeout=30)  # reaped, so its group can be seen gone
        assert _gone(cluster.workers[victim].pid)
    assert_same_numbers(out, one_process)


def test_the_cluster_fixture_leaves_no_process_behind(tmp_path):
    with dask_cluster(tmp_path / "cluster", workers=1) as cluster:
        groups = [cluster.scheduler.pid, *(p.pid for p in cluster.workers.values())]
        assert not any(_gone(group) for group in groups)
    assert all(_gone(group) for group in groups)
