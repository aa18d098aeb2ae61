"""Results folders: one run at a time, a run's files read together or not at all."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from planner.results import LOCK_FILE, RUN_RECORD, find_results, hold, run_folder
from scenarios import InputError
from tests.support import run_process

BUSY = "another yingji run is writing into this folder"


def test_a_second_run_into_a_held_folder_is_refused_and_writes_nothing(tiny_path, tmp_path):
    out = tmp_path / "out"
    assert run_process("simulate", tiny_path, "--reps", "3", "--out", out).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with hold(out):
        done = run_process("simulate", tiny_path, "--reps", "5", "--out", out)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"error: {out}: --out: {BUSY}: wait for it to "
                                                "finish, or give --out another folder"]  # fmt: skip
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not (out / LOCK_FILE).exists()  # the hold ended with the run, and left no file


def test_a_second_sweep_into_a_held_folder_is_refused(tmp_path):
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(
        '[sweep]\nname_zh = "扫"\nname_en = "s"\nscenario = "default"\naction = "evaluate"\n'
        'baselines = ["status_quo"]\nreps = 2\n\n[grid]\nbudget_yuan = [1000000]\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    out.mkdir()
    with hold(out):
        done = run_process("sweep", sweep, "--out", out)
    assert done.returncode == 2, done.stderr
    assert BUSY in done.stderr
    assert sorted(p.name for p in out.iterdir()) == []


def test_a_run_killed_part_way_releases_the_folder_and_is_not_read_as_finished(tiny_path, tmp_path):
    """kill -9 mid-run: the lock goes with the process; the folder says the run did not finish."""
    out = tmp_path / "out"
    command = [sys.executable, "-m", "planner.cli", "simulate", str(tiny_path)]
    command += ["--reps", "40000", "--out", str(out)]  # minutes of work; killed in seconds
    running = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (out / RUN_RECORD).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (out / RUN_RECORD).exists()
    finally:
        os.kill(running.pid, signal.SIGKILL)
        running.wait(timeout=30)
    assert json.loads((out / RUN_RECORD).read_text(encoding="utf-8"))["finished"] is False
    with pytest.raises(InputError, match="yingji simulate that did not finish"):
        find_results(out)
    done = run_process("simulate", tiny_path, "--reps", "3", "--out", out)
    assert done.returncode == 0, done.stderr  # the killed run's lock did not outlive it
    assert find_results(out).today is not None


def test_a_run_refused_before_it_wrote_leaves_the_folder_as_it_was(tmp_path):
    out = tmp_path / "fresh"
    with pytest.raises(RuntimeError), run_folder(out, "simulate"):
        assert json.loads((out / RUN_RECORD).read_text(encoding="utf-8"))["finished"] is False
        raise RuntimeError("refused before writing")
    assert list(out.iterdir()) == []


def test_a_refused_rerun_keeps_the_earlier_runs_record(tiny_path, tmp_path):
    out = tmp_path / "out"
    assert run_process("simulate", tiny_path, "--reps", "3", "--out", out).returncode == 0
    record = (out / RUN_RECORD).read_bytes()
    with pytest.raises(RuntimeError), run_folder(out, "simulate"):
        raise RuntimeError("refused")
    assert (out / RUN_RECORD).read_bytes() == record
    assert find_results(out).today is not None


def test_the_record_holds_every_file_the_run_wrote(tiny_path, tmp_path):
    out = tmp_path / "out"
    assert run_process("simulate", tiny_path, "--reps", "3", "--out", out).returncode == 0
    files = json.loads((out / RUN_RECORD).read_text(encoding="utf-8"))["files"]
    written = {p.name for p in out.iterdir()} - {RUN_RECORD}
    assert set(files) == written
    assert all(len(digest) == 64 for digest in files.values())


def test_a_killed_runs_temporary_files_go_when_the_next_run_starts(tmp_path):
    """One rule for every command (the sweep's cells had it): stale ``.part`` files go."""
    out = tmp_path / "out"
    (out / "against").mkdir(parents=True)
    (out / "nested").mkdir()
    stale = [out / ".events.parquet.k3j9.part", out / "against" / ".years.csv.x1.part"]
    for path in stale:
        path.write_bytes(b"half a file")  # what kill -9 mid-write leaves
    kept = [out / "events.parquet", out / "nested" / ".other.csv.q.part"]  # another run's
    for path in kept:
        path.write_bytes(b"whole")
    with run_folder(out, "simulate"):
        assert not any(path.exists() for path in stale)
    assert all(path.exists() for path in kept)


def test_a_run_into_a_folder_of_other_runs_records_only_its_own_files(tiny_path, tmp_path):
    """simulate into results/ beside results/optimize: a later optimize does not spoil it."""
    root = tmp_path / "results"
    inner = root / "other"
    assert run_process("simulate", tiny_path, "--reps", "2", "--out", inner).returncode == 0
    assert run_process("simulate", tiny_path, "--reps", "3", "--out", root).returncode == 0
    files = json.loads((root / RUN_RECORD).read_text(encoding="utf-8"))["files"]
    assert not any(name.startswith("other/") for name in files)
    assert run_process("simulate", tiny_path, "--reps", "4", "--out", inner).returncode == 0
    assert find_results(root).today is not None  # the root's run still reads as whole


def test_a_file_an_earlier_run_left_is_not_read_as_this_runs(tiny_path, tmp_path):
    """optimize --sensitivity, then optimize without: the old sensitivity.csv is not shown."""
    out = tmp_path / "out"
    fast = ["--scenarios", "4", "--reps", "3", "--greedy-steps", "0", "--improve-steps", "0"]
    done = run_process("optimize", tiny_path, *fast, "--sensitivity", "--out", out)
    assert done.returncode == 0, done.stderr
    assert find_results(out).plan.sensitivity is not None
    done = run_process("optimize", tiny_path, *fast, "--out", out)
    assert done.returncode == 0, done.stderr
    assert (out / "sensitivity.csv").exists()  # left by the first run, not this one's
    files = json.loads((out / RUN_RECORD).read_text(encoding="utf-8"))["files"]
    assert "sensitivity.csv" not in files and "plan.csv" in files
    assert find_results(out).plan.sensitivity is None
