"""Helpers shared by the test modules: running the CLI, and checking one-line refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

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
