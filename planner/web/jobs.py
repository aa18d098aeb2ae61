"""Jobs: the real CLI commands run as child processes, their state kept on disk.

A job is one folder, ``<root>/sessions/<session>/jobs/<id>/``: ``job.json`` (its
kind, the commands it runs, its state, the child's pid, times, the one-line
error), ``stdout.log`` and ``stderr.log``, ``progress.jsonl`` (the lines the CLI's
progress bar writes, :mod:`planner.progress`), the county it runs on
(``county.xlsx``, a copy, so the job stays whole if the session's county changes)
and ``out/``, the CLI's own results folder. Nothing lives only in memory: a
server started again finds every finished job as it was, and marks the jobs that
were running when it stopped as interrupted.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import planner
from planner.progress import PROGRESS_FILE_ENV
from planner.results import write_json

STATES = ("queued", "running", "done", "failed", "interrupted")
ACTIVE = ("queued", "running")
# Ids are made here (uuid4().hex) and checked against this before any path is built.
ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
JOB_FILE, OUT, COUNTY_FILE = "job.json", "out", "county.xlsx"
STDOUT, STDERR, PROGRESS = "stdout.log", "stderr.log", "progress.jsonl"
SESSIONS, JOBS = "sessions", "jobs"
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
    kind: str  # simulate | optimize
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

    @property
    def active(self) -> bool:
        """Queued or running."""
        return self.state in ACTIVE

    def document(self) -> dict[str, Any]:
        """The record as written to ``job.json``."""
        return {**asdict(self), "steps": [list(step) for step in self.steps]}

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Job:
        """The record read back from ``job.json``."""
        steps = tuple(tuple(str(a) for a in step) for step in document.get("steps", ()))
        known = {f for f in cls.__dataclass_fields__ if f != "steps"}
        return cls(steps=steps, **{k: v for k, v in document.items() if k in known})


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


def read_progress(path: Path, now: float | None = None) -> Progress | None:
    """The latest progress of a job from its ``progress.jsonl`` (None before the first line).

    The time left is the current bar's rate so far applied to what it has left,
    less the time since its last line; a step without a count has no estimate.
    """
    lines = _progress_lines(path)
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
        """The job's progress lines read into where it is and the time left."""
        folder = self.job_dir(session, job.job_id)
        return None if folder is None else read_progress(folder / PROGRESS)

    # ------------------------------------------------------------------ running

    def submit(
        self,
        session: str,
        kind: str,
        steps: list[list[str]],
        county_name: str,
        county_file: Path | None,
        options: dict[str, Any],
    ) -> Job:
        """Record a new job as queued, copy its county in, and start its runner thread."""
        job_id = new_id()
        folder = self.session_dir(session) / JOBS / job_id
        folder.mkdir(parents=True)
        if county_file is not None:
            (folder / COUNTY_FILE).write_bytes(county_file.read_bytes())
        job = Job(
            job_id, kind, tuple(tuple(s) for s in steps), county_name, options, created=time.time()
        )
        _write_job(folder, job)
        threading.Thread(target=self._run, args=(folder, job), daemon=True).start()
        return job

    def again(self, session: str, job: Job) -> Job:
        """The same commands as a new job (after an interruption or a failure)."""
        folder = self.job_dir(session, job.job_id)
        county = folder / COUNTY_FILE if folder is not None else None
        steps = [list(step) for step in job.steps]
        present = county if county is not None and county.is_file() else None
        return self.submit(session, job.kind, steps, job.county, present, dict(job.options))

    def _run(self, folder: Path, job: Job) -> None:
        """Run the job's commands one after another in child processes; record each state."""
        with self._slots:
            try:
                job = self._steps(folder, job)
            except Exception as error:  # the runner must leave a state, whatever went wrong
                job = replace(job, state="failed", error=f"{type(error).__name__}: {error}")
            if job.state == "running":
                job = replace(job, state="done")
            current = _read_job(folder)
            if current is not None and current.state == "interrupted":
                return  # the server is stopping and has said so already
            _write_job(folder, replace(job, pid=None, ended=time.time()))

    def _steps(self, folder: Path, job: Job) -> Job:
        job = replace(job, state="running", started=time.time())
        for index, arguments in enumerate(job.steps):
            child = self._start(folder, arguments)
            job = replace(job, pid=child.pid, pid_start=_process_start(child.pid), step=index)
            _write_job(folder, job)
            code = child.wait()
            with self._lock:
                self._children.pop(folder.name, None)
            if code != 0:
                return replace(job, state="failed", error=_error_line(folder / STDERR, code))
        return job

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


def _stop(pid: int) -> None:
    """Stop a child and whatever it started (its own process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)


def _read_job(folder: Path) -> Job | None:
    try:
        return Job.from_document(json.loads((folder / JOB_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _write_job(folder: Path, job: Job) -> None:
    write_json(job.document(), folder / JOB_FILE)
