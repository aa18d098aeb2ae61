"""One progress bar for every long run: label, bar, done of total, time left.

When ``YINGJI_PROGRESS_FILE`` names a file, every bar and every long phase also
appends JSON lines to it (label, done, total, time): the browser front end runs
the CLI as a child process and reads them to move its own bar and estimate the
time left. One rule in one place, so the page shows what the terminal shows.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

PROGRESS_FILE_ENV = "YINGJI_PROGRESS_FILE"
RECORD_EVERY_S = 0.5  # a line at most this often per bar (and at its start and end)


def record_progress(label: str, done: int, total: int | None) -> None:
    """Append one progress line to the file named by ``YINGJI_PROGRESS_FILE`` (if set)."""
    path = os.environ.get(PROGRESS_FILE_ENV)
    if not path:
        return
    line = json.dumps({"label": label, "done": done, "total": total, "time": time.time()})
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    except OSError:
        pass  # progress is a courtesy: a run never fails for want of it


@contextmanager
def progress_bar(
    console: Console, label: str, total: int, show: bool = True
) -> Iterator[Callable[[int], None]]:
    """A transient bar on ``console``; yields the callback that advances it by ``n`` units."""
    done, last = 0, 0.0
    record_progress(label, 0, total)

    def advance(n: int) -> None:
        nonlocal done, last
        progress.advance(task, n)
        done += n
        now = time.monotonic()
        if now - last >= RECORD_EVERY_S or done >= total:
            last = now
            record_progress(label, done, total)

    with Progress(
        TextColumn(f"[bold]{label}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not show,
    ) as progress:
        task = progress.add_task(label, total=total)
        yield advance


@contextmanager
def phase(console: Console, label: str) -> Iterator[None]:
    """A long step without a count: a spinner on ``console``, a start and an end line recorded."""
    record_progress(label, 0, None)
    with console.status(label):
        yield
    record_progress(label, 1, 1)
