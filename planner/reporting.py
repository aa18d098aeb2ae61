"""``yingji report``: the funding-request report from a results folder, in three files."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from planner.errors import RequestError
from planner.fonts import FontMissingError
from planner.output import terminal
from planner.progress import phase
from planner.report_content import load_report
from planner.report_files import write_report_files
from planner.results import version
from scenarios import InputError


def run_report(
    results: Path, lang: str = "zh", out: Path | None = None, console: Console | None = None
) -> dict[str, Path]:
    """Build the report and write its files; returns their paths by kind."""
    console = console or terminal(stderr=True)
    with phase(console, "报告 building the report"):
        try:
            report = load_report(results, lang, version())
        except FontMissingError as error:
            raise RequestError(str(error)) from None
        target = out if out is not None else results / "report.html"
        if target.parent.exists() and not target.parent.is_dir():
            raise InputError(target.parent, "--out", "is not a folder")
        written = write_report_files(report, target)
    used = ", ".join(f"{kind}: {folder}" for kind, folder in report.results.folders().items())
    console.print(f"from {used}", markup=False, highlight=False, soft_wrap=True)
    terminal().print(
        "\n".join(str(path) for path in written.values()),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    return written
