"""Printing the HTML report to PDF with headless Chromium.

The browser lays the page out as it shows it on screen, with the template's print
rules: A4 pages, page numbers in the bottom margin (CSS ``@page`` margin boxes,
Chromium 131 and later), tables that carry their header row onto each page. The
report's own font travels inside the HTML, so no system font is needed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from planner.errors import RequestError
from scenarios.files import write_atomic

CHROMIUM_VARIABLE = "YINGJI_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
INSTALL = "sudo apt-get install chromium"
TIMEOUT_S = 120


class PrintError(RequestError):
    """Chromium could not print the report (the message says why, in one line)."""


class ChromiumMissingError(PrintError):
    """No Chromium to print with (the message names the command that installs it)."""


def find_chromium() -> Path:
    """The Chromium to print with: ``$YINGJI_CHROMIUM``, else the first of CHROMIUM_NAMES found."""
    chosen = os.environ.get(CHROMIUM_VARIABLE)
    if chosen:
        path = Path(chosen)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ChromiumMissingError(
                f"Chromium not found: {CHROMIUM_VARIABLE}={chosen} is not an executable file "
                f"(install Chromium with: {INSTALL})"
            )
        return path
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise ChromiumMissingError(
        f"Chromium not found (looked for {', '.join(CHROMIUM_NAMES)} on PATH and "
        f"{CHROMIUM_VARIABLE}): install it with: {INSTALL}"
    )


def print_pdf(html: Path, pdf: Path) -> Path:
    """Print ``html`` to ``pdf`` with headless Chromium, atomically; returns ``pdf``."""
    browser = find_chromium()
    return write_atomic(pdf, lambda temporary: _print(browser, html, temporary))


def _print(browser: Path, html: Path, target: Path) -> None:
    # A fresh profile each time: no state from a user's browser, and two prints at once
    # (parallel tests, two reports) never share a profile lock.
    with tempfile.TemporaryDirectory(
        prefix="yingji-chromium-", ignore_cleanup_errors=True
    ) as profile:
        command = [
            str(browser),
            "--headless",
            "--no-sandbox",  # root in containers and CI, where the sandbox cannot start
            "--disable-gpu",
            "--disable-dev-shm-usage",  # small /dev/shm in containers
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",  # the page numbers come from the template's @page rule
            f"--print-to-pdf={target}",
            html.resolve().as_uri(),
        ]
        # Its own process group: on a timeout the renderer and helper processes go too.
        try:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
        except OSError as error:
            raise PrintError(f"{browser} could not be started: {error.strerror}") from None
        try:
            _, stderr = process.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise PrintError(f"{browser} did not print {html.name} within {TIMEOUT_S} s") from None
    if process.returncode != 0 or not _is_pdf(target):
        raise PrintError(
            f"{browser} could not print {html.name} (exit code {process.returncode}): "
            f"{_last_error(stderr)}"
        )


def _is_pdf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(5) == b"%PDF-"


def _last_error(stderr: str) -> str:
    """Chromium's last line that says something, for the one-line message."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    # D-Bus complaints are printed on every headless start and say nothing about the print.
    useful = [line for line in lines if "dbus" not in line.lower()]
    return (useful or lines or ["no message"])[-1][:300]
