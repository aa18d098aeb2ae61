"""The pages of ``yingji serve``: the county, its simulation, its purchase plan, the jobs.

A request never runs a simulation or a solve: it starts a job (:mod:`planner.web.jobs`,
the real CLI command in a child process) and the page follows the job's files.
Each browser has its own folder under ``<root>/sessions/`` named by a signed
cookie; every job and file is looked up inside that folder only, by ids this
server made. Words come from :data:`planner.labels.PAGE_WORDS`; templates escape
everything (names come from users' workbooks).
"""

from __future__ import annotations

import contextlib
import hmac
import io
import json
import secrets
import time
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader
from pydantic import TypeAdapter, ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

import scenarios
from planner.fonts import font_path
from planner.labels import LANGS, LANGUAGE_NAMES, page_word
from planner.web import views
from planner.web.jobs import COUNTY_FILE, OUT, Job, JobStore, new_id, valid_id
from scenarios import InputError
from scenarios.schema import Money, Scenario
from scenarios.sources import REFUSED_WORKBOOK_SUFFIXES

HERE = Path(__file__).resolve().parent
UPLOAD_LIMIT_MB = 5
UPLOAD_LIMIT = UPLOAD_LIMIT_MB * 1024 * 1024
FORM_OVERHEAD = 64 * 1024  # a multipart body's headers and fields around the file
UNPACKED_LIMIT = 200 * 1024 * 1024  # a 5 MB zip that unpacks past this is a zip bomb
COUNTY_RECORD, COUNTIES = "county.json", "counties"
SECRET_FILE = ".session_secret"
SESSION_COOKIE = "yingji_session"
SESSION_DAYS = 30
# Small enough that the page answers in about a minute for the bundled county.
PAGE_SAMPLED_YEARS, PAGE_JUDGING_YEARS, PAGE_SIMULATED_YEARS = 50, 50, 200
CLI_SAMPLED_YEARS, CLI_JUDGING_YEARS = 200, 200
MAX_SAMPLED, MAX_YEARS = 5_000, 100_000  # the CLI's own limits (planner.cli)
# What a finished job offers for download, by the name in its URL: the file in out/.
DOWNLOADS = ("plan.xlsx", "report.html", "report.pdf", "report.en.html", "report.en.pdf")
HEADERS = {
    # Nothing inline, nothing from elsewhere: the page's one script is a static file.
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # a ?token= never leaves in a Referer
    "Cache-Control": "no-store",
}
_money = TypeAdapter(Money)


@dataclass(frozen=True, slots=True)
class County:
    """The county a session uses: the bundled one, or a workbook it uploaded."""

    path: Path | None  # None: the bundled county
    file_name: str = ""  # the uploaded file's name as the user's computer called it

    def scenario(self) -> Scenario:
        """The validated scenario (cached by file and time of change)."""
        if self.path is None:
            return _load("", 0)
        return _load(str(self.path), self.path.stat().st_mtime_ns)


@lru_cache(maxsize=16)
def _load(path: str, changed: int) -> Scenario:
    """``scenarios.load`` kept for the next request (``changed`` keys a replaced file)."""
    del changed
    return scenarios.load(path or None)


def create_app(root: Path, token: str | None = None, slots: int = 1) -> Starlette:
    """The web application serving ``root``'s sessions; ``token`` guards every request."""
    root.mkdir(parents=True, exist_ok=True)
    store = JobStore(root, slots)
    pages = Pages(store, _templates(), token)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        store.shutdown()

    routes = [
        Route("/", pages.index),
        Route("/county", pages.upload, methods=["POST"]),
        Route("/county/bundled", pages.bundled, methods=["POST"]),
        Route("/county/map.png", pages.county_map),
        Route("/jobs/simulate", pages.simulate, methods=["POST"]),
        Route("/jobs/optimize", pages.optimize, methods=["POST"]),
        Route("/jobs/{job_id}", pages.job),
        Route("/jobs/{job_id}/status.json", pages.status),
        Route("/jobs/{job_id}/again", pages.again, methods=["POST"]),
        Route("/jobs/{job_id}/map.png", pages.job_map),
        Route("/jobs/{job_id}/spending.png", pages.spending),
        Route("/jobs/{job_id}/files/{name}", pages.download),
        Route("/login", pages.login, methods=["GET", "POST"]),
        Route("/font/noto-sans-sc.otf", chinese_font),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(
            SessionMiddleware,
            secret_key=_secret(root),
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_DAYS * 24 * 3600,
            same_site="lax",  # a form on another site cannot post with this cookie
        ),
        Middleware(Guard, token=token, pages=pages),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)


async def chinese_font(_request: Request) -> Response:
    """The report's Chinese font, for machines without one (the page needs no CDN)."""
    headers = {"Cache-Control": "public, max-age=86400"}
    return FileResponse(font_path(), media_type="font/otf", headers=headers)


def _templates() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every name from a user's file is escaped
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment


def _secret(root: Path) -> str:
    """The key that signs session cookies, made once and kept: sessions outlive a restart."""
    path = root / SECRET_FILE
    if not path.exists():
        with contextlib.suppress(FileExistsError), path.open("x", encoding="utf-8") as handle:
            path.chmod(0o600)
            handle.write(secrets.token_hex(32))
    return path.read_text(encoding="utf-8").strip()


def lang_of(request: Request) -> str:
    """The page's language: the session's choice, Chinese by default."""
    lang = request.session.get("lang")
    return lang if lang in LANGS else "zh"


def session_of(request: Request) -> str:
    """The browser's session id (made on its first request)."""
    sid = request.session.get("sid")
    if not isinstance(sid, str) or not valid_id(sid):
        sid = new_id()
        request.session["sid"] = sid
    return sid


class Guard(BaseHTTPMiddleware):
    """The language switch (``?lang=en``), the token check, and the security headers."""

    def __init__(self, app, token: str | None, pages: Pages) -> None:
        super().__init__(app)
        self.token, self.pages = token, pages

    async def dispatch(self, request: Request, call_next) -> Response:
        lang = request.query_params.get("lang")
        if lang in LANGS:
            request.session["lang"] = lang
        response = self._refused(request)
        if response is None:
            response = await call_next(request)
        for key, value in HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    def _refused(self, request: Request) -> Response | None:
        """The login page (401) for a request without the token; None when it may pass."""
        if self.token is None or request.session.get("authed"):
            return None
        path = request.url.path
        if path == "/login" or path.startswith(("/static/", "/font/")):
            return None
        given = request.query_params.get("token", "")
        if given and hmac.compare_digest(given.encode(), self.token.encode()):
            request.session["authed"] = True
            query = {k: v for k, v in request.query_params.items() if k != "token"}
            return RedirectResponse(path + ("?" + urlencode(query) if query else ""), 303)
        return self.pages.login_page(request, wrong=bool(given), status=401)


class Pages:
    """The route handlers, over one job store and one template environment."""

    def __init__(self, store: JobStore, templates: Environment, token: str | None) -> None:
        self.store, self.templates, self.token = store, templates, token

    # ------------------------------------------------------------------ helpers

    def render(self, request: Request, name: str, code: int = 200, **context) -> HTMLResponse:
        """A template in the session's language; ``w(key)`` gives a page word."""
        lang = lang_of(request)
        page = self.templates.get_template(name).render(
            lang=lang,
            w=lambda key, *args: page_word(key, lang).format(*args),
            languages=LANGUAGE_NAMES,
            path=request.url.path,
            **context,
        )
        return HTMLResponse(page, status_code=code)

    def county(self, sid: str) -> County:
        """The session's county (the bundled one until a workbook is uploaded)."""
        folder = self.store.session_dir(sid)
        try:
            record = json.loads((folder / COUNTY_RECORD).read_text(encoding="utf-8"))
            file = str(record["file"])
        except (OSError, ValueError, KeyError, TypeError):
            return County(None)
        path = folder / COUNTIES / file
        if not valid_id(file.removesuffix(".xlsx")) or not path.is_file():
            return County(None)
        return County(path, str(record.get("name", "")))

    def not_found(self, request: Request) -> HTMLResponse:
        return self.render(
            request, "message.html", 404, message=page_word("not_found", lang_of(request))
        )

    def _job(self, request: Request) -> tuple[str, Job | None]:
        sid = session_of(request)
        return sid, self.store.read(sid, request.path_params["job_id"])

    # ------------------------------------------------------------------ the county page

    async def index(self, request: Request) -> Response:
        return await run_in_threadpool(self._index, request)

    def _index(self, request: Request, status: int = 200, **context) -> HTMLResponse:
        sid, lang = session_of(request), lang_of(request)
        county = self.county(sid)
        scenario = county.scenario()
        form = {
            "budget": f"{scenario.procurement_budget_yuan:,.0f}",
            "scenarios": str(PAGE_SAMPLED_YEARS),
            "reps": str(PAGE_JUDGING_YEARS),
            "sim_reps": str(PAGE_SIMULATED_YEARS),
        } | context.pop("form", {})
        jobs = self.store.jobs(sid)
        return self.render(
            request,
            "index.html",
            status,
            county=county,
            county_name=views.scenario_name(scenario, lang),
            stock=views.stock_table(scenario, lang),
            jobs=jobs,
            form=form,
            defaults={"scenarios": CLI_SAMPLED_YEARS, "reps": CLI_JUDGING_YEARS},
            upload_limit=UPLOAD_LIMIT_MB,
            started=_clock,
            **context,
        )

    async def county_map(self, request: Request) -> Response:
        county = self.county(session_of(request))
        image = await run_in_threadpool(views.county_map, county.scenario(), lang_of(request))
        return Response(image, media_type="image/png")

    async def bundled(self, request: Request) -> Response:
        folder = self.store.session_dir(session_of(request))
        (folder / COUNTY_RECORD).unlink(missing_ok=True)
        return RedirectResponse("/", 303)

    async def upload(self, request: Request) -> Response:
        """A county workbook: checked, loaded, kept under a name this server chose."""
        lang = lang_of(request)
        length = request.headers.get("content-length")
        if length is None:
            return await self._refuse_upload(request, page_word("no_length", lang))
        if int(length) > UPLOAD_LIMIT + FORM_OVERHEAD:
            return await self._refuse_upload(
                request, page_word("too_large", lang).format(UPLOAD_LIMIT_MB)
            )
        form = await request.form(max_files=1, max_fields=4)
        upload = form.get("workbook")
        if upload is None or isinstance(upload, str) or not upload.filename:
            return await self._refuse_upload(request, page_word("no_file", lang))
        data = await upload.read(UPLOAD_LIMIT + 1)
        name = Path(upload.filename.replace("\\", "/")).name[:120]  # shown, never a path here
        problem = await run_in_threadpool(self._keep_upload, session_of(request), name, data, lang)
        if problem:
            return await self._refuse_upload(request, problem)
        return RedirectResponse("/", 303)

    async def _refuse_upload(self, request: Request, message: str) -> Response:
        return await run_in_threadpool(self._index, request, 400, upload_error=message)

    def _keep_upload(self, sid: str, name: str, data: bytes, lang: str) -> str:
        """Save and load the workbook; the one-line refusal (as the CLI says it), or ''."""
        problem = _check_workbook(name, data, lang)
        if problem:
            return problem
        folder = self.store.session_dir(sid) / COUNTIES
        folder.mkdir(exist_ok=True)
        # Our name, the client's suffix (one of the few checked above): .xlsm is refused by
        # scenarios.load in the CLI's words.
        path = folder / f"{new_id()}{Path(name).suffix.lower()}"
        path.write_bytes(data)
        try:
            _load(str(path), path.stat().st_mtime_ns)
        except InputError as error:
            path.unlink(missing_ok=True)
            # The CLI's line, naming the file as the user's computer names it, not our copy.
            if error.file == str(path):
                error = InputError(name, error.field, error.problem, error.value)
            return str(error)
        record = json.dumps({"file": path.name, "name": name}, ensure_ascii=False)
        (self.store.session_dir(sid) / COUNTY_RECORD).write_text(record, encoding="utf-8")
        return ""

    # ------------------------------------------------------------------ starting jobs

    async def simulate(self, request: Request) -> Response:
        form = await request.form()
        lang = lang_of(request)
        reps = _whole(form.get("sim_reps"), 1, MAX_YEARS, "years_to_simulate", lang)
        if isinstance(reps, str):
            return await run_in_threadpool(self._index, request, 400, sim_error=reps)
        sid = session_of(request)
        county = self.county(sid)
        steps = [["simulate", *_county_argument(county), "--reps", str(reps), "--out", OUT]]
        job = self.store.submit(
            sid, "simulate", steps, _county_label(county), county.path, {"reps": reps}
        )
        return RedirectResponse(f"/jobs/{job.job_id}", 303)

    async def optimize(self, request: Request) -> Response:
        form = await request.form()
        lang = lang_of(request)
        typed = {k: str(form.get(k, "")).strip() for k in ("budget", "scenarios", "reps")}
        sampled = _whole(typed["scenarios"], 1, MAX_SAMPLED, "sampled_years", lang)
        reps = _whole(typed["reps"], 1, MAX_YEARS, "judging_years", lang)
        budget = _budget(typed["budget"], lang)
        problems = [p for p in (budget, sampled, reps) if isinstance(p, str)]
        if problems:
            return await run_in_threadpool(
                self._index, request, 400, optimize_error=problems[0], form=typed
            )
        sid = session_of(request)
        county = self.county(sid)
        steps = _optimize_steps(county, budget, sampled, reps)
        shown_budget = county.scenario().procurement_budget_yuan if budget is None else budget
        options = {"budget": shown_budget, "scenarios": sampled, "reps": reps}
        job = self.store.submit(sid, "optimize", steps, _county_label(county), county.path, options)
        return RedirectResponse(f"/jobs/{job.job_id}", 303)

    async def again(self, request: Request) -> Response:
        sid, job = self._job(request)
        if job is None:
            return self.not_found(request)
        fresh = self.store.again(sid, job)
        return RedirectResponse(f"/jobs/{fresh.job_id}", 303)

    # ------------------------------------------------------------------ following jobs

    async def job(self, request: Request) -> Response:
        return await run_in_threadpool(self._job_page, request)

    def _job_page(self, request: Request) -> HTMLResponse:
        sid, job = self._job(request)
        if job is None:
            return self.not_found(request)
        lang = lang_of(request)
        folder = self.store.job_dir(sid, job.job_id)
        assert folder is not None
        context: dict[str, Any] = {"job": job, "status": self._status(sid, job, lang)}
        context["settings"] = _settings(job, lang)
        if job.state == "done":
            context |= _results(job, folder / OUT, lang)
        return self.render(request, "job.html", **context)

    async def status(self, request: Request) -> Response:
        sid, job = self._job(request)
        if job is None:
            return JSONResponse({"error": "not found"}, 404)
        return JSONResponse(self._status(sid, job, lang_of(request)))

    def _status(self, sid: str, job: Job, lang: str) -> dict[str, Any]:
        """What the progress bar shows: the step, its label and count, the time left."""
        progress = self.store.progress(sid, job) if job.state == "running" else None
        status: dict[str, Any] = {
            "state": job.state,
            "state_words": page_word(f"state_{job.state}", lang),
            "active": job.active,
            "step": page_word("step_of", lang).format(job.step + 1, len(job.steps)),
            "label": "",
            "fraction": None,
            "left": "",
        }
        if job.state == "done":
            status["fraction"] = 1.0
        if progress is not None:
            status["label"] = progress.label
            status["fraction"] = progress.fraction
            elapsed = page_word("elapsed", lang).format(_duration(progress.elapsed_s, lang))
            left = (
                page_word("time_left", lang).format(_duration(progress.left_s, lang))
                if progress.left_s is not None
                else page_word("no_estimate", lang)
            )
            status["left"] = f"{left} · {elapsed}"
        return status

    async def job_map(self, request: Request) -> Response:
        return await self._image(request, "simulate", views.today_map)

    async def spending(self, request: Request) -> Response:
        return await self._image(request, "optimize", views.spending_chart)

    async def _image(self, request: Request, kind: str, draw) -> Response:
        sid, job = self._job(request)
        if job is None or job.kind != kind or job.state != "done":
            return self.not_found(request)
        folder = self.store.job_dir(sid, job.job_id)
        assert folder is not None
        image = await run_in_threadpool(draw, folder / OUT, lang_of(request))
        return Response(image, media_type="image/png")

    async def download(self, request: Request) -> Response:
        sid, job = self._job(request)
        name = request.path_params["name"]
        if job is None or name not in DOWNLOADS or job.state != "done":
            return self.not_found(request)
        folder = self.store.job_dir(sid, job.job_id)
        assert folder is not None
        path = folder / OUT / name
        if not path.is_file():
            return self.not_found(request)
        return FileResponse(path, filename=name, content_disposition_type="attachment")

    # ------------------------------------------------------------------ the token

    def login_page(self, request: Request, wrong: bool = False, status: int = 200) -> HTMLResponse:
        return self.render(request, "login.html", status, wrong=wrong)

    async def login(self, request: Request) -> Response:
        if self.token is None:
            return RedirectResponse("/", 303)
        if request.method == "GET":
            return self.login_page(request)
        form = await request.form()
        given = str(form.get("token", ""))
        if given and hmac.compare_digest(given.encode(), self.token.encode()):
            request.session["authed"] = True
            return RedirectResponse("/", 303)
        return self.login_page(request, wrong=True, status=401)


# ---------------------------------------------------------------------------- plain helpers


def _check_workbook(name: str, data: bytes, lang: str) -> str:
    """A refusal before the workbook is opened: its size, its kind, and no zip bomb in it.

    A workbook that is not one, or holds macros, is left to ``scenarios.load``, whose
    line is the one the CLI gives.
    """
    if len(data) > UPLOAD_LIMIT:
        return page_word("too_large", lang).format(UPLOAD_LIMIT_MB)
    if Path(name).suffix.lower() not in (".xlsx", *REFUSED_WORKBOOK_SUFFIXES):
        return f"{name}: {page_word('not_xlsx', lang)}"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(m.file_size for m in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        return ""  # not a zip: scenarios.load says so as the CLI does
    return f"{name}: {page_word('too_big_inside', lang)}" if unpacked > UNPACKED_LIMIT else ""


def _whole(text: object, low: int, high: int, what: str, lang: str) -> int | str:
    """A whole number from a form field within the CLI's limits, or the line refusing it."""
    try:
        value = int(str(text).strip().replace(",", ""))
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        return page_word("whole_number", lang).format(page_word(what, lang), low, f"{high:,}")
    return value


def _budget(text: str, lang: str) -> float | str | None:
    """The budget as the scenario's Money reads it (280万, 2.8M, 2,800,000); None: the county's."""
    if not text:
        return None
    try:
        return float(_money.validate_python(text))
    except ValidationError as error:
        reason = error.errors()[0]["msg"].removeprefix("Value error, ")
        return page_word("budget_bad", lang).format(reason)


def _county_argument(county: County) -> list[str]:
    """The scenario argument of a job's command: its copy of the workbook, or none (bundled)."""
    return [] if county.path is None else [COUNTY_FILE]


def _county_label(county: County) -> str:
    return county.file_name if county.path is not None else ""


def _optimize_steps(
    county: County, budget: float | None, sampled: int, reps: int
) -> list[list[str]]:
    """``optimize`` as the page runs it, then the report in both languages from its folder."""
    money = [] if budget is None else ["--budget", repr(budget)]
    optimize = ["optimize", *_county_argument(county), *money, "--scenarios", str(sampled)]
    optimize += ["--reps", str(reps), "--greedy-steps", "0", "--improve-steps", "0", "--out", OUT]
    return [
        optimize,
        ["report", OUT, "--lang", "zh"],
        ["report", OUT, "--lang", "en", "--out", f"{OUT}/report.en.html"],
    ]


def _results(job: Job, out: Path, lang: str) -> dict[str, Any]:
    """What a finished job's page shows."""
    if job.kind == "simulate":
        return {"today": views.today_table(out, lang)}
    part, scenario = views.plan_results(out)
    table, total = views.procurement_table(part, scenario, lang)
    available = [name for name in DOWNLOADS if (out / name).is_file()]
    return {
        "plan_table": table,
        "plan_total": f"{total:,.0f}",
        "evaluation": views.evaluation_table(part, lang),
        "downloads": available,
    }


def _settings(job: Job, lang: str) -> list[tuple[str, str]]:
    """What the job was asked, in the page's words."""
    names = {"budget": "budget", "scenarios": "sampled_years", "reps": "judging_years"}
    if job.kind == "simulate":
        names["reps"] = "years_to_simulate"
    shown = []
    for key, value in job.options.items():
        if value is None or key not in names:
            continue
        text = f"{value:,.0f}" if isinstance(value, float) else f"{value:,}"
        shown.append((page_word(names[key], lang), text))
    return shown


def _duration(seconds: float | None, lang: str) -> str:
    seconds = round(seconds or 0)
    if seconds >= 60:
        return page_word("minutes", lang).format(seconds // 60, seconds % 60)
    return page_word("seconds", lang).format(seconds)


def _clock(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))
