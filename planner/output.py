"""Writing results: every file appears whole or not at all (temporary file, then rename)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

import pandas as pd
from rich.console import Console

from scenarios.errors import InputError
from scenarios.files import write_atomic
from scenarios.plan import over_budget


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Write a frame as Parquet, atomically."""
    return write_atomic(path, lambda p: frame.to_parquet(p, index=False))


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a frame as UTF-8 CSV, atomically."""
    return write_atomic(path, lambda p: frame.to_csv(p, index=False, encoding="utf-8"))


def prepare_out_dir(path: Path, command: str | None = None) -> Path:
    """Create the output folder, or refuse with one line if it cannot be used.

    A folder holds one command's run: ``command``'s files written over another
    command's would leave the other's record describing them (and the report
    would drop a section without a word), so such a folder is refused.
    """
    if path.exists() and not path.is_dir():
        raise InputError(path, "--out", "exists and is not a folder")
    record = path / RUN_RECORD
    if command is not None and record.is_file():
        other = _recorded_command(record)
        if other != command:
            raise InputError(
                path,
                "--out",
                f"holds the results of yingji {other}: give --out another folder "
                "(one command's run per folder)",
            )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(path, "--out", f"cannot create the folder: {error.strerror}") from None
    if not os.access(path, os.W_OK):
        raise InputError(path, "--out", "folder is not writable")
    return path


RUN_RECORD = "run.json"


def _recorded_command(record: Path) -> str:
    """The command a run record names ('an unreadable run' when it cannot be read)."""
    try:
        found = json.loads(record.read_text(encoding="utf-8")).get("command")
    except (OSError, ValueError, AttributeError):
        return "an unreadable run"
    return str(found) if found else "an unreadable run"


def version() -> str:
    """The installed yingji version (``unknown`` when run from an uninstalled tree)."""
    try:
        return metadata.version("yingji")
    except metadata.PackageNotFoundError:
        return "unknown"


def write_run_record(out: Path, command: str, scenario_path: Path | None, **fields) -> Path:
    """``run.json``: which command made this folder, from which scenario, with what settings.

    ``yingji report`` reads it to find the scenario behind the results.
    """
    from scenarios import default_scenario_path

    record = {
        "command": command,
        "scenario": str((scenario_path or default_scenario_path()).resolve()),
        "yingji_version": version(),
        **{key: str(value) if isinstance(value, Path) else value for key, value in fields.items()},
    }
    text = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
    return write_atomic(out / RUN_RECORD, lambda p: p.write_text(text, encoding="utf-8"))


def over_budget_records(console: Console, plans, scenario) -> list[dict]:
    """Warn, a line each, of plans costing more than the budget; their records for run.json.

    A hand-edited plan of 10M judged against a 2.8M county is judged as given:
    the console says so before the run, and the report from the run's record.
    """
    found = [o for o in (over_budget(plan, scenario) for plan in plans) if o is not None]
    for over in found:
        console.print(over.line(), markup=False, highlight=False)
    return [asdict(over) for over in found]


def terminal(stderr: bool = False) -> Console:
    """A rich console for stdout (tables) or stderr (progress, errors).

    Names come from users' files, so ``:x:`` in a township's name stays ``:x:``:
    no emoji codes are replaced (markup is escaped where text is printed).
    """
    return Console(stderr=stderr, emoji=False)
