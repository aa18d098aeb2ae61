"""``yingji serve``: the browser front end, for planners who never open a terminal.

Serves the pages of :mod:`planner.web.app` until Ctrl-C. On the machine itself
(127.0.0.1) by default; any other address needs a token the operator sets, and
then every request needs it. Before serving, jobs a stopped server left running
are marked interrupted (:meth:`planner.web.jobs.JobStore.recover`).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

from rich.console import Console

from planner.errors import RequestError
from planner.output import terminal

TOKEN_ENV = "YINGJI_TOKEN"
MIN_TOKEN_LENGTH = 12  # a token someone could guess protects nothing


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve to any address


def checked_token(host: str, token: str | None) -> str | None:
    """The token to demand (the option's, else YINGJI_TOKEN's); one line refusing an unsafe one."""
    token = token or os.environ.get(TOKEN_ENV) or None
    if token is None and not is_loopback(host):
        raise RequestError(
            f"serving on {host} lets other machines in: set a token with --token or "
            f"{TOKEN_ENV} (every request must then give it), or serve on 127.0.0.1"
        )
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise RequestError(f"the token must be at least {MIN_TOKEN_LENGTH} characters long")
    return token


def _check_port(host: str, port: int) -> None:
    """Refuse in one line an address already in use (before any page is built)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise RequestError(f"cannot serve on {host}:{port}: {error.strerror}") from None


def run_serve(
    host: str,
    port: int,
    root: Path,
    token: str | None = None,
    jobs: int = 1,
    console: Console | None = None,
) -> None:
    """Serve the pages on ``host:port`` from ``root`` until Ctrl-C."""
    import uvicorn

    from planner.web.app import create_app
    from planner.web.jobs import JobStore

    console = console or terminal(stderr=True)
    token = checked_token(host, token)
    _check_port(host, port)
    if root.exists() and not root.is_dir():
        raise RequestError(f"--root {root}: exists and is not a folder")
    root.mkdir(parents=True, exist_ok=True)
    marked = JobStore(root).recover()
    if marked:
        console.print(f"{len(marked)} job(s) were running when the server stopped: interrupted")
    app = create_app(root, token, jobs)
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{port}/"
    terminal().print(f"yingji serve: {address} (Ctrl-C stops)", markup=False, highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
