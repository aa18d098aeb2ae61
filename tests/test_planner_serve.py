"""``yingji serve`` as a planner meets it: a real server process, a real headless Chromium.

Upload a county, optimise a small budget while the progress bar moves, read the plan,
download the purchasing office's list and check its sum; English; refused uploads in
the CLI's words; a name that is a script stays text; a server killed mid-job and
started again; the token; sessions apart; and no other address without a token.
"""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openpyxl
import pytest

import scenarios
from planner.printing import find_chromium
from scenarios.plan import OFFICE_SHEET
from tests.builders import TOML_BASE, TOWNSHIPS, write_scenario
from tests.support import run_process
from tests.test_planner_pdf import require_chromium

CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCRIPT_NAME = "<script>alert(1)</script>"
FILE_NAME = "<img src=x onerror=alert(2)>.xlsx"  # a file name holds no "/"
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
TOKEN = "serve-test-token-0123"
WAIT_S = 120


def require_browser():
    """Fail (not skip) without Chromium or chromedriver, naming the command that installs them."""
    require_chromium()
    if not CHROMEDRIVER.exists():
        pytest.fail(
            f"chromedriver not found at {CHROMEDRIVER}: the serve tests drive Chromium with it; "
            "install it with: sudo apt-get install chromium-driver",
            pytrace=False,
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A ``yingji serve`` process on a free port of 127.0.0.1."""

    root: Path
    port: int
    extra: tuple[str, ...] = ()
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        command = [sys.executable, "-m", "planner.cli", "serve", "--port", str(self.port)]
        command += ["--root", str(self.root), *self.extra]
        log = (self.root.parent / f"serve-{self.port}.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (
                self.root.parent / f"serve-{self.port}.log"
            ).read_text()
            try:
                httpx.get(self.url + "/static/style.css", timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError("yingji serve did not answer within 30 s")

    def kill(self) -> None:
        """As a crash or a power cut: no chance to tidy up."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # Ctrl-C
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(find_chromium())
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000"):
        options.add_argument(flag)
    # The login page has a password field: Chromium's password manager would offer to save
    # it and check it for leaks over the network (there is none here) when it is posted.
    options.add_argument("--disable-features=PasswordLeakDetection,PasswordManagerOnboarding")
    options.add_argument("--password-store=basic")
    options.add_experimental_option(
        "prefs",
        {
            "credentials_enable_service": False,
            "profile.password_manager_enabled": False,
            "profile.password_manager_leak_detection": False,
        },
    )
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("serve") / "root"
    running = Server(root, _free_port()).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("county")
    return scenarios.write_county_workbook(write_scenario(folder / "tiny"), folder / "c.xlsx")


def _fresh_session(driver, server: Server) -> None:
    driver.get(server.url + "/static/style.css")
    driver.delete_all_cookies()
    driver.get(server.url + "/?lang=zh")


def _upload(driver, path: Path) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, "#upload input[type=file]").send_keys(str(path))
    _submit(driver, driver.find_element(By.CSS_SELECTOR, "#upload button"))


def _submit(driver, button) -> None:
    """Click and wait for the next page: until then, elements found are the old page's."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    button.click()
    try:
        WebDriverWait(driver, 60).until(expected_conditions.staleness_of(button))
    except TimeoutException:
        raise AssertionError(
            f"no new page 60 s after the click: still at {driver.current_url} ({driver.title!r})"
        ) from None


def _text(driver, selector: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector).text


def _wait_for(condition, seconds: float = WAIT_S, what: str = "") -> object:
    """``condition()`` once true; a page reloading under it (a stale element) is asked again."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            found = condition()
        except (StaleElementReferenceException, NoSuchElementException):
            found = None
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s: {what}")


def _image_shown(driver, selector: str) -> bool:
    return driver.execute_script(
        "var i = document.querySelector(arguments[0]);"
        "return !!i && i.complete && i.naturalWidth > 100;",
        selector,
    )


def _cookies(driver) -> dict[str, str]:
    return {c["name"]: c["value"] for c in driver.get_cookies()}


def _start_plan(driver, budget: str, sampled: str, reps: str) -> str:
    """Fill the budget form, start the job; its URL."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.by import By

    for attempt in range(3):
        try:
            for name, value in (("budget", budget), ("scenarios", sampled), ("reps", reps)):
                field = driver.find_element(By.ID, name)
                field.clear()
                field.send_keys(value)
            _submit(driver, driver.find_element(By.ID, "optimize-button"))
            break
        except (StaleElementReferenceException, WebDriverException) as error:
            # The page was replaced under the form (a reload an earlier page's script had
            # asked for): fill it in again on the page as it now is.
            replaced = isinstance(error, StaleElementReferenceException) or (
                "does not belong to the document" in str(error)
            )
            if not replaced or attempt == 2:
                raise
            time.sleep(1.0)
    _wait_for(lambda: "/jobs/" in driver.current_url, 30, "the job's page")
    return driver.current_url.split("?")[0]


def test_a_planner_uploads_a_county_optimises_and_downloads_the_list(browser, server, workbook):
    from selenium.webdriver.common.by import By

    _fresh_session(browser, server)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    assert "县应急物资规划" in browser.title
    _upload(browser, workbook)
    assert _text(browser, "#county-name") == "小县"
    assert _text(browser, "#county-file") == "c.xlsx"
    stock = _text(browser, "#stock")
    assert "县级" in stock and "合计" in stock
    _wait_for(lambda: _image_shown(browser, "#county-map"), 30, "the township map")

    job_url = _start_plan(browser, "8万", "10", "20")
    seen = set()

    def finished() -> bool:
        bars = browser.find_elements(By.ID, "bar")
        if bars:
            seen.add(bars[0].get_attribute("value") or "indeterminate")
        return bool(browser.find_elements(By.ID, "plan-table"))

    _wait_for(finished, WAIT_S, "the plan's table")
    assert seen, "the progress bar never showed"
    assert _text(browser, "#state") == "已完成"
    assert "80,000" in _text(browser, ".settings")
    rows = browser.find_elements(By.CSS_SELECTOR, "#plan-table tbody tr")
    assert rows
    amounts = [float(r.find_elements(By.TAG_NAME, "td")[-1].text.replace(",", "")) for r in rows]
    total = float(_text(browser, "#plan-total").replace(",", ""))
    assert sum(amounts) == pytest.approx(total) and 0 < total <= 80_000
    assert "现状" in _text(browser, "#evaluation")
    _wait_for(lambda: _image_shown(browser, "#spending"), 30, "the spending chart")

    download = browser.find_element(By.ID, "download-xlsx").get_attribute("href")
    got = httpx.get(download, cookies=_cookies(browser), timeout=30)
    assert got.status_code == 200
    assert "attachment" in got.headers["content-disposition"]
    sheet = openpyxl.load_workbook(_saved(got.content, server.root.parent / "plan.xlsx"))[
        OFFICE_SHEET
    ]
    lines = [r for r in sheet.iter_rows(min_row=2, values_only=True) if isinstance(r[0], int)]
    assert sum(price * quantity for _, _, _, price, quantity, *_ in lines) == pytest.approx(total)
    for link in ("download-html", "download-pdf"):
        href = browser.find_element(By.ID, link).get_attribute("href")
        assert httpx.get(href, cookies=_cookies(browser), timeout=30).status_code == 200

    _submit(browser, browser.find_element(By.ID, "lang-en"))
    _wait_for(lambda: "What to buy" in _text(browser, "#plan"), 30, "English")
    assert _text(browser, "#state") == "done"
    assert not CJK.search(_text(browser, "#evaluation thead"))
    assert (
        browser.find_element(By.ID, "download-pdf").get_attribute("href").endswith("report.en.pdf")
    )
    browser.get(server.url + "/")
    assert "Value of today's stock" in _text(browser, "#county")  # the cookie keeps English

    # Another browser's session: the same URLs are not found.
    with httpx.Client() as stranger:
        for path in ("", "/status.json", "/files/plan.xlsx", "/spending.png"):
            assert stranger.get(job_url + path).status_code == 404, path


def _select(driver, element_id: str, shown_part: str) -> str:
    """Choose the option of a list whose text holds ``shown_part``; its text."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    menu = Select(driver.find_element(By.ID, element_id))
    option = next(o for o in menu.options if shown_part in o.text)
    menu.select_by_visible_text(option.text)
    return option.text


def _fill(driver, values: dict[str, str]) -> None:
    from selenium.webdriver.common.by import By

    for element_id, value in values.items():
        field = driver.find_element(By.ID, element_id)
        field.clear()
        field.send_keys(value)


def _cells(driver, selector: str) -> list[list[str]]:
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, f"{selector} tbody tr")
    return [[td.text for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]


def _yuan(text: str) -> float:
    return float(text.replace(",", "").replace("+", ""))


def test_what_more_money_buys_then_plan_a_against_plan_b(browser, server, workbook):
    from selenium.webdriver.common.by import By

    _fresh_session(browser, server)
    _upload(browser, workbook)
    _fill(browser, {"budgets": "6万 +0 10万", "sweep-scenarios": "10", "sweep-reps": "20"})
    _submit(browser, browser.find_element(By.ID, "sweep-button"))
    _wait_for(lambda: "/jobs/" in browser.current_url, 30, "the sweep's page")
    _wait_for(lambda: browser.find_elements(By.ID, "frontier-table"), WAIT_S, "the frontier")
    assert "60,000, 100,000" in _text(browser, ".settings")  # +0: the county's own 100,000
    frontier = _cells(browser, "#frontier-table")
    assert [row[0] for row in frontier] == ["60,000", "100,000"]
    for budget, spends, mean, interval, *_ in frontier:
        low, high = (_yuan(v) for v in interval.split(" – "))
        assert low <= _yuan(mean) <= high and _yuan(spends) <= _yuan(budget)
    assert frontier[1][4] and " – " in frontier[1][5]  # the paired step with its interval
    assert "20" in _text(browser, "#frontier .hint")  # how many simulated years
    _wait_for(lambda: _image_shown(browser, "#frontier-chart"), 30, "the frontier chart")

    lines = _cells(browser, "#difference")
    assert lines[-1][0] == "合计"
    assert sum(_yuan(row[-1]) for row in lines[:-1]) == pytest.approx(_yuan(lines[-1][-1]))
    spent = _yuan(frontier[1][1]) - _yuan(frontier[0][1])
    assert _yuan(lines[-1][-1]) == pytest.approx(spent)  # the extra money, item by item
    assert "60,000" in _text(browser, "#pair-outcomes")
    assert not browser.find_elements(By.ID, "plans-differ")  # the sweep's own plans
    plan_url = browser.find_element(By.ID, "edit-plan-1").get_attribute("href")
    browser.get(plan_url)  # the larger budget's plan, in the edit table
    assert f"{frontier[1][0]} 元" in _text(browser, "main .hint")
    assert f"{frontier[1][1]} 元" in _text(browser, "main .hint")  # what that plan buys
    assert browser.find_elements(By.CSS_SELECTOR, "#edit-table input[name^=q]")

    browser.get(server.url + "/")
    _select(browser, "plan-a", "现状")
    chosen = _select(browser, "plan-b", "100,000")
    _fill(browser, {"compare-reps": "20"})
    _submit(browser, browser.find_element(By.ID, "compare-button"))
    _wait_for(lambda: browser.find_elements(By.ID, "compared-plans"), WAIT_S, "the comparison")
    plans = _cells(browser, "#compared-plans")
    assert [row[0] for row in plans] == ["A: 现状（不采购）", f"B: {chosen}"]
    assert plans[1][2] == frontier[1][2]  # the same years: the sweep's figure to the yuan
    difference = _text(browser, "#difference-total")
    assert re.fullmatch(r"[+-][\d,]+ \([+-][\d,]+ – [+-][\d,]+\)", difference), difference
    assert _text(browser, "#verdict") in ("更好", "更差", "无显著差别", "相同")
    assert _cells(browser, "#breakdown")
    _wait_for(lambda: _image_shown(browser, "#forest"), 30, "the paired differences chart")


def test_a_planner_edits_a_plan_in_the_table_and_sees_it_judged(browser, server, workbook):
    from selenium.webdriver.common.by import By

    _fresh_session(browser, server)
    _upload(browser, workbook)
    _start_plan(browser, "8万", "10", "20")
    _wait_for(lambda: browser.find_elements(By.ID, "plan-table"), WAIT_S, "the plan")
    original = _cells(browser, "#evaluation")
    _submit(browser, browser.find_element(By.ID, "edit-plan"))
    first = browser.find_element(By.ID, "q0")
    kept = first.get_attribute("value")
    _fill(browser, {"q0": "-3"})
    _submit(browser, browser.find_element(By.ID, "judge-button"))
    refused = _text(browser, "#edit-error")
    assert "\n" not in refused and "第 1 行" in refused and "-3" in refused, refused
    assert browser.find_element(By.ID, "q0").get_attribute("value") == "-3"
    _fill(browser, {"q0": "0"})
    _submit(browser, browser.find_element(By.ID, "judge-button"))
    _wait_for(lambda: browser.find_elements(By.ID, "compared-plans"), WAIT_S, "the judgement")
    plans = _cells(browser, "#compared-plans")
    assert [row[0] for row in plans] == ["原方案", "修改后的方案"]
    optimised = next(row for row in original if row[0] == "优化方案")
    assert plans[0][2] == optimised[2]  # the original judged on the same years as before
    changes = _cells(browser, "#changes")
    assert changes[0][2] == kept and changes[0][3] == "0"
    assert " – " in _text(browser, "#difference-total")


def test_a_running_job_is_cancelled_from_its_page(browser, server, workbook):
    from selenium.webdriver.common.by import By

    _fresh_session(browser, server)
    _upload(browser, workbook)
    field = browser.find_element(By.CSS_SELECTOR, "#simulate-form input[name=sim_reps]")
    field.clear()
    field.send_keys("100000")
    _submit(browser, browser.find_element(By.CSS_SELECTOR, "#simulate-form button"))
    _wait_for(lambda: _text(browser, "#state") == "运行中", 60, "the job running")
    job_id = browser.current_url.split("?")[0].rsplit("/", 1)[1]
    folder = next(server.root.glob(f"sessions/*/jobs/{job_id}"))
    child = json.loads((folder / "job.json").read_text())["pid"]
    _submit(browser, browser.find_element(By.ID, "cancel"))
    _wait_for(lambda: _text(browser, "#state") == "已取消", 30, "the job cancelled")
    assert browser.find_elements(By.ID, "run-again") and not browser.find_elements(By.ID, "bar")
    assert not browser.find_elements(By.ID, "today-table")
    _wait_for(lambda: not (folder / "out").exists(), 30, "the partial results removed")
    _wait_for(lambda: not _alive(child), 30, "the child stopped")


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _saved(content: bytes, path: Path) -> Path:
    path.write_bytes(content)
    return path


def _expected_line(data: Path, name: str, tmp_path: Path) -> str:
    """What the CLI says of the same file under the same name."""
    copy_path = tmp_path / "cli" / name
    copy_path.parent.mkdir(exist_ok=True)
    copy_path.write_bytes(data.read_bytes())
    with pytest.raises(scenarios.InputError) as refused:
        scenarios.load(copy_path)
    return str(refused.value).replace(str(copy_path), name)


def test_refused_uploads_show_the_clis_one_line_message(browser, server, workbook, tmp_path):
    _fresh_session(browser, server)
    text = tmp_path / "notes.xlsx"
    text.write_text("a text file renamed", encoding="utf-8")
    bad = tmp_path / "bad.xlsx"
    book = openpyxl.load_workbook(workbook)
    items = next(ws for ws in book if ws.title.endswith("items"))
    column = next(c.column for c in items[1] if str(c.value).endswith("unit_price_yuan"))
    items.cell(row=4, column=column, value=-3)
    book.save(bad)
    for path in (text, bad):
        _upload(browser, path)
        shown = _text(browser, "#upload-error .line")
        assert shown == _expected_line(path, path.name, tmp_path), shown
        assert "\n" not in shown and str(server.root) not in shown
    assert "row 4" in shown and "unit_price_yuan" in shown
    assert _text(browser, "#county-name") != "小县"  # the county in use stays the bundled one
    hostile = tmp_path / "county.zip"
    with zipfile.ZipFile(hostile, "w") as archive:
        archive.writestr("county.toml", "")
        archive.writestr("../../escaped.csv", "a\n1\n")
    _upload(browser, hostile)
    shown = _text(browser, "#upload-error .line")
    assert shown == "county.zip: ../../escaped.csv：路径指向文件夹之外（绝对路径或 ..），未接受"
    assert not list(server.root.parent.rglob("escaped.csv"))


def test_a_township_named_like_a_script_shows_as_text(browser, server, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    towns = copy.deepcopy(TOWNSHIPS)
    towns[1]["name_zh"] = SCRIPT_NAME
    toml = copy.deepcopy(TOML_BASE)
    toml["scenario"]["name_zh"] = SCRIPT_NAME
    source = write_scenario(tmp_path / "s", toml=toml, tables={"townships": towns})
    named = scenarios.write_county_workbook(source, tmp_path / FILE_NAME)
    _fresh_session(browser, server)
    _upload(browser, named)
    assert _text(browser, "#county-name") == SCRIPT_NAME
    assert _text(browser, "#county-file") == FILE_NAME
    _wait_for(lambda: _image_shown(browser, "#county-map"), 30, "the map with the name")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - reading it is the check
    assert browser.find_elements(By.TAG_NAME, "script") == []
    assert browser.find_elements(By.CSS_SELECTOR, "main img:not([id])") == []
    assert SCRIPT_NAME in browser.page_source.replace("&lt;", "<").replace("&gt;", ">")
    assert SCRIPT_NAME not in browser.page_source  # only ever as escaped text


def test_a_server_killed_mid_job_shows_it_interrupted_and_keeps_finished_results(
    browser, workbook, tmp_path
):
    from selenium.webdriver.common.by import By

    first = Server(tmp_path / "root", _free_port()).start()
    try:
        _fresh_session(browser, first)
        _upload(browser, workbook)
        _submit(browser, browser.find_element(By.CSS_SELECTOR, "#simulate-form button"))
        _wait_for(lambda: browser.find_elements(By.ID, "today-table"), WAIT_S, "today's table")
        finished = browser.current_url
        browser.get(first.url + "/")
        long_job = _start_plan(browser, "", "300", "20000")
        _wait_for(lambda: _text(browser, "#state") == "运行中", 60, "the job running")
        record = next((tmp_path / "root").glob("sessions/*/jobs/*/job.json"), None)
        records = [
            json.loads(p.read_text())
            for p in (tmp_path / "root").glob("sessions/*/jobs/*/job.json")
        ]
        child = next(r["pid"] for r in records if r["state"] == "running")
        assert record is not None
    finally:
        first.kill()
    second = Server(tmp_path / "root", first.port).start()
    try:
        browser.get(long_job)
        assert _text(browser, "#state") == "已中断（服务器曾停止）"
        assert browser.find_elements(By.ID, "run-again")
        assert not browser.find_elements(By.ID, "bar")
        _wait_for(lambda: not Path(f"/proc/{child}").exists(), 15, "the orphan stopped")
        browser.get(finished)
        assert browser.find_elements(By.ID, "today-table")
        assert _image_shown(browser, "#today-map") or _wait_for(
            lambda: _image_shown(browser, "#today-map"), 30, "today's map"
        )
    finally:
        second.stop()


def test_with_a_token_the_login_page_comes_first(browser, tmp_path):
    from selenium.webdriver.common.by import By

    guarded = Server(tmp_path / "root", _free_port(), ("--token", TOKEN)).start()
    try:
        assert httpx.get(guarded.url + "/").status_code == 401
        with httpx.Client() as client:
            entered = client.get(f"{guarded.url}/?token={TOKEN}", follow_redirects=True)
            assert entered.status_code == 200 and entered.url.query == b""
            assert client.get(guarded.url + "/").status_code == 200
        _fresh_session(browser, guarded)
        assert browser.find_elements(By.CSS_SELECTOR, "#login input[name=token]")
        assert not browser.find_elements(By.ID, "county")
        field = browser.find_element(By.CSS_SELECTOR, "#login input[name=token]")
        field.send_keys("not-the-token-000")
        _submit(browser, browser.find_element(By.CSS_SELECTOR, "#login button"))
        assert browser.find_elements(By.ID, "login-error")
        field = browser.find_element(By.CSS_SELECTOR, "#login input[name=token]")
        field.send_keys(TOKEN)
        _submit(browser, browser.find_element(By.CSS_SELECTOR, "#login button"))
        _wait_for(lambda: browser.find_elements(By.ID, "county"), 30, "the county page")
        # Logged in, a form posted from elsewhere (no form token) is still refused.
        cookies = _cookies(browser)
        forged = httpx.post(guarded.url + "/jobs/simulate", data={"sim_reps": "1"}, cookies=cookies)
        assert forged.status_code == 403
        assert not list((tmp_path / "root").glob("sessions/*/jobs/*"))
    finally:
        guarded.stop()


def test_serving_on_another_address_without_a_token_is_refused_in_one_line(tmp_path):
    env_token = os.environ.pop("YINGJI_TOKEN", None)
    try:
        done = run_process("serve", "--host", "0.0.0.0", "--port", _free_port(), "--root", tmp_path)
    finally:
        if env_token is not None:
            os.environ["YINGJI_TOKEN"] = env_token
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "token" in lines[0] and "0.0.0.0" in lines[0], done.stderr
    assert not (tmp_path / "sessions").exists()
