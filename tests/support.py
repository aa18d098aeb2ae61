"""Helpers shared by the test modules: running the CLI, and checking one-line refusals."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from planner import cli
from scenarios import InputError

SCRIPT = Path(sys.executable).with_name("yingji")


def run_process(*args: str | Path, script: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``yingji`` in a fresh process, wide enough that rich never wraps a message.

    ``script=True`` runs the installed console script, otherwise ``python -m planner.cli``.
    """
    command = [str(SCRIPT)] if script else [sys.executable, "-m", "planner.cli"]
    env = {**os.environ, "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"}
    env.pop("FORCE_COLOR", None)
    return subprocess.run(
        [*command, *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )


def expect_input_error(load: Callable[[], object], file: Path, *fragments: str) -> str:
    """Call ``load``, expect one InputError line about ``file`` that contains ``fragments``."""
    with pytest.raises(InputError) as caught:
        load()
    message = str(caught.value)
    assert "\n" not in message, message
    assert message.startswith(f"{file}: "), message
    assert caught.value.file == str(file)
    rest = message.removeprefix(f"{file}: ")  # the tmp_path itself may contain any word
    for fragment in fragments:
        assert fragment in rest, (fragment, message)
    return message


def run_main(*args: str | Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    """``planner.cli.main`` in this process: exit code, stdout and stderr."""
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main([str(a) for a in args])
        except SystemExit as stop:  # argparse refusals
            code = stop.code if isinstance(stop.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def forget_file_hashes(folder: Path) -> None:
    """Make ``folder``'s run record one from before records held their files' sha256.

    Such folders are read on trust, so the readers' own checks of a damaged file
    (its columns, its pairing) are what refuse it.
    """
    record = folder / "run.json"
    document = json.loads(record.read_text(encoding="utf-8"))
    document.pop("files", None)
    record.write_text(json.dumps(document), encoding="utf-8")
