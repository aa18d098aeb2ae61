"""Errors the CLI reports in one line without a traceback."""

from __future__ import annotations


class RequestError(ValueError):
    """A request that cannot be carried out as asked (the message says why)."""


class CellsFailedError(RuntimeError):
    """Some cells of a sweep failed; the others are saved. The message says where."""
