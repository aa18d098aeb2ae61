"""The console: rich output that leaves users' names as they wrote them, and warnings."""

from __future__ import annotations

from dataclasses import asdict

from rich.console import Console

from scenarios.plan import over_budget


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
