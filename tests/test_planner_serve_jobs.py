"""``yingji serve`` without a browser: the on-disk job store (states, interrupted jobs, ids),
the progress estimate, the budget's forms, the token, uploads refused, and sessions apart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from planner.web import jobs as store_module
from planner.web.app import UPLOAD_LIMIT, _budget, create_app
from planner.web.jobs import Job, JobStore, new_id, read_progress, valid_id

TOKEN = "a-token-long-enough"


def _wait(store: JobStore, session: str, job_id: str, seconds: float = 60) -> Job:
    """The job once it has stopped (done, failed or interrupted)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = store.read(session, job_id)
        assert job is not None
        if not job.active:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job.state} after {seconds} s")


def _write_job(store: JobStore, session: str, **fields) -> Path:
    """A job.json as a server would have left it."""
    job = Job(new_id(), "simulate", (("simulate", "--out", "out"),), "", created=time.time())
    job = Job(**{**{f: getattr(job, f) for f in job.__dataclass_fields__}, **fields})
    folder = store.session_dir(session) / "jobs" / job.job_id
    folder.mkdir(parents=True)
    (folder / "job.json").write_text(json.dumps(job.document()), encoding="utf-8")
    return folder


def test_ids_are_checked_before_any_path_is_built(tmp_path):
    store = JobStore(tmp_path)
    session = new_id()
    assert valid_id(session) and not valid_id(session.upper())
    for bad in ("..", "../" + session, session + "/..", "", "x" * 32, session[:-1], "%2e%2e"):
        assert store.job_dir(session, bad) is None, bad
        with pytest.raises(ValueError):
            store.session_dir(bad)
    assert store.read(session, new_id()) is None  # well-formed, but not this session's


def test_a_job_runs_the_cli_to_done_and_a_refused_one_keeps_the_clis_line(tmp_path, tiny_path):
    store = JobStore(tmp_path, slots=2)
    session = new_id()
    steps = [["simulate", "county.xlsx", "--reps", "3", "--out", "out"]]
    workbook = tmp_path / "c.xlsx"
    import scenarios

    scenarios.write_county_workbook(tiny_path, workbook)
    good = store.submit(session, "simulate", steps, "c.xlsx", workbook, {"reps": 3})
    bad = store.submit(
        session, "simulate", [["simulate", "nowhere.toml", "--out", "out"]], "", None, {}
    )
    assert store.read(session, good.job_id).state in ("queued", "running", "done")
    done, failed = _wait(store, session, good.job_id), _wait(store, session, bad.job_id)
    assert done.state == "done", done
    folder = store.job_dir(session, good.job_id)
    assert (folder / "out" / "summary.csv").is_file() and (folder / "county.xlsx").is_file()
    assert done.started <= done.ended and done.pid is None
    assert failed.state == "failed"
    assert failed.error.startswith("nowhere.toml: "), failed.error
    assert "\n" not in failed.error
    assert [j.job_id for j in store.jobs(session)] == [bad.job_id, good.job_id]  # newest first
    again = store.again(session, failed)
    assert again.job_id != failed.job_id and again.steps == failed.steps
    _wait(store, session, again.job_id)


def test_a_restart_marks_what_was_running_interrupted_and_leaves_finished_jobs(tmp_path):
    store = JobStore(tmp_path)
    session = new_id()
    gone = subprocess.Popen(["true"])
    gone.wait()
    ours = subprocess.Popen(["sleep", "30"], start_new_session=True)  # a child left behind
    stranger = subprocess.Popen(["sleep", "30"], start_new_session=True)  # a reused pid
    try:
        folders = {
            "gone": _write_job(store, session, state="running", pid=gone.pid, pid_start="1"),
            "ours": _write_job(
                store, session, state="running", pid=ours.pid,
                pid_start=store_module._process_start(ours.pid),
            ),
            "stranger": _write_job(
                store, session, state="running", pid=stranger.pid, pid_start="1"
            ),
            "queued": _write_job(store, session, state="queued"),
            "done": _write_job(store, session, state="done", ended=1.0),
        }  # fmt: skip
        marked = store.recover()
        states = {k: json.loads((f / "job.json").read_text())["state"] for k, f in folders.items()}
        assert states == {
            "gone": "interrupted",
            "ours": "interrupted",
            "stranger": "interrupted",
            "queued": "interrupted",
            "done": "done",
        }
        assert len(marked) == 4
        assert ours.wait(timeout=10) == -signal.SIGTERM  # no server would record its end
        assert stranger.poll() is None  # not ours: left alone
    finally:
        for child in (ours, stranger):
            if child.poll() is None:
                os.kill(child.pid, signal.SIGKILL)
                child.wait()


def test_the_time_left_is_the_current_bars_rate_applied_to_what_it_has_left(tmp_path):
    path = tmp_path / "progress.jsonl"
    lines = [
        {"label": "solve", "done": 0, "total": None, "time": 100.0},
        {"label": "solve", "done": 1, "total": 1, "time": 110.0},
        {"label": "judge", "done": 0, "total": 100, "time": 110.0},
        {"label": "judge", "done": 25, "total": 100, "time": 120.0},
    ]
    path.write_text("\n".join(map(json.dumps, lines)) + "\n{half a line", encoding="utf-8")
    progress = read_progress(path, now=120.0)
    assert progress.label == "judge" and progress.fraction == 0.25
    assert progress.left_s == pytest.approx(30.0)  # 25 in 10 s: 75 more in 30 s
    assert progress.elapsed_s == pytest.approx(20.0)
    assert read_progress(path, now=125.0).left_s == pytest.approx(25.0)
    path.write_text(json.dumps(lines[0]) + "\n", encoding="utf-8")
    assert read_progress(path, now=105.0).left_s is None  # a solve has no count
    assert read_progress(tmp_path / "none.jsonl") is None


@pytest.mark.parametrize("text", ["2800000", "2,800,000", "280万", "280万元", "2.8M"])
def test_the_budget_is_read_as_the_scenarios_money_reads_it(text):
    assert _budget(text, "en") == 2_800_000


def test_a_budget_that_is_not_money_is_refused_with_the_forms_read():
    assert _budget("", "en") is None  # the county's own
    refused = _budget("lots", "en")
    assert refused.startswith("budget: not an amount of yuan") and "280万" in refused


def test_with_a_token_every_request_needs_it(tmp_path):
    app = create_app(tmp_path, token=TOKEN)
    with TestClient(app) as client:
        refused = client.get("/")
        assert refused.status_code == 401 and 'name="token"' in refused.text
        assert client.get("/jobs/" + new_id()).status_code == 401
        assert client.get("/?token=wrong-token-0000").status_code == 401
        entered = client.get(f"/?token={TOKEN}", follow_redirects=False)
        assert entered.status_code == 303 and "token" not in entered.headers["location"]
        assert client.get("/").status_code == 200  # the session cookie carries it now
    with TestClient(app) as other:
        assert other.post("/login", data={"token": "wrong-token-0000"}).status_code == 401
        assert other.post("/login", data={"token": TOKEN}).status_code == 200  # after 303
        assert other.get("/").status_code == 200


def test_pages_forbid_inline_script_and_framing(tmp_path):
    with TestClient(create_app(tmp_path)) as client:
        page = client.get("/login")  # no token: straight to the county page
        headers = client.get("/").headers
    assert page.status_code == 200
    assert "script-src" not in headers["content-security-policy"]  # default-src 'self' only
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_an_upload_too_large_or_not_a_workbook_is_refused_in_the_page(tmp_path):
    with TestClient(create_app(tmp_path)) as client:
        big = client.post("/county", files={"workbook": ("c.xlsx", b"0" * (UPLOAD_LIMIT + 1))})
        assert big.status_code == 400 and "5 MB" in big.text
        text = client.post("/county", files={"workbook": ("notes.txt", b"hello")})
        assert text.status_code == 400 and "notes.txt: " in text.text
        macro = client.post("/county", files={"workbook": ("c.xlsm", b"PK")})
        assert macro.status_code == 400
        assert "c.xlsm: a .xlsm workbook is not read" in macro.text  # the CLI's line
        assert not list(tmp_path.glob("sessions/*/counties/*"))  # nothing refused is kept


def test_two_sessions_cannot_open_each_others_jobs(tmp_path):
    app = create_app(tmp_path)
    with TestClient(app) as mine, TestClient(app) as theirs:
        started = mine.post("/jobs/simulate", data={"sim_reps": "1"}, follow_redirects=False)
        assert started.status_code == 303
        url = started.headers["location"]
        assert mine.get(url).status_code == 200
        for path in ("", "/status.json", "/files/plan.xlsx", "/map.png"):
            assert theirs.get(url + path).status_code == 404, path
        assert theirs.post(url + "/again").status_code == 404
        sessions = list((tmp_path / "sessions").iterdir())
        job_id = url.rsplit("/", 1)[1]
        store = JobStore(tmp_path)
        owner = next(s.name for s in sessions if (s / "jobs" / job_id).is_dir())
        assert _wait(store, owner, job_id).state == "done"
