"""The pages of ``yingji serve``: the county, its simulation, its purchase plan, what more
money buys, plan A against plan B, a plan edited in a table, and the jobs.

A request never runs a simulation or a solve: it starts a job (:mod:`planner.web.jobs`,
the real CLI commands in child processes; :mod:`planner.web.questions` turns a form into
them) and the page follows the job's files. Each browser has its own folder under
``<root>/sessions/`` named by a signed cookie; every job and file is looked up inside
that folder only, by ids this server made, and every POST carries the session's form
token. Words come from :data:`planner.labels.PAGE_WORDS`; templates escape everything
(names come from users' files).
"""

from __future__ import annotations

import contextlib
import hmac
import io
import json
import re
import secrets
import shutil
import tempfile
import time
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader
from pydantic import TypeAdapter, ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

import scenarios
from planner.fonts import font_path
from planner.labels import LANGS, LANGUAGE_NAMES, page_word, plan_name
from planner.web import questions, views
from planner.web.county_zip import ZIP_SUFFIX, ZipRefusedError, unpack_county
from planner.web.jobs import (
    COUNTY_DIR,
    COUNTY_FILE,
    OUT,
    PLANS,
    Job,
    JobStore,
    job_county,
    new_id,
    valid_id,
    whole_job_left,
)
from planner.web.questions import Line
from scenarios import InputError, load_plan
from scenarios.plan import Plan
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
PLAN_SUFFIXES = (".csv", ".xlsx", ".json")  # the plan files yingji reads
PLAN_FILE, EDITED_FILE, ORIGINAL_FILE = "plan.csv", "edited.csv", "original.csv"
CSRF_FIELD = "csrf"
EDITABLE = ("optimize", "edit", "sweep")  # the jobs whose plan can be edited in a table
# A plan offered for comparison: the status quo, or a finished job's plan (and which budget's).
CHOICE = re.compile(r"^job:([0-9a-f]{32})(?::(\d{1,2}))?$")
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
class Editable:
    """A finished job's plan to edit: the plan, its county, the job's folder, its budget."""

    plan: Plan
    scenario: Scenario
    folder: Path
    budget: float  # the budget it was made for (a sweep's plan: its own budget)


@dataclass(frozen=True, slots=True)
class County:
    """The county a session uses: the bundled one, or a workbook it uploaded."""

    path: Path | None  # None: the bundled county; else the workbook, or a zip's TOML
    file_name: str = ""  # the uploaded file's name as the user's computer called it
    folder: Path | None = None  # where a zip was unpacked (the TOML is inside)

    @property
    def source(self) -> Path | None:
        """What a job copies into its folder: the workbook, or the whole unpacked zip."""
        return self.folder if self.folder is not None else self.path

    @property
    def argument(self) -> list[str]:
        """The scenario argument of a job's command: its own copy, or none (bundled)."""
        if self.path is None:
            return []
        if self.folder is None:
            return [COUNTY_FILE]
        return [PurePosixPath(COUNTY_DIR, *self.path.relative_to(self.folder).parts).as_posix()]

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
        Route("/jobs/sweep", pages.sweep, methods=["POST"]),
        Route("/jobs/compare", pages.compare, methods=["POST"]),
        Route("/jobs/{job_id}", pages.job),
        Route("/jobs/{job_id}/status.json", pages.status),
        Route("/jobs/{job_id}/again", pages.again, methods=["POST"]),
        Route("/jobs/{job_id}/cancel", pages.cancel, methods=["POST"]),
        Route("/jobs/{job_id}/edit", pages.edit, methods=["GET", "POST"]),
        Route("/jobs/{job_id}/map.png", pages.job_map),
        Route("/jobs/{job_id}/spending.png", pages.spending),
        Route("/jobs/{job_id}/frontier.png", pages.frontier),
        Route("/jobs/{job_id}/forest.png", pages.forest),
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


def csrf_of(request: Request) -> str:
    """The session's form token (made on first use): every form the server renders carries it."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


def csrf_ok(request: Request, form: FormData) -> bool:
    """Whether a posted form carries the session's token (a form on another site cannot)."""
    given, expected = str(form.get(CSRF_FIELD, "")), request.session.get(CSRF_FIELD)
    if not given or not isinstance(expected, str):
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


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
            csrf=csrf_of(request),
            **context,
        )
        return HTMLResponse(page, status_code=code)

    async def form(self, request: Request, **limits: int) -> FormData | Response:
        """The posted form, or the page refusing it when it lacks the session's form token."""
        form = await request.form(**limits)
        if not csrf_ok(request, form):
            message = page_word("csrf_refused", lang_of(request))
            return self.render(request, "message.html", 403, message=message)
        return form

    def county(self, sid: str) -> County:
        """The session's county (the bundled one until a workbook is uploaded)."""
        folder = self.store.session_dir(sid)
        try:
            record = json.loads((folder / COUNTY_RECORD).read_text(encoding="utf-8"))
            file = str(record.get("file", ""))
        except (OSError, ValueError, KeyError, TypeError):
            return County(None)
        if record.get("zip"):
            return _zip_county(folder / COUNTIES, record)
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
            "budgets": page_word("budgets_default", lang),
            "sweep_scenarios": str(PAGE_SAMPLED_YEARS),
            "sweep_reps": str(PAGE_JUDGING_YEARS),
            "compare_reps": str(PAGE_JUDGING_YEARS),
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
            plan_choices=self.plan_choices(sid, lang),
            max_budgets=questions.MAX_BUDGETS,
            **context,
        )

    async def county_map(self, request: Request) -> Response:
        county = self.county(session_of(request))
        image = await run_in_threadpool(views.county_map, county.scenario(), lang_of(request))
        return Response(image, media_type="image/png")

    async def bundled(self, request: Request) -> Response:
        form = await self.form(request)
        if isinstance(form, Response):
            return form
        folder = self.store.session_dir(session_of(request))
        (folder / COUNTY_RECORD).unlink(missing_ok=True)
        return RedirectResponse("/", 303)

    async def upload(self, request: Request) -> Response:
        """A county workbook: checked, loaded, kept under a name this server chose."""
        lang = lang_of(request)
        length = _length(request)
        if length is None:
            return await self._refuse_upload(request, page_word("no_length", lang))
        if length > UPLOAD_LIMIT + FORM_OVERHEAD:
            return await self._refuse_upload(
                request, page_word("too_large", lang).format(UPLOAD_LIMIT_MB)
            )
        form = await self.form(request, max_files=1, max_fields=4)
        if isinstance(form, Response):
            return form
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
        if Path(name).suffix.lower() == ZIP_SUFFIX:
            return self._keep_zip(sid, name, data, lang)
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

    def _keep_zip(self, sid: str, name: str, data: bytes, lang: str) -> str:
        """Unpack a TOML + CSV county (checked member by member) and load it, or the refusal."""
        if len(data) > UPLOAD_LIMIT:
            return page_word("too_large", lang).format(UPLOAD_LIMIT_MB)
        counties = self.store.session_dir(sid) / COUNTIES
        counties.mkdir(exist_ok=True)
        unpacked = new_id()
        folder = counties / unpacked
        try:
            toml = unpack_county(data, name, folder, lang)
            _load(str(toml), toml.stat().st_mtime_ns)
        except ZipRefusedError as refused:
            return str(refused)
        except InputError as error:
            shutil.rmtree(folder, ignore_errors=True)
            # The CLI's line, naming the files as the zip names them, never where we keep them.
            return str(error).replace(str(folder), name)
        relative = toml.relative_to(folder).as_posix()
        record = json.dumps({"zip": unpacked, "toml": relative, "name": name}, ensure_ascii=False)
        (self.store.session_dir(sid) / COUNTY_RECORD).write_text(record, encoding="utf-8")
        return ""

    # ------------------------------------------------------------------ starting jobs

    async def simulate(self, request: Request) -> Response:
        form = await self.form(request)
        if isinstance(form, Response):
            return form
        lang = lang_of(request)
        reps = _whole(form.get("sim_reps"), 1, MAX_YEARS, "years_to_simulate", lang)
        if isinstance(reps, str):
            return await run_in_threadpool(self._index, request, 400, sim_error=reps)
        sid = session_of(request)
        county = self.county(sid)
        steps = [["simulate", *_county_argument(county), "--reps", str(reps), "--out", OUT]]
        job = self.store.submit(
            sid, "simulate", steps, _county_label(county), county.source, {"reps": reps}
        )
        return RedirectResponse(f"/jobs/{job.job_id}", 303)

    async def optimize(self, request: Request) -> Response:
        form = await self.form(request)
        if isinstance(form, Response):
            return form
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
        job = self.store.submit(
            sid, "optimize", steps, _county_label(county), county.source, options
        )
        return RedirectResponse(f"/jobs/{job.job_id}", 303)

    async def again(self, request: Request) -> Response:
        posted = await self._posted_job(request)
        if isinstance(posted, Response):
            return posted
        sid, job = posted
        fresh = self.store.again(sid, job)
        return RedirectResponse(f"/jobs/{fresh.job_id}", 303)

    async def cancel(self, request: Request) -> Response:
        """Stop a queued or running job; its page then says cancelled and shows no results."""
        posted = await self._posted_job(request)
        if isinstance(posted, Response):
            return posted
        sid, job = posted
        await run_in_threadpool(self.store.cancel, sid, job.job_id)
        return RedirectResponse(f"/jobs/{job.job_id}", 303)

    async def _posted_job(self, request: Request) -> tuple[str, Job] | Response:
        """The session's job a form was posted about, or the page refusing the post."""
        sid, job = self._job(request)
        if job is None:
            return self.not_found(request)
        form = await self.form(request)
        return form if isinstance(form, Response) else (sid, job)

    async def sweep(self, request: Request) -> Response:
        """What more money buys: ``yingji sweep`` over the budgets, then each budget's plan."""
        form = await self.form(request)
        if isinstance(form, Response):
            return form
        lang, sid = lang_of(request), session_of(request)
        typed = {
            k: str(form.get(k, "")).strip() for k in ("budgets", "sweep_scenarios", "sweep_reps")
        }
        county = self.county(sid)
        current = county.scenario().procurement_budget_yuan
        budgets = questions.parse_budgets(typed["budgets"], current, lang)
        sampled = _whole(typed["sweep_scenarios"], 1, MAX_SAMPLED, "sampled_years", lang)
        reps = _whole(typed["sweep_reps"], 2, MAX_YEARS, "judging_years", lang)
        problems = [p for p in (budgets, sampled, reps) if isinstance(p, str)]
        if problems:
            return await run_in_threadpool(
                self._index, request, 400, sweep_error=problems[0], form=typed
            )
        assert isinstance(budgets, list) and isinstance(sampled, int) and isinstance(reps, int)
        argument = _county_argument(county)
        toml = questions.sweep_toml(budgets, (argument or ["default"])[0], sampled, reps)
        steps = questions.sweep_steps(budgets, argument, sampled, reps)
        options = {
            "budgets": budgets,
            "current": current,
            "scenarios": sampled,
            "reps": reps,
            "cells": len(budgets),
        }
        job = self.store.submit(
            sid, "sweep", steps, _county_label(county), county.source, options,
            {questions.SWEEP_FILE: toml.encode("utf-8")},
        )  # fmt: skip
        return RedirectResponse(f"/jobs/{job.job_id}", 303)

    async def compare(self, request: Request) -> Response:
        """Plan A against plan B: ``yingji compare`` on the same simulated years."""
        lang, sid = lang_of(request), session_of(request)
        length = _length(request)
        if length is None or length > 2 * UPLOAD_LIMIT + FORM_OVERHEAD:
            message = page_word("too_large", lang).format(UPLOAD_LIMIT_MB)
            return await run_in_threadpool(self._index, request, 400, compare_error=message)
        form = await self.form(request, max_files=2, max_fields=8)
        if isinstance(form, Response):
            return form
        sides = {}
        for side in ("a", "b"):
            upload = form.get(f"file_{side}")
            data = None
            name = ""
            if isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read(UPLOAD_LIMIT + 1)
                name = Path(upload.filename.replace("\\", "/")).name[:120]
            sides[side] = (str(form.get(f"plan_{side}", "")), name, data)
        typed = {"compare_reps": str(form.get("compare_reps", "")).strip()}
        return await run_in_threadpool(self._start_compare, request, sid, sides, typed, lang)

    def _start_compare(
        self,
        request: Request,
        sid: str,
        sides: dict[str, tuple[str, str, bytes | None]],
        typed: dict[str, str],
        lang: str,
    ) -> Response:
        county = self.county(sid)
        scenario = county.scenario()
        reps = _whole(typed["compare_reps"], 2, MAX_YEARS, "judging_years", lang)
        if isinstance(reps, str):
            return self._index(request, 400, compare_error=reps, form=typed)
        chosen: dict[str, tuple[str, dict[str, str], bytes | None]] = {}
        for side, (choice, name, data) in sides.items():
            picked = self._plan_source(sid, side, choice, name, data, scenario, lang)
            if isinstance(picked, str):
                return self._index(request, 400, compare_error=picked, form=typed)
            chosen[side] = picked
        if chosen["a"][0] == chosen["b"][0] and chosen["a"][2] == chosen["b"][2]:
            return self._index(request, 400, compare_error=page_word("same_plan", lang), form=typed)
        inputs, arguments = {}, []
        names: dict[str, dict[str, str]] = {code: {} for code in LANGS}
        for side, (source, shown, data) in chosen.items():
            letter = side.upper()
            plan_id = "status_quo"
            if data is not None:  # the status quo buys nothing and needs no file
                file = f"plan_{letter}{Path(source).suffix.lower() or '.csv'}"
                inputs[file] = data
                plan_id = Path(file).stem
            arguments.append(plan_id if data is None else file)
            for code in LANGS:
                names[code][plan_id] = f"{letter}: {shown[code]}"
        steps = questions.compare_steps(_county_argument(county), *arguments, reps)
        options = {"reps": reps, "names": names}
        job = self.store.submit(
            sid, "compare", steps, _county_label(county), county.source, options, inputs
        )
        return RedirectResponse(f"/jobs/{job.job_id}", 303)

    def _plan_source(
        self,
        sid: str,
        side: str,
        choice: str,
        name: str,
        data: bytes | None,
        scenario: Scenario,
        lang: str,
    ) -> tuple[str, dict[str, str], bytes | None] | str:
        """(where it came from, its name in each language, its bytes; None: the status quo).

        An uploaded file wins over the list; either is read against the county as the
        CLI reads it, and refused in its one line.
        """
        letter = side.upper()
        if data is not None:
            problem = _uploaded_plan_problem(data, name, scenario, lang)
            return problem or (name, dict.fromkeys(LANGS, name), data)
        if choice == "status_quo":
            return ("status_quo", {code: plan_name("status_quo", code) for code in LANGS}, None)
        found = self._job_plan(sid, choice)
        if found is None:
            return page_word("choose_plan", lang).format(letter)
        path, shown = found
        problem = _plan_problem(path.read_bytes(), shown[lang], scenario)
        return problem or (choice, shown, path.read_bytes())

    def _job_plan(self, sid: str, choice: str) -> tuple[Path, dict[str, str]] | None:
        """A finished job's plan file and its name in each language, from a plan list's choice."""
        match = CHOICE.fullmatch(choice)
        if match is None:
            return None
        job = self.store.read(sid, match[1])
        folder = self.store.job_dir(sid, match[1])
        if job is None or folder is None or job.state != "done":
            return None
        shown = {}
        found = None
        for code in LANGS:
            for value, name, path in _plans_of(job, folder, code):
                if value == choice:
                    shown[code], found = name, path
        return None if found is None else (found, shown)

    def plan_choices(self, sid: str, lang: str) -> list[tuple[str, str]]:
        """Every plan the session's finished jobs made, as (choice, shown name), newest first."""
        choices = [("status_quo", plan_name("status_quo", lang))]
        for job in self.store.jobs(sid):
            folder = self.store.job_dir(sid, job.job_id)
            if job.state == "done" and folder is not None:
                choices += [(value, shown) for value, shown, _ in _plans_of(job, folder, lang)]
        return choices

    async def edit(self, request: Request) -> Response:
        """A finished plan's quantities in a form; posted, a job judges the edited plan.

        The plan is an optimisation's, an edit's edited plan, or one budget's plan of a
        budget sweep (``?plan=`` its index).
        """
        sid, job = self._job(request)
        if job is None or job.state != "done" or job.kind not in EDITABLE:
            return self.not_found(request)
        index = _plan_index(job, request.query_params.get("plan"))
        found = await run_in_threadpool(self._editable, sid, job, index)
        if found is None:
            return self.not_found(request)
        if request.method == "GET":
            return await run_in_threadpool(self._edit_page, request, job, index, found)
        form = await self.form(request)
        if isinstance(form, Response):
            return form
        return await run_in_threadpool(self._start_edit, request, sid, job, index, found, form)

    def _editable(self, sid: str, job: Job, index: int | None) -> Editable | None:
        """The plan a job made (an edit's edited plan, a sweep's plan ``index``), its county."""
        folder = self.store.job_dir(sid, job.job_id)
        if folder is None:
            return None
        if job.kind == "optimize":
            part, scenario = views.plan_results(folder / OUT)
            return Editable(part.plan, scenario, folder, scenario.procurement_budget_yuan)
        if job.kind == "sweep":
            if index is None:
                return None
            part = views.plan_part(folder / PLANS / str(index))
            if part is None:
                return None
            budget = float(job.options["budgets"][index])
            return Editable(part.plan, views.find_results(folder / OUT).scenario, folder, budget)
        scenario = views.find_results(folder / OUT).scenario
        plan = load_plan(folder / EDITED_FILE, scenario)
        return Editable(plan, scenario, folder, scenario.procurement_budget_yuan)

    def _edit_page(
        self,
        request: Request,
        job: Job,
        index: int | None,
        found: Editable,
        status: int = 200,
        **context,
    ) -> HTMLResponse:
        lang = lang_of(request)
        typed = context.pop("typed", {})
        plan, scenario = found.plan, found.scenario
        return self.render(
            request,
            "edit.html",
            status,
            job=job,
            action=f"/jobs/{job.job_id}/edit" + ("" if index is None else f"?plan={index}"),
            rows=views.edit_rows(plan, scenario, lang),
            items=views.item_choices(scenario, lang),
            depots=views.depot_choices(scenario, lang),
            typed=typed,
            budget=f"{found.budget:,.0f}",
            spent=f"{plan.purchase_cost_yuan(scenario):,.0f}",
            **context,
        )

    def _start_edit(
        self,
        request: Request,
        sid: str,
        job: Job,
        index: int | None,
        found: Editable,
        form: FormData,
    ) -> Response:
        lang = lang_of(request)
        plan, scenario = found.plan, found.scenario
        typed = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        edited = _read_edits(plan, scenario, form, lang, found.budget)
        if isinstance(edited, str):
            return self._edit_page(request, job, index, found, 400, edit_error=edited, typed=typed)
        inputs = {
            ORIGINAL_FILE: questions.plan_csv(plan),
            EDITED_FILE: questions.plan_csv(edited),
        }
        reps = int(job.options.get("reps") or PAGE_JUDGING_YEARS)
        argument = _county_argument_of(job)
        steps = questions.compare_steps(argument, ORIGINAL_FILE, EDITED_FILE, reps)
        options = {"source": job.job_id, "reps": reps}
        present = job_county(found.folder)
        fresh = self.store.submit(sid, "edit", steps, job.county, present, options, inputs)
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
            try:
                context |= _results(job, folder, lang, request.query_params)
            except InputError as error:  # a result folder damaged on disk: say so, in one line
                context["damaged"] = str(error).replace(str(folder), "…")
        return self.render(request, "job.html", **context)

    async def status(self, request: Request) -> Response:
        sid, job = self._job(request)
        if job is None:
            return JSONResponse({"error": "not found"}, 404)
        return JSONResponse(self._status(sid, job, lang_of(request)))

    def _status(self, sid: str, job: Job, lang: str) -> dict[str, Any]:
        """What the progress bar shows: the step, its label and count, the time left in all."""
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
        if job.state == "running":
            if progress is not None:
                status["label"] = progress.label
                status["fraction"] = progress.fraction
            step_left, job_left = whole_job_left(job, progress, self.store.typical_seconds)
            later = len(job.steps) - job.step - 1
            if job_left is not None:
                left = page_word("job_left", lang).format(_duration(job_left, lang))
            elif step_left is not None and later:
                left = page_word("step_left", lang).format(_duration(step_left, lang), later)
            elif step_left is not None:
                left = page_word("job_left", lang).format(_duration(step_left, lang))
            else:
                left = page_word("no_estimate", lang)
            spent = time.time() - (job.started or time.time())
            elapsed = page_word("elapsed", lang).format(_duration(spent, lang))
            status["left"] = f"{left} · {elapsed}"
        return status

    async def job_map(self, request: Request) -> Response:
        return await self._image(request, "simulate", views.today_map)

    async def spending(self, request: Request) -> Response:
        return await self._image(request, "optimize", views.spending_chart)

    async def frontier(self, request: Request) -> Response:
        _, job = self._job(request)
        current = job.options.get("current") if job is not None else None
        return await self._image(
            request, "sweep", lambda out, lang: views.frontier_chart(out, current, lang)
        )

    async def forest(self, request: Request) -> Response:
        _, job = self._job(request)
        if job is None:
            return self.not_found(request)
        lang = lang_of(request)
        short = _plan_names(job, lang)
        if job.kind == "compare":  # "A: the plan's long name" -> "A"
            short = {plan_id: name.split(":", 1)[0] for plan_id, name in short.items()}
        return await self._image(
            request,
            ("compare", "edit"),
            lambda out, lang: views.comparison_chart(out, short, lang),
        )

    async def _image(self, request: Request, kind: str | tuple[str, ...], draw) -> Response:
        sid, job = self._job(request)
        kinds = (kind,) if isinstance(kind, str) else kind
        if job is None or job.kind not in kinds or job.state != "done":
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
        form = await self.form(request)
        if isinstance(form, Response):
            return form
        given = str(form.get("token", ""))
        if given and hmac.compare_digest(given.encode(), self.token.encode()):
            request.session["authed"] = True
            return RedirectResponse("/", 303)
        return self.login_page(request, wrong=True, status=401)


# ---------------------------------------------------------------------------- plain helpers


def _length(request: Request) -> int | None:
    """The body's length as its header says (None: not said, or not a number)."""
    text = request.headers.get("content-length", "")
    return int(text) if text.isdigit() else None


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
    """The scenario argument of a job's command: its copy of the county, or none (bundled)."""
    return county.argument


def _zip_county(counties: Path, record: dict[str, Any]) -> County:
    """A county a zip held, from its record: checked to lie inside the folder it was unpacked to."""
    name, toml = str(record.get("zip", "")), str(record.get("toml", ""))
    if not valid_id(name):
        return County(None)
    folder = counties / name
    path = folder.joinpath(*PurePosixPath(toml).parts)
    inside = path.resolve().is_relative_to(folder.resolve())
    if not toml or not inside or not path.is_file():
        return County(None)
    return County(path, str(record.get("name", "")), folder)


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


def _results(job: Job, folder: Path, lang: str, query: Any) -> dict[str, Any]:
    """What a finished job's page shows (``query``: a sweep's pair of budgets to set apart)."""
    out = folder / OUT
    if job.kind == "simulate":
        return {"today": views.today_table(out, lang)}
    if job.kind == "sweep":
        return _sweep_results(job, folder, lang, query)
    if job.kind in ("compare", "edit"):
        names = _plan_names(job, lang)
        found: dict[str, Any] = {"comparison": views.comparison_view(out, names, lang)}
        if job.kind == "edit":
            scenario = views.find_results(out).scenario
            original = load_plan(folder / ORIGINAL_FILE, scenario)
            edited = load_plan(folder / EDITED_FILE, scenario)
            found["changes"] = views.plan_difference(original, edited, scenario, lang)
            found["source"] = job.options.get("source", "")
        return found
    part, scenario = views.plan_results(out)
    table, total = views.procurement_table(part, scenario, lang)
    available = [name for name in DOWNLOADS if (out / name).is_file()]
    return {
        "plan_table": table,
        "plan_total": f"{total:,.0f}",
        "evaluation": views.evaluation_table(part, lang),
        "downloads": available,
    }


def _plan_names(job: Job, lang: str) -> dict[str, str]:
    """A compare or edit job's plans by id, as the page names them."""
    if job.kind == "edit":
        return {
            Path(ORIGINAL_FILE).stem: page_word("original_plan", lang),
            Path(EDITED_FILE).stem: page_word("edited_plan", lang),
        }
    return dict(job.options.get("names", {}).get(lang, {}))


def _sweep_results(job: Job, folder: Path, lang: str, query: Any) -> dict[str, Any]:
    """The frontier, and what one budget's plan buys beyond another's (the first two by default)."""
    count = len(job.options.get("budgets", []))
    sweep = views.sweep_view(folder / OUT, [folder / PLANS / str(i) for i in range(count)], lang)
    last = len(sweep.budgets) - 1
    pair = []
    for key, default in (("from", 0), ("to", min(1, last))):
        try:
            pair.append(min(max(int(query.get(key, default)), 0), last))
        except ValueError:
            pair.append(default)
    first, second = pair
    difference = None
    plans = sweep.plans
    if first != second and plans[first] is not None and plans[second] is not None:
        difference = views.plan_difference(plans[first], plans[second], sweep.scenario, lang)
    return {
        "sweep": sweep,
        "budget_names": [f"{b:,.0f}" for b in sweep.budgets],
        "pair": (first, second),
        "difference": difference,
        "extra": f"{sweep.budgets[second] - sweep.budgets[first]:+,.0f}" if sweep.budgets else "",
    }


def _plans_of(job: Job, folder: Path, lang: str) -> list[tuple[str, str, Path]]:
    """A finished job's plans as (choice, shown name, file): none for a simulation."""
    when = _clock(job.created)
    kind = page_word(f"kind_{job.kind}", lang)
    if job.kind == "optimize":
        budget = f"{job.options.get('budget', 0):,.0f}"
        return [(f"job:{job.job_id}", f"{kind} · {budget} · {when}", folder / OUT / PLAN_FILE)]
    if job.kind == "edit":
        return [(f"job:{job.job_id}", f"{kind} · {when}", folder / EDITED_FILE)]
    if job.kind == "sweep":
        found = []
        for index, budget in enumerate(job.options.get("budgets", [])):
            path = folder / PLANS / str(index) / PLAN_FILE
            if path.is_file():
                shown = f"{kind} · {budget:,.0f} · {when}"
                found.append((f"job:{job.job_id}:{index}", shown, path))
        return found
    return []


def _uploaded_plan_problem(data: bytes, name: str, scenario: Scenario, lang: str) -> str:
    """The one line refusing an uploaded plan file (its size, kind, a zip bomb, its rows), or ''."""
    if len(data) > UPLOAD_LIMIT:
        return f"{name}: " + page_word("too_large", lang).format(UPLOAD_LIMIT_MB)
    if Path(name).suffix.lower() not in PLAN_SUFFIXES:
        return f"{name}: {page_word('not_plan_file', lang)}"
    if _unpacked_too_big(data):
        return f"{name}: {page_word('too_big_inside', lang)}"
    return _plan_problem(data, name, scenario)


def _plan_problem(data: bytes, name: str, scenario: Scenario) -> str:
    """The CLI's one line refusing a plan file for this county (naming it ``name``), or ''."""
    suffix = Path(name).suffix.lower() if Path(name).suffix.lower() in PLAN_SUFFIXES else ".csv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"plan{suffix}"
        path.write_bytes(data)
        try:
            load_plan(path, scenario)
        except InputError as error:
            shown = InputError(name, error.field, error.problem, error.value)
            return str(shown) if error.file == str(path) else str(error)
    return ""


def _unpacked_too_big(data: bytes) -> bool:
    """Whether a zip (an .xlsx is one) unpacks past :data:`UNPACKED_LIMIT`: a zip bomb."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(m.file_size for m in archive.infolist()) > UNPACKED_LIMIT
    except (zipfile.BadZipFile, ValueError):
        return False  # not a zip: the plan's reader says what it is


def _plan_index(job: Job, text: str | None) -> int | None:
    """Which budget's plan of a sweep job (``?plan=``): an index it has, else None."""
    if job.kind != "sweep" or text is None or not text.isdigit():
        return None
    index = int(text)
    return index if index < len(job.options.get("budgets", [])) else None


def _county_argument_of(job: Job) -> list[str]:
    """The county argument a job's commands were given: its own copy, or none (bundled)."""
    for step in job.steps:
        for argument in step[1:2]:
            if argument == COUNTY_FILE or argument.startswith(COUNTY_DIR + "/"):
                return [argument]
    return []


def _read_edits(
    plan: Plan, scenario: Scenario, form: FormData, lang: str, budget: float
) -> Plan | str:
    """The edited plan from the table's quantities (and the added line), or the one line refusing.

    A quantity must be a whole number from 0 to what :data:`questions.ABSURD_BUDGETS`
    budgets buy of that item; the line names the row, the item, the depot and the value.
    """
    budget = max(budget, plan.purchase_cost_yuan(scenario))
    rows = views.edit_rows(plan, scenario, lang)
    lines = []
    for row, purchase in zip(rows, plan.purchases, strict=True):
        typed = form.get(f"q{row.index}")
        most = questions.largest_quantity(scenario, purchase.item_id, budget)
        value = questions.quantity(typed, most)
        if value is None:
            where = page_word("edit_row", lang).format(row.index + 1, row.item, row.depot)
            return page_word("quantity_bad", lang).format(where, f"{most:,}", str(typed or ""))
        lines.append(Line(purchase.item_id, purchase.depot_id, value))
    added = None
    typed = str(form.get("add_quantity", "") or "").strip()
    if typed:
        item, depot = str(form.get("add_item", "")), str(form.get("add_depot", ""))
        items = {i.item_id for i in scenario.items}
        depots = {d.depot_id for d in scenario.depots}
        if item not in items or depot not in depots:
            return page_word("add_pick", lang)
        most = questions.largest_quantity(scenario, item, budget)
        value = questions.quantity(typed, most)
        if value is None:
            where = page_word("edit_added", lang)
            return page_word("quantity_bad", lang).format(where, f"{most:,}", typed)
        added = Line(item, depot, value)
    edited = questions.edited_plan(plan, lines, added)
    same = [Line(p.item_id, p.depot_id, p.quantity) for p in plan.purchases]
    if edited.purchases == questions.edited_plan(plan, same, None).purchases:
        return page_word("edit_unchanged", lang)  # judging the same plan again tells nothing
    return edited


def _settings(job: Job, lang: str) -> list[tuple[str, str]]:
    """What the job was asked, in the page's words."""
    names = {"budget": "budget", "scenarios": "sampled_years", "reps": "judging_years"}
    if job.kind == "simulate":
        names["reps"] = "years_to_simulate"
    shown = []
    if job.kind == "sweep":
        budgets = ", ".join(f"{b:,.0f}" for b in job.options.get("budgets", []))
        shown.append((page_word("budgets", lang), budgets))
    if job.kind == "compare":
        for plan_id, name in job.options.get("names", {}).get(lang, {}).items():
            del plan_id
            shown.append((page_word("col_plan", lang), name))
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
