"""Worker processes end with the CLI that started them, however it ends (real signals).

Each test starts ``yingji`` in a session of its own, waits for its workers, signals
it and then looks for any process of that session still alive.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planner.results import finished_cells
from tests.builders import write_scenario
from tests.test_planner_sweep import write_sweep

INTERRUPTED = "interrupted; every file written so far is complete"


def _start(folder: Path, *args: str | Path) -> subprocess.Popen:
    """The CLI in a new session, its output in files (orphans would hold pipes open)."""
    env = {**os.environ, "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"}
    with (folder / "stdout").open("w") as out, (folder / "stderr").open("w") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "planner.cli", *map(str, args)],
            stdout=out,
            stderr=err,
            env=env,
            start_new_session=True,
        )


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/pid/stat after the command name; None for a gone or zombie process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()
    return None if fields[0] in "ZX" else fields


def _session(sid: int) -> set[int]:
    """The live processes of session ``sid`` (field 6 of /proc/pid/stat)."""
    pids = (int(name) for name in os.listdir("/proc") if name.isdigit())
    return {pid for pid in pids if (fields := _stat(pid)) and int(fields[3]) == sid}


def _workers(process: subprocess.Popen) -> set[int]:
    """The CLI's children but the resource tracker (it ends when the workers do)."""
    found = set()
    for pid in _session(process.pid) - {process.pid}:
        fields = _stat(pid)
        command = Path(f"/proc/{pid}/cmdline").read_bytes() if fields else b""
        if fields and int(fields[1]) == process.pid and b"resource_tracker" not in command:
            found.add(pid)
    return found


def _wait_for_workers(process: subprocess.Popen, count: int, timeout_s: float = 60) -> set[int]:
    deadline = time.monotonic() + timeout_s
    while len(workers := _workers(process)) < count:
        assert process.poll() is None, "the run ended before its workers were seen"
        assert time.monotonic() < deadline, "no workers in time"
        time.sleep(0.05)
    time.sleep(0.5)  # into their first task
    return workers


def _assert_session_ends(process: subprocess.Popen, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while left := _session(process.pid):
        if time.monotonic() > deadline:
            for pid in left:  # leave nothing behind for the next test
                os.kill(pid, signal.SIGKILL)
            pytest.fail(f"processes outlived the CLI: {sorted(left)}")
        time.sleep(0.1)


@pytest.fixture
def county(tmp_path) -> Path:
    return write_scenario(tmp_path / "county")


def test_simulate_workers_die_with_a_killed_cli(county, tmp_path):
    run = ("simulate", county, "--reps", "5000", "--jobs", "2", "--out", tmp_path / "out")
    process = _start(tmp_path, *run)
    _wait_for_workers(process, 2)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    _assert_session_ends(process)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigterm_stops_simulate_like_ctrl_c_in_one_line_leaving_no_part_file(
    county, tmp_path, jobs
):
    """A service stopping or a job cancelled sends SIGTERM to the CLI alone: exit 130,
    the interrupted line, no traceback, no worker left, nothing half-written (it died
    silently with 143 before)."""
    run = ("simulate", county, "--reps", "5000", "--jobs", jobs, "--out", tmp_path / "out")
    process = _start(tmp_path, *run)
    if jobs == "2":
        _wait_for_workers(process, 2)
    else:
        time.sleep(3)  # into its years
    os.kill(process.pid, signal.SIGTERM)
    assert process.wait(timeout=30) == 130
    stderr = (tmp_path / "stderr").read_text(encoding="utf-8")
    assert INTERRUPTED in stderr and "Traceback" not in stderr
    assert not list((tmp_path / "out").glob("**/*.part"))
    _assert_session_ends(process)


def test_sweep_pool_workers_die_with_a_killed_cli(tmp_path):
    path = write_sweep(tmp_path, reps=30)
    process = _start(tmp_path, "sweep", path, "--jobs", "2", "--out", tmp_path / "out")
    _wait_for_workers(process, 2)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    _assert_session_ends(process)


def test_ctrl_c_stops_simulate_workers_at_once_and_quietly(county, tmp_path):
    """Ctrl-C reaches the whole group: the workers leave it to the CLI, which ends them."""
    run = ("simulate", county, "--reps", "20000", "--jobs", "2", "--out", tmp_path / "out")
    process = _start(tmp_path, *run)
    _wait_for_workers(process, 2)
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail("Ctrl-C did not stop the run: its queued years went on")
    stderr = (tmp_path / "stderr").read_text(encoding="utf-8")
    assert process.returncode == 130, stderr
    assert INTERRUPTED in stderr
    assert "Traceback" not in stderr
    _assert_session_ends(process)


def test_ctrl_c_stops_a_local_cluster_sweep_quietly_and_keeps_its_cells(tmp_path):
    path = write_sweep(tmp_path, reps=30)
    out = tmp_path / "out"
    process = _start(tmp_path, "sweep", path, "--local-cluster", "2", "--out", out)
    _wait_for_workers(process, 2, timeout_s=120)
    deadline = time.monotonic() + 120
    while not (out / "cells").exists() or not list((out / "cells").glob("cell-*.parquet")):
        assert process.poll() is None and time.monotonic() < deadline, "no cell finished"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=30) == 130
    stderr = (tmp_path / "stderr").read_text(encoding="utf-8")
    assert INTERRUPTED in stderr
    assert "Traceback" not in stderr, stderr
    assert [line for line in stderr.splitlines() if line.strip()][-1].startswith(INTERRUPTED)
    assert len(finished_cells(out)) >= 1
    _assert_session_ends(process)


def test_a_worker_whose_parent_is_already_gone_exits_at_once():
    """The parent died before the worker asked to die with it: the worker sees a new parent."""
    code = "from sim.workers import end_with_parent; end_with_parent(1); print('alive')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (1, "")


WATCHED_ORPHAN = """
import os, time
import sim.workers as workers
workers._kernel_kills_orphan = lambda: False  # as where prctl is missing
workers.PARENT_POLL_S = 0.1
if os.fork() == 0:
    workers.end_with_parent(os.getppid())
    time.sleep(60)
    os._exit(0)
time.sleep(60)
"""


def test_without_prctl_a_thread_ends_the_orphan(tmp_path):
    process = subprocess.Popen([sys.executable, "-c", WATCHED_ORPHAN], start_new_session=True)
    _wait_for_workers(process, 1)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    _assert_session_ends(process, timeout_s=5)


STOPPED_UNDER_THE_CLIS_HANDLER = """
import signal, sys, time
from sim.workers import process_pool, stop_now

def interrupt(signum, frame):
    raise KeyboardInterrupt

def busy(_):
    end = time.monotonic() + 60
    while time.monotonic() < end:  # Python code: a handler would run between its lines
        time.sleep(0.01)

signal.signal(signal.SIGTERM, interrupt)  # the CLI's own rule (planner.cli), then forked
with process_pool(1) as pool:
    for task in range(3):  # one running, one already handed to the worker's queue
        pool.submit(busy, task)
    time.sleep(1.0)  # into the first task
    worker = next(iter(pool._processes.values()))
    stop_now(pool)
    worker.join(5)
    print("alive" if worker.is_alive() else "ended")
    if worker.is_alive():
        worker.kill()
"""


def test_a_pool_worker_ends_on_sigterm_though_its_parent_turns_sigterm_into_ctrl_c():
    """A forked worker inherits the CLI's SIGTERM handler; under it the pool's worker loop
    caught the interrupt as a task's failure and lived on (Ctrl-C then did not stop the
    run). Workers take SIGTERM's default: they end."""
    done = subprocess.run(
        [sys.executable, "-c", STOPPED_UNDER_THE_CLIS_HANDLER],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.stdout.strip() == "ended", done.stdout + done.stderr
