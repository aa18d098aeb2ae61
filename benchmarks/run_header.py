"""What every benchmark prints first (machine, versions, date, command), and the county."""

from __future__ import annotations

import datetime
import os
import platform
import shlex
import sys
from importlib.metadata import version


def print_header() -> None:
    """Print where, when and how the benchmark ran (for benchmarks/RESULTS.md)."""
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, PuLP {version('pulp')}, "
        f"highspy {version('highspy')}"
    )
    print(f"date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"command: python {shlex.join(sys.argv)}")


def default_county():
    """Print the header; the bundled county, its network and its budgets."""
    import scenarios
    from planner.pipeline import budgets_for
    from sim import build_network

    scenario = scenarios.load()
    print_header()
    return scenario, build_network(scenario), budgets_for(scenario)
