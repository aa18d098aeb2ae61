"""The one error type users see: one line naming the file, the field and the value."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError


class InputError(ValueError):
    """Bad input refused at the edge; ``str(error)`` is the whole one-line message."""

    def __init__(self, file: str | Path, field: str, problem: str, value: Any = None) -> None:
        self.file, self.field, self.problem, self.value = str(file), field, problem, value
        shown = "" if value is None else f" (got {_short(value)})"
        where = f"{self.file}: {field}: " if field else f"{self.file}: "
        super().__init__(f"{where}{problem}{shown}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def field_path(loc: Sequence[str | int], prefix: str = "") -> str:
    """Render a pydantic location as ``hazards[2].annual_rate``."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def from_validation(
    error: ValidationError, file: str | Path, prefix: str = "", names: Sequence[str] = ()
) -> InputError:
    """Turn the first pydantic error into an :class:`InputError`.

    ``names`` labels list positions (for example hazard ids) so that the
    message says ``hazards[2] (flood).annual_rate`` rather than a bare index.
    """
    first = error.errors()[0]
    loc = list(first["loc"])
    path = field_path(loc, prefix)
    index = next((i for i, part in enumerate(loc) if isinstance(part, int)), None)
    if names and index is not None and loc[index] < len(names) and names[loc[index]]:
        head = field_path(loc[: index + 1], prefix)
        path = f"{head} ({names[loc[index]]})" + path[len(head) :]
    problem = first["msg"]
    if first["type"] == "extra_forbidden":
        problem = "unknown key (a typo?)"
        return InputError(file, path, problem)
    value = first.get("input")
    if first["type"] == "missing":
        value = None
    return InputError(file, path, problem[0].lower() + problem[1:], value)
