"""``yingji init``: the county as an Excel workbook to fill in, prefilled with a county."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from planner.output import terminal
from scenarios import InputError, write_county_workbook


def run_init(
    out: Path,
    scenario_path: Path | None = None,
    force: bool = False,
    console: Console | None = None,
) -> Path:
    """Write the workbook (the bundled county, or ``scenario_path``'s); returns its path.

    A file already there is kept unless ``force``: a county typed in by hand is not
    overwritten by a mistyped command.
    """
    console = console or terminal(stderr=True)
    if out.exists() and not force:
        raise InputError(
            out, "", "already exists: give another file name, or --force to replace it"
        )
    written = write_county_workbook(scenario_path, out)
    console.print(
        f"wrote {written}: fill in its sheets (说明 instructions first), then run "
        f"yingji simulate {written} (every command reads the workbook)",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    return written
