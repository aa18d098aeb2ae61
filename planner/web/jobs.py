"""Jobs: the real CLI commands run as child processes, their state kept on disk.

A job is one folder, ``<root>/sessions/<session>/jobs/<id>/``: ``job.json`` (its
kind, the commands it runs, its state, the child's pid, times, the one-line
error), ``stdout.log`` and ``stderr.log``, ``progress.jsonl`` (the lines the CLI's
progress bar writes, :mod:`planner.progress`), the county it runs on
(``county.xlsx``, or ``county/`` for one uploaded as a zip: a copy, so the job
stays whole if the session's county changes)
and ``out/``, the CLI's own results folder. Nothing lives only in memory: a
server started again finds every finished job as it was, and marks the jobs that
were running when it stopped as interrupted.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import planner
from planner.progress import PROGRESS_FILE_ENV
from planner.results import CELLS, write_json

STATES = ("queued", "running", "done", "failed", "interrupted", "cancelled")
ACTIVE = ("queued", "running")
STOPPED = ("interrupted", "cancelled")  # set from outside the runner: it must not overwrite them
# Ids are made here (uuid4().hex) and checked against this before any path is built.
ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
JOB_FILE, OUT, COUNTY_FILE, COUNTY_DIR = "job.json", "out", "county.xlsx", "county"
STDOUT, STDERR, PROGRESS = "stdout.log", "stderr.log", "progress.jsonl"
SESSIONS, JOBS = "sessions", "jobs"
PLANS = "plans"  # a budget sweep job's optimisations, one folder per budget: plans/0, plans/1
RESERVED = (JOB_FILE, OUT, PLANS, COUNTY_FILE, COUNTY_DIR, STDOUT, STDERR, PROGRESS)  # not inputs
RESULT_FOLDERS = (OUT, PLANS)  # what a job's commands write: removed when it is cancelled
SIZE_OPTIONS = ("--scenarios", "--reps")  # what sizes a command's work, beyond its county
STOP_GRACE_S = 5.0  # after SIGTERM, the time a child has to stop before SIGKILL
SWEEP_LABEL = "扫描 sweep cells"  # the sweep's own bar's words in the terminal
ERROR_PREFIX = "error: "  # how planner.cli prints a refusal: the line shown for a failed job


def new_id() -> str:
    """A fresh id for a session or a job (32 hex digits)."""
    return uuid.uuid4().hex


def valid_id(text: str) -> bool:
    """Whether ``text`` is an id this server could have made (no path can hide in it)."""
    return bool(ID_PATTERN.fullmatch(text or ""))


@dataclass(frozen=True, slots=True)
class Job:
    """One job as ``job.json`` records it."""

    job_id: str
    kind: str  # simulate | optimize | sweep | compare | edit
    steps: tuple[tuple[str, ...], ...]  # each command's arguments after ``yingji``
    county: str  # the county's name as the page showed it
    options: dict[str, Any] = field(default_factory=dict)  # what the form asked, to show
    state: str = "queued"
    created: float = 0.0
    started: float | None = None
    ended: float | None = None
    pid: int | None = None
    pid_start: str | None = None  # the child's start time: a reused pid is not our child
    step: int = 0
    error: str = ""
    inputs: tuple[str, ...] = ()  # files the server wrote into the job's folder for its commands
    step_started: float | None = None
    step_seconds: tuple[float, ...] = ()  # how long each finished step took

    @property
    def active(self) -> bool:
        """Queued or running."""
        return self.state in ACTIVE

    def document(self) -> dict[str, Any]:
        """The record as written to ``job.json``."""
        steps = [list(step) for step in self.steps]
        return {**asdict(self), "steps": steps, "inputs": list(self.inputs)}

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Job:
        """The record read back from ``job.json``."""
        steps = tuple(tuple(str(a) for a in step) for step in document.get("steps", ()))
        inputs = tuple(str(name) for name in document.get("inputs", ()))
        seconds = tuple(float(s) for s in document.get("step_seconds", ()))
        known = {
            f for f in cls.__dataclass_fields__ if f not in ("steps", "inputs", "step_seconds")
        }
        fields = {k: v for k, v in document.items() if k in known}
        return cls(steps=steps, inputs=inputs, step_seconds=seconds, **fields)


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a running job is: the current step's label, its count, the time left."""

    label: str
    done: int
    total: int | None
    elapsed_s: float
    left_s: float | None  # None while the step has no count (a solve) or no rate yet

    @property
    def fraction(self) -> float | None:
        """Done as a share of the step's total (None without a total)."""
        return None if not self.total else min(self.done / self.total, 1.0)


def read_progress(path: Path, now: float | None = None, since: float = 0.0) -> Progress | None:
    """The latest progress of a job from its ``progress.jsonl`` (None before the first line).

    Only lines written at ``since`` or later count (the current step's). The time
    left is the current bar's rate so far applied to what it has left, less the
    time since its last line; a step without a count has no estimate.
    """
    lines = [p for p in _progress_lines(path) if float(p["time"]) >= since]
    if not lines:
        return None
    now = time.time() if now is None else now
    last = lines[-1]
    start = next(
        (p for p in reversed(lines) if p["label"] == last["label"] and p["done"] == 0), lines[0]
    )
    total, done = last.get("total"), int(last.get("done", 0))
    left = None
    spent = float(last["time"]) - float(start["time"])
    if total and done > 0 and spent > 0:
        left = max((total - done) * spent / done - (now - float(last["time"])), 0.0)
    return Progress(str(last["label"]), done, total, now - float(lines[0]["time"]), left)


def cells_progress(out: Path, total: int, started: float, now: float | None = None) -> Progress:
    """A sweep's progress read from its dataset: the cells saved so far, of ``total``.

    ``yingji sweep`` saves each finished cell at once (``out/cells/``), so the files are
    the count; the time left is the rate of cells so far applied to those left.
    """
    now = time.time() if now is None else now
    saved = list((out / CELLS).glob("cell-*.parquet"))
    done = min(len(saved), total)
    elapsed = max(now - started, 0.0)
    left = None
    if done > 0:
        newest = max(p.stat().st_mtime for p in saved)
        spent = max(newest - started, 1e-3)
        left = max((total - done) * spent / done - (now - newest), 0.0)
    return Progress(SWEEP_LABEL, done, total, elapsed, left)


def whole_job_left(
    job: Job,
    current: Progress | None,
    typical: Callable[[Job, int], float | None],
    now: float | None = None,
) -> tuple[float | None, float | None]:
    """The time left in the current step and in the whole job (None where there is no estimate).

    A step's own bar knows only its own phase (an optimisation's judging bar says
    nothing of the solves after it), so where a like step has run before, its
    duration less the time spent bounds the step from below. The steps still to
    come count what like steps took (:meth:`JobStore.typical_seconds`).
    """
    now = time.time() if now is None else now
    spent = now - job.step_started if job.step_started is not None else 0.0
    usual = typical(job, job.step)
    known = [v for v in (current.left_s if current else None,) if v is not None]
    if usual is not None:
        known.append(max(usual - spent, 0.0))
    step_left = max(known) if known else None
    later = [typical(job, index) for index in range(job.step + 1, len(job.steps))]
    if step_left is None or any(v is None for v in later):
        return step_left, None
    return step_left, step_left + sum(v for v in later if v is not None)


def _progress_lines(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    found = []
    for line in text.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue  # a line being written as we read
        if isinstance(document, dict) and "label" in document and "time" in document:
            found.append(document)
    return found


def _process_start(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks since boot), or None if there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, after the command's name


def _error_line(stderr: Path, code: int) -> str:
    """The one line the CLI printed for a refusal, else the last line of stderr and the code."""
    try:
        lines = [line.strip() for line in stderr.read_text(encoding="utf-8").splitlines()]
    except OSError:
        lines = []
    refusals = [line for line in lines if line.startswith(ERROR_PREFIX)]
    if refusals:
        return refusals[-1].removeprefix(ERROR_PREFIX)
    last = next((line for line in reversed(lines) if line), "")
    return f"exit code {code}" + (f": {last}" if last else "")


class JobStore:
    """Every session's jobs under ``root``; runs at most ``slots`` jobs at once."""

    def __init__(self, root: Path, slots: int = 1) -> None:
        self.root = root
        self._slots = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._children: dict[str, subprocess.Popen] = {}
        self._history: dict[tuple[str, ...], list[float]] | None = None

    # ------------------------------------------------------------------ places

    def session_dir(self, session: str) -> Path:
        """The session's folder (created); refuses an id this server did not make."""
        if not valid_id(session):
            raise ValueError("not a session id")
        folder = self.root / SESSIONS / session
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def job_dir(self, session: str, job_id: str) -> Path | None:
        """A job's folder inside the session's own; None for any other id."""
        if not valid_id(job_id):
            return None
        folder = self.session_dir(session) / JOBS / job_id
        return folder if (folder / JOB_FILE).is_file() else None

    # ------------------------------------------------------------------ reading

    def read(self, session: str, job_id: str) -> Job | None:
        """The job ``job_id`` of this session, or None."""
        folder = self.job_dir(session, job_id)
        return None if folder is None else _read_job(folder)

    def jobs(self, session: str) -> list[Job]:
        """The session's jobs, newest first."""
        folder = self.session_dir(session) / JOBS
        found = [
            _read_job(p.parent) for p in folder.glob(f"*/{JOB_FILE}") if valid_id(p.parent.name)
        ]
        return sorted((j for j in found if j is not None), key=lambda j: -j.created)

    def progress(self, session: str, job: Job) -> Progress | None:
        """Where the job's current step is: its progress lines, or a sweep's saved cells."""
        folder = self.job_dir(session, job.job_id)
        if folder is None or job.state != "running":
            return None
        since = job.step_started or 0.0
        arguments = job.steps[job.step] if job.step < len(job.steps) else ()
        if arguments[:1] == ("sweep",) and "cells" in job.options:
            out = folder / arguments[arguments.index("--out") + 1]
            return cells_progress(out, int(job.options["cells"]), since)
        return read_progress(folder / PROGRESS, since=since)

    def typical_seconds(self, job: Job, index: int) -> float | None:
        """How long step ``index`` of ``job`` may take: what like steps took, or None.

        Like steps are, first, this job's own finished steps of the same command
        (a sweep job's optimisations differ only in their budget), then the same
        command with the same arguments on the same county in jobs finished before,
        then the same command of the same size (sampled and judging years) there.
        """
        command = job.steps[index][:1]
        own = [
            seconds
            for step, seconds in zip(job.steps, job.step_seconds, strict=False)
            if step[:1] == command
        ]
        if own:
            return sum(own) / len(own)
        with self._lock:
            if self._history is None:
                self._history = self._read_history()
            exact, sized = _signatures(job, index)
            before = self._history.get(exact) or self._history.get(sized)
        return sum(before) / len(before) if before else None

    def _read_history(self) -> dict[tuple[str, ...], list[float]]:
        """Every finished step's duration on this server, by what it ran (read once)."""
        history: dict[tuple[str, ...], list[float]] = {}
        for record in (self.root / SESSIONS).glob(f"*/{JOBS}/*/{JOB_FILE}"):
            job = _read_job(record.parent)
            if job is not None and job.state == "done":
                _remember(history, job)
        return history

    # ------------------------------------------------------------------ running

    def submit(
        self,
        session: str,
        kind: str,
        steps: list[list[str]],
        county_name: str,
        county_file: Path | None,
        options: dict[str, Any],
        inputs: dict[str, bytes] | None = None,
    ) -> Job:
        """Record a new job as queued, copy its county and inputs in, start its runner thread."""
        inputs = inputs or {}
        for name in inputs:
            if "/" in name or name.startswith(".") or name in RESERVED:
                raise ValueError(f"not an input file name: {name!r}")
        job_id = new_id()
        folder = self.session_dir(session) / JOBS / job_id
        folder.mkdir(parents=True)
        if county_file is not None and county_file.is_dir():  # a county unpacked from a zip
            shutil.copytree(county_file, folder / COUNTY_DIR, symlinks=False)
        elif county_file is not None:
            (folder / COUNTY_FILE).write_bytes(county_file.read_bytes())
        for name, data in inputs.items():
            (folder / name).write_bytes(data)
        job = Job(
            job_id,
            kind,
            tuple(tuple(s) for s in steps),
            county_name,
            options,
            created=time.time(),
            inputs=tuple(inputs),
        )
        _write_job(folder, job)
        threading.Thread(target=self._run, args=(folder, job), daemon=True).start()
        return job

    def again(self, session: str, job: Job) -> Job:
        """The same commands as a new job (after an interruption, a failure or a cancel)."""
        folder = self.job_dir(session, job.job_id)
        present = job_county(folder) if folder is not None else None
        steps = [list(step) for step in job.steps]
        inputs = {}
        if folder is not None:
            inputs = {n: (folder / n).read_bytes() for n in job.inputs if (folder / n).is_file()}
        return self.submit(session, job.kind, steps, job.county, present, dict(job.options), inputs)

    def cancel(self, session: str, job_id: str) -> Job | None:
        """Mark a queued or running job cancelled and stop its command (and what it started).

        The runner thread then leaves the state as it is and removes the job's
        partial results, so nothing half-made is ever shown. None for no such job.
        """
        folder = self.job_dir(session, job_id)
        if folder is None:
            return None
        with self._lock:
            job = _read_job(folder)
            if job is None or not job.active:
                return job
            job = replace(job, state="cancelled", pid=None, ended=time.time())
            _write_job(folder, job)
            child = self._children.get(folder.name)
        if child is not None:
            _stop(child.pid, child)
        return job

    def _run(self, folder: Path, job: Job) -> None:
        """Run the job's commands one after another in child processes; record each state."""
        with self._slots:
            if self._stopped(folder):
                _remove_results(folder)
                return  # cancelled while it waited for a slot
            try:
                job = self._steps(folder, job)
            except Exception as error:  # the runner must leave a state, whatever went wrong
                job = replace(job, state="failed", error=f"{type(error).__name__}: {error}")
            if job.state == "running":
                job = replace(job, state="done")
            finished = replace(job, pid=None, ended=time.time())
            if not self._save(folder, finished):
                if self._state(folder) == "cancelled":
                    _remove_results(folder)
                return  # cancelled, or the server is stopping and has said so already
            if finished.state == "done":
                with self._lock:
                    if self._history is not None:
                        _remember(self._history, finished)

    def _steps(self, folder: Path, job: Job) -> Job:
        job = replace(job, state="running", started=time.time())
        for index, arguments in enumerate(job.steps):
            begun = time.time()
            child = self._start(folder, arguments)
            job = replace(
                job, pid=child.pid, pid_start=_process_start(child.pid), step=index,
                step_started=begun,
            )  # fmt: skip
            if not self._save(folder, job):
                _stop(child.pid, child)  # cancelled as it started: the cancel did not see it
            code = child.wait()
            with self._lock:
                self._children.pop(folder.name, None)
            job = replace(job, step_seconds=(*job.step_seconds, time.time() - begun))
            if self._stopped(folder):
                return job
            if code != 0:
                return replace(job, state="failed", error=_error_line(folder / STDERR, code))
        return job

    def _save(self, folder: Path, job: Job) -> bool:
        """Write the runner's record unless the job was stopped from outside (then False)."""
        with self._lock:
            if self._stopped(folder):
                return False
            _write_job(folder, job)
            return True

    def _state(self, folder: Path) -> str | None:
        current = _read_job(folder)
        return None if current is None else current.state

    def _stopped(self, folder: Path) -> bool:
        return self._state(folder) in STOPPED

    def _start(self, folder: Path, arguments: tuple[str, ...]) -> subprocess.Popen:
        """``python -m planner.cli ARGS`` in the job's folder, its output to the job's logs."""
        source = str(Path(planner.__file__).resolve().parent.parent)  # the code this server runs
        path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH", "")) if p)
        env = {**os.environ, PROGRESS_FILE_ENV: str(folder / PROGRESS), "PYTHONPATH": path}
        env |= {"COLUMNS": "120", "PYTHONIOENCODING": "utf-8"}
        with open(folder / STDOUT, "ab") as out, open(folder / STDERR, "ab") as err:
            # A session of its own: Ctrl-C in the server's terminal reaches the server, which
            # stops its children itself and records them as interrupted.
            child = subprocess.Popen(
                [sys.executable, "-m", "planner.cli", *arguments],
                cwd=folder,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        with self._lock:
            self._children[folder.name] = child
        return child

    # ------------------------------------------------------------------ stopping

    def recover(self) -> list[Job]:
        """On start: jobs a stopped server left queued or running, marked interrupted.

        A child still alive (the same pid and start time: ours, not a reused pid)
        is stopped first: no server watches it any more, so its end would never
        be recorded. Finished jobs are left as they are.
        """
        marked = []
        for record in sorted((self.root / SESSIONS).glob(f"*/{JOBS}/*/{JOB_FILE}")):
            job = _read_job(record.parent)
            if job is None or not job.active:
                continue
            if job.pid is not None and job.pid_start and _process_start(job.pid) == job.pid_start:
                _stop(job.pid)
            job = replace(job, state="interrupted", pid=None, ended=time.time())
            _write_job(record.parent, job)
            marked.append(job)
        return marked

    def shutdown(self) -> None:
        """On a clean stop (Ctrl-C): stop the running children, mark their jobs interrupted."""
        with self._lock:
            children = dict(self._children)
        for name, child in children.items():
            for record in (self.root / SESSIONS).glob(f"*/{JOBS}/{name}/{JOB_FILE}"):
                job = _read_job(record.parent)
                if job is not None and job.active:
                    _write_job(record.parent, replace(job, state="interrupted", pid=None))
            _stop(child.pid)


def job_county(folder: Path) -> Path | None:
    """A job's own copy of its county: the workbook, or the folder a zip held; None: bundled."""
    for place in (folder / COUNTY_FILE, folder / COUNTY_DIR):
        if place.exists():
            return place
    return None


def _signatures(job: Job, index: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What makes two steps alike for the time they take: exactly alike, then alike in size.

    Exactly: the same county and arguments (but the output folder). In size: the same
    county, command and the options that size the work (sampled and judging years), as
    an optimisation at another budget.
    """
    arguments = list(job.steps[index])
    if "--out" in arguments:
        at = arguments.index("--out")
        del arguments[at : at + 2]
    sized = [job.county, "~", *arguments[:1]]
    for option in SIZE_OPTIONS:
        if option in arguments[:-1]:
            sized += [option, arguments[arguments.index(option) + 1]]
    return (job.county, *arguments), tuple(sized)


def _remember(history: dict[tuple[str, ...], list[float]], job: Job) -> None:
    for index, seconds in enumerate(job.step_seconds[: len(job.steps)]):
        for signature in _signatures(job, index):
            history.setdefault(signature, []).append(seconds)


def _stop(pid: int, child: subprocess.Popen | None = None) -> None:
    """Stop a child and whatever it started (its own process group).

    With ``child`` (ours, so waitable): if it has not stopped within
    :data:`STOP_GRACE_S` of SIGTERM, the group gets SIGKILL.
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    if child is None:
        return

    def finish() -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=STOP_GRACE_S)
        # The group may outlive its leader: workers it started get the same end.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)

    threading.Thread(target=finish, daemon=True).start()


def _remove_results(folder: Path) -> None:
    """A cancelled job's partial results: removed, so none is ever read as a result."""
    for name in RESULT_FOLDERS:
        shutil.rmtree(folder / name, ignore_errors=True)


def _read_job(folder: Path) -> Job | None:
    try:
        return Job.from_document(json.loads((folder / JOB_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _write_job(folder: Path, job: Job) -> None:
    write_json(job.document(), folder / JOB_FILE)
