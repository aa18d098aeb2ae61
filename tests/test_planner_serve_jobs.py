"""``yingji serve`` without a browser: the on-disk job store (states, interrupted jobs, ids),
the progress estimate, the budget's forms, the token, uploads refused, and sessions apart."""

from __future__ import annotations

import html
import io
import json
import os
import re
import signal
import stat
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import scenarios
from planner.web import jobs as store_module
from planner.web.app import UPLOAD_LIMIT, _budget, create_app
from planner.web.jobs import (
    Job,
    JobStore,
    Progress,
    new_id,
    read_progress,
    valid_id,
    whole_job_left,
)
from planner.web.questions import parse_budgets, sweep_toml

TOKEN = "a-token-long-enough"
FORM_TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


def _form_token(client: TestClient, page: str = "/") -> str:
    """The session's form token, as a page's forms carry it."""
    return FORM_TOKEN.search(client.get(page).text)[1]


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
        csrf = _form_token(other, "/login")
        assert other.post("/login", data={"token": TOKEN}).status_code == 403  # no form token
        wrong = {"token": "wrong-token-0000", "csrf": csrf}
        assert other.post("/login", data=wrong).status_code == 401
        assert other.post("/login", data={"token": TOKEN, "csrf": csrf}).status_code == 200
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
        form = {"csrf": _form_token(client)}
        big = client.post(
            "/county", data=form, files={"workbook": ("c.xlsx", b"0" * (UPLOAD_LIMIT + 1))}
        )
        assert big.status_code == 400 and "5 MB" in big.text
        text = client.post("/county", data=form, files={"workbook": ("notes.txt", b"hello")})
        assert text.status_code == 400 and "notes.txt: " in text.text
        macro = client.post("/county", data=form, files={"workbook": ("c.xlsm", b"PK")})
        assert macro.status_code == 400
        assert "c.xlsm: a .xlsm workbook is not read" in macro.text  # the CLI's line
        assert not list(tmp_path.glob("sessions/*/counties/*"))  # nothing refused is kept


def test_two_sessions_cannot_open_each_others_jobs(tmp_path):
    app = create_app(tmp_path)
    with TestClient(app) as mine, TestClient(app) as theirs:
        form = {"sim_reps": "1", "csrf": _form_token(mine)}
        started = mine.post("/jobs/simulate", data=form, follow_redirects=False)
        assert started.status_code == 303
        url = started.headers["location"]
        assert mine.get(url).status_code == 200
        for path in ("", "/status.json", "/files/plan.xlsx", "/map.png", "/edit", "/forest.png"):
            assert theirs.get(url + path).status_code == 404, path
        theirs_form = {"csrf": _form_token(theirs)}
        for action in ("/again", "/cancel", "/edit"):
            assert theirs.post(url + action, data=theirs_form).status_code == 404, action
        sessions = list((tmp_path / "sessions").iterdir())
        job_id = url.rsplit("/", 1)[1]
        store = JobStore(tmp_path)
        owner = next(s.name for s in sessions if (s / "jobs" / job_id).is_dir())
        assert _wait(store, owner, job_id).state == "done"


# ---------------------------------------------------------------------------- the questions


def test_budgets_to_sweep_are_read_in_the_money_forms_current_and_more():
    current = 2_800_000.0
    assert parse_budgets("当前 +50万 +100万", current, "zh") == [2.8e6, 3.3e6, 3.8e6]
    assert parse_budgets("current; +0.5M; 3.8M", current, "en") == [2.8e6, 3.3e6, 3.8e6]
    assert parse_budgets("2,800,000, 3,300,000", current, "en") == [2.8e6, 3.3e6]
    assert parse_budgets("280万、330万，380万", current, "zh") == [2.8e6, 3.3e6, 3.8e6]
    assert parse_budgets("330万 280万 280万 2.8M", current, "en") == [2.8e6, 3.3e6]  # sorted, once
    refused = parse_budgets("280万 lots", current, "en")
    assert refused.startswith("budgets: lots: not an amount of yuan") and "280万" in refused
    assert parse_budgets("280万", current, "en") == "budgets: give 2 to 6 different budgets (got 1)"
    assert "\n" not in parse_budgets("1 2 3 4 5 6 7", current, "zh")
    assert parse_budgets("current +1e99", current, "en").startswith("budgets: +1e99: ")


def test_the_sweep_file_a_job_writes_is_read_by_the_sweep_loader(tmp_path, tiny_path):
    from scenarios.sweep import load_sweep

    workbook = scenarios.write_county_workbook(tiny_path, tmp_path / "county.xlsx")
    path = tmp_path / "sweep.toml"
    path.write_text(sweep_toml([60_000.0, 80_000.0, 100_500.5], workbook.name, 10, 20))
    sweep = load_sweep(path)
    budgets = [cell.value("budget_yuan") for cell in sweep.cells]
    assert budgets == [60_000, 80_000, 100_500.5]
    assert (sweep.settings.reps, sweep.settings.sampled_years) == (20, 10)
    assert sweep.settings.baselines == ("status_quo",)


def test_a_post_without_the_sessions_form_token_is_refused(tmp_path):
    with TestClient(create_app(tmp_path)) as client, TestClient(create_app(tmp_path)) as other:
        good = {"csrf": _form_token(client), "sim_reps": "1"}
        stolen = {"csrf": _form_token(other), "sim_reps": "1"}  # another session's token
        for form in ({"sim_reps": "1"}, {**good, "csrf": "x" * 43}, stolen):
            refused = client.post("/jobs/simulate", data=form, follow_redirects=False)
            assert refused.status_code == 403 and "refused" not in refused.text.lower()
            assert "表单已过期" in refused.text
        for path in ("/county/bundled", "/jobs/sweep", "/jobs/optimize", "/jobs/compare"):
            assert client.post(path, data={"sim_reps": "1"}).status_code == 403, path
        assert not list(tmp_path.glob("sessions/*/jobs/*"))  # nothing started
        started = client.post("/jobs/simulate", data=good, follow_redirects=False)
        assert started.status_code == 303


@pytest.fixture(scope="module")
def planned(tmp_path_factory, tiny_path) -> Iterator[tuple[TestClient, str, Path]]:
    """A session with the tiny county and a small optimisation run to the end; its page's URL."""
    root = tmp_path_factory.mktemp("planned")
    with TestClient(create_app(root)) as client:
        form = {"csrf": _form_token(client)}
        workbook = scenarios.write_county_workbook(tiny_path, root / "tiny.xlsx")
        files = {"workbook": ("tiny.xlsx", workbook.read_bytes())}
        client.post("/county", data=form, files=files)
        form |= {"budget": "8万", "scenarios": "10", "reps": "20"}
        url = client.post("/jobs/optimize", data=form, follow_redirects=False).headers["location"]
        deadline = time.monotonic() + 120
        while client.get(url + "/status.json").json()["active"]:
            assert time.monotonic() < deadline, "the optimisation did not finish"
            time.sleep(0.3)
        yield client, url, root


def test_bad_quantities_in_the_edit_table_are_refused_in_one_line(planned):
    client, url, root = planned
    jobs_before = len(list(root.glob("sessions/*/jobs/*")))
    page = client.get(url + "/edit")
    assert page.status_code == 200
    fields = dict(re.findall(r'name="(q\d+)" id="q\d+" value="(\d+)"', page.text))
    assert fields, page.text
    form = {"csrf": _form_token(client, url + "/edit"), **fields}
    for typed in ("-3", "2.5", "lots", "99999999"):
        refused = client.post(url + "/edit", data={**form, "q0": typed})
        assert refused.status_code == 400
        line = re.search(r'id="edit-error">([^<]+)<', refused.text)[1]
        assert line.startswith("第 1 行（") and "数量" in line and typed in line, line
        assert f'value="{typed}"' in refused.text  # what was typed stays in the table
    missing = client.post(url + "/edit", data={**form, "add_quantity": "2"})
    assert missing.status_code == 400 and "新加的一行" in missing.text
    unchanged = client.post(url + "/edit", data=form)
    assert unchanged.status_code == 400 and "与原方案相同" in unchanged.text
    assert len(list(root.glob("sessions/*/jobs/*"))) == jobs_before  # nothing started


def test_a_plan_file_the_county_cannot_read_is_refused_in_the_clis_line(planned):
    client, _, _ = planned
    form = {"csrf": _form_token(client), "plan_a": "status_quo", "compare_reps": "20"}
    unknown = b"part,item_id,depot_id,team_id,quantity\npurchase,<b>x</b>,D_A,,2\n"
    for name, data, line in (
        ("mine.csv", unknown, "mine.csv: row 2, field item_id: unknown item (got '<b>x</b>')"),
        ("mine.txt", b"hello", "mine.txt: 方案文件只接受 CSV、xlsx 或 JSON"),
    ):
        refused = client.post("/jobs/compare", data=form, files={"file_b": (name, data)})
        assert refused.status_code == 400
        shown = re.search(r'id="compare-error">([^<]+)<', refused.text)[1]
        assert html.unescape(shown) == line
    same = client.post("/jobs/compare", data={**form, "plan_b": "status_quo"})
    assert same.status_code == 400 and "同一个方案" in same.text


# ---------------------------------------------------------------------------- cancelling


def _long_job(store: JobStore, session: str, tiny_path: Path, tmp_path: Path) -> Job:
    workbook = scenarios.write_county_workbook(tiny_path, tmp_path / "c.xlsx")
    steps = [["simulate", "county.xlsx", "--reps", "100000", "--out", "out"]]
    return store.submit(session, "simulate", steps, "c.xlsx", workbook, {"reps": 100_000})


def test_cancel_stops_the_child_and_its_partial_results_never_show(tmp_path, tiny_path):
    store = JobStore(tmp_path, slots=1)
    session = new_id()
    running = _long_job(store, session, tiny_path, tmp_path)
    waiting = _long_job(store, session, tiny_path, tmp_path)
    deadline = time.monotonic() + 30
    while (job := store.read(session, running.job_id)).pid is None:
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.1)
    folder = store.job_dir(session, running.job_id)
    while not (folder / "progress.jsonl").exists():  # the simulation is under way
        assert time.monotonic() < deadline
        time.sleep(0.1)
    child = job.pid
    assert store.cancel(session, waiting.job_id).state == "cancelled"  # still queued
    assert store.cancel(session, running.job_id).state == "cancelled"
    while Path(f"/proc/{child}").exists() and _process_alive(child):
        assert time.monotonic() < deadline + 15, "the child still runs"
        time.sleep(0.1)
    while (folder / "out").exists():
        assert time.monotonic() < deadline + 20, "the partial results are still there"
        time.sleep(0.1)
    time.sleep(0.5)  # the runner thread has written whatever it would write
    for job_id in (running.job_id, waiting.job_id):
        assert store.read(session, job_id).state == "cancelled"
    assert not (store.job_dir(session, waiting.job_id) / "stdout.log").exists()  # never ran
    assert store.cancel(session, running.job_id).state == "cancelled"  # again: nothing to do


def _process_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its parent to read it has stopped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# ---------------------------------------------------------------------------- time left


def test_the_time_left_counts_the_steps_still_to_come():
    steps = (("optimize", "--out", "out"), ("report", "out", "--lang", "zh"), ("report", "x"))
    job = Job(new_id(), "optimize", steps, "", state="running", step=0, step_started=100.0)
    typical = {0: 60.0, 1: 8.0, 2: 8.0}
    current = Progress("judging", 50, 100, 30.0, 10.0)
    # The bar says 10 s, but like optimisations took 60 s and 30 s are spent: 30 s more.
    assert whole_job_left(job, current, lambda j, i: typical[i], now=130.0) == (30.0, 46.0)
    # Past what like steps took: the bar's own estimate.
    assert whole_job_left(job, current, lambda j, i: typical[i], now=200.0) == (10.0, 26.0)
    unknown = {0: None, 1: 8.0, 2: None}
    assert whole_job_left(job, current, lambda j, i: unknown[i], now=130.0) == (10.0, None)
    assert whole_job_left(job, None, lambda j, i: unknown[i], now=130.0) == (None, None)


def test_like_steps_are_those_of_the_same_command_in_this_job_then_on_this_server(tmp_path):
    store = JobStore(tmp_path)
    session = new_id()
    report = ("report", "out", "--lang", "zh")
    _write_job(
        store, session, state="done", steps=(("optimize", "--out", "out"), report),
        step_seconds=(50.0, 6.0),
    )  # fmt: skip
    sweep = (("sweep", "sweep.toml", "--out", "out"), ("optimize", "--budget", "1", "--out", "p/0"))
    sweep += (("optimize", "--budget", "2", "--out", "p/1"), report)
    job = Job(new_id(), "sweep", sweep, "", state="running", step=2, step_seconds=(20.0, 12.0))
    assert store.typical_seconds(job, 2) == 12.0  # this job's own first optimisation
    assert store.typical_seconds(job, 3) == 6.0  # the same report, run before on this server
    assert store.typical_seconds(job, 0) == 20.0  # the step it timed itself
    fresh = Job(new_id(), "compare", (("compare", "a.csv", "b.csv", "--out", "out"),), "")
    assert store.typical_seconds(fresh, 0) is None  # never seen: no guess
    sized = ("optimize", "--budget", "9", "--scenarios", "50", "--reps", "50", "--out", "out")
    _write_job(store, session, state="done", steps=(sized,), step_seconds=(40.0,))
    store = JobStore(tmp_path)  # read the history again
    other = ("optimize", "--budget", "7", "--scenarios", "50", "--reps", "50", "--out", "p/0")
    assert store.typical_seconds(Job(new_id(), "sweep", (other,), ""), 0) == 40.0
    bigger = ("optimize", "--budget", "7", "--scenarios", "200", "--reps", "50", "--out", "o")
    assert store.typical_seconds(Job(new_id(), "sweep", (bigger,), ""), 0) is None


# ---------------------------------------------------------------------------- a county in a zip


def _zip(members: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name in links:  # a symbolic link, as zip -y stores one
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def _county_files(tiny_path: Path, top: str = "tiny/") -> dict[str, bytes]:
    return {top + p.name: p.read_bytes() for p in sorted(tiny_path.parent.iterdir())}


def _upload_zip(client: TestClient, name: str, data: bytes):
    form = {"csrf": _form_token(client)}
    return client.post("/county", data=form, files={"workbook": (name, data)})


def test_a_county_zip_is_unpacked_and_its_jobs_run_on_it(tmp_path, tiny_path):
    with TestClient(create_app(tmp_path)) as client:
        accepted = _upload_zip(client, "county.zip", _zip(_county_files(tiny_path)))
        assert accepted.status_code == 200
        assert '<span id="county-name">小县</span>' in accepted.text
        assert '<strong id="county-file">county.zip</strong>' in accepted.text
        form = {"csrf": _form_token(client), "sim_reps": "3"}
        url = client.post("/jobs/simulate", data=form, follow_redirects=False).headers["location"]
        deadline = time.monotonic() + 60
        while client.get(url + "/status.json").json()["active"]:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert client.get(url + "/status.json").json()["state"] == "done"
        folder = next(tmp_path.glob(f"sessions/*/jobs/{url.rsplit('/', 1)[1]}"))
        assert (folder / "county" / "tiny" / "scenario.toml").is_file()  # the job's own copy
        assert (
            "county/tiny/scenario.toml" in json.loads((folder / "job.json").read_text())["steps"][0]
        )


@pytest.mark.parametrize(
    ("members", "line"),
    [
        ({"../evil.csv": b"x"}, "c.zip: ../evil.csv: a path outside the folder"),
        ({"/etc/evil.csv": b"x"}, "c.zip: /etc/evil.csv: a path outside the folder"),
        ({"a\\..\\..\\evil.csv": b"x"}, "c.zip: a\\..\\..\\evil.csv: a path outside the folder"),
        ("link", "c.zip: tiny/link.csv: a link: refused"),
        ({"big.csv": b"0" * (51 * 1024 * 1024)}, "c.zip: the zip unpacks to more than 50 MB"),
        ({"a.toml": b"", "b.toml": b""}, "c.zip: more than one .toml file at the top"),
        ({"x.csv": b"a\n1\n"}, "c.zip: no county .toml settings file in the zip"),
        ("outside", "c.zip: tiny/scenario.toml: tables.townships: a table must be a file in"),
        ("absolute", "c.zip: tiny/scenario.toml: tables.townships: a table must be a file in"),
        ("bad value", "c.zip/tiny/items.csv: row 2, field unit_price_yuan: input should be"),
        (b"not a zip", "c.zip: not a zip file"),
    ],
)
def test_a_hostile_or_broken_county_zip_is_refused_in_one_line_naming_it(
    tmp_path, tiny_path, members, line
):
    files = _county_files(tiny_path)
    links: tuple[str, ...] = ()
    if members == "link":
        members, links = files, ("tiny/link.csv",)
    elif members in ("outside", "absolute"):
        toml = files["tiny/scenario.toml"].decode()
        table = "../../../../etc/passwd" if members == "outside" else "/etc/passwd"
        members = files | {
            "tiny/scenario.toml": toml.replace('"townships.csv"', f'"{table}"').encode()
        }
    elif members == "bad value":
        items = files["tiny/items.csv"].decode().splitlines()
        header = items[0].split(",")
        row = items[1].split(",")
        row[header.index("unit_price_yuan")] = "-3"
        members = files | {"tiny/items.csv": "\n".join([items[0], ",".join(row)]).encode()}
    data = members if isinstance(members, bytes) else _zip(members, links)
    with TestClient(create_app(tmp_path)) as client:
        client.get("/?lang=en")
        refused = _upload_zip(client, "c.zip", data)
        assert refused.status_code == 400
        shown = html.unescape(re.search(r'class="line">([^<]*)<', refused.text)[1])
        assert shown.startswith(line), shown
        assert str(tmp_path) not in refused.text and "\n" not in shown
        assert "Default county" in refused.text  # the county in use is still the bundled one
    assert not [p for p in tmp_path.glob("sessions/*/counties/*")]  # nothing refused is kept
    assert not Path("/etc/evil.csv").exists()


def test_a_jobs_inputs_are_written_under_plain_names_and_go_with_it_when_run_again(tmp_path):
    store = JobStore(tmp_path)
    session = new_id()
    steps = [["simulate", "nowhere.toml", "--out", "out"]]
    for bad in ("../up.csv", "a/b.csv", ".hidden", "job.json", "county"):
        with pytest.raises(ValueError):
            store.submit(session, "compare", steps, "", None, {}, {bad: b"x"})
    job = store.submit(session, "compare", steps, "", None, {}, {"plan_A.csv": b"x"})
    failed = _wait(store, session, job.job_id)
    again = store.again(session, failed)
    assert (store.job_dir(session, again.job_id) / "plan_A.csv").read_bytes() == b"x"
    assert again.inputs == ("plan_A.csv",)
    _wait(store, session, again.job_id)


def test_another_sessions_plan_cannot_be_compared_or_edited(planned):
    client, url, _ = planned
    job_id = url.rsplit("/", 1)[1]
    assert f'value="job:{job_id}"' in client.get("/").text  # offered to its own session
    with TestClient(client.app) as stranger:
        assert stranger.get(url + "/edit").status_code == 404
        form = {"csrf": _form_token(stranger), "compare_reps": "20"}
        form |= {"plan_a": "status_quo", "plan_b": f"job:{job_id}"}
        refused = stranger.post("/jobs/compare", data=form)
        assert refused.status_code == 400
        assert "方案 B：请从列表中选择一个方案或上传文件" in refused.text
        assert f"job:{job_id}" not in refused.text
