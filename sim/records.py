"""Record schemas: the tidy frames a simulation returns, with fixed columns and dtypes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scenarios.schema import ITEM_CATEGORIES, Outcomes
from sim.model import HANDLED_LEVELS
from sim.network import CountyNetwork
from sim.rows import (
    CALL_COLUMNS,
    DISPATCH_COLUMNS,
    EVENT_COLUMNS,
    ITEM_AT,
    ITEM_COLUMNS,
    STOCK_COLUMNS,
    CallRow,
    DispatchRow,
    EventRow,
    StockRow,
)


def _no_calls() -> pd.DataFrame:
    """The calls frame of a run with no everyday calls: the columns, numeric, no rows."""
    return pd.DataFrame({column: pd.Series(dtype="float64") for column in CALL_COLUMNS})


@dataclass(frozen=True, slots=True)
class Records:
    """Raw rows of one or more replications, before they become frames."""

    events: list[EventRow]
    items: list[np.ndarray]  # blocks of rows in ITEM_COLUMNS order
    dispatches: list[DispatchRow]
    stock: list[StockRow]
    calls: list[CallRow]
    end_stock: list[np.ndarray]  # per replication: (depots, items) once every event has ended


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """Tidy frames of a run: one row per event, per event x item, per dispatch, per stock group.

    ``replications`` lists every replication run, including those with no event.
    ``weights``, indexed by replication, is how much each counts in every summary
    (see :func:`sim.hazards.replication_weights`); ``None``: all count alike.
    """

    events: pd.DataFrame
    items: pd.DataFrame
    dispatches: pd.DataFrame
    stock: pd.DataFrame
    replications: np.ndarray
    weights: pd.Series | None = None
    outcomes: Outcomes = field(default_factory=Outcomes)  # how people's outcomes are counted
    # per replication and team with everyday calls (CALL_COLUMNS); none: no team has any
    calls: pd.DataFrame = field(default_factory=_no_calls)
    # (replications, depots, items): the stock once the year's events have all ended, what
    # was used up and lost taken out and equipment back; empty when not recorded
    end_stock: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)))

    def mean_end_stock(self) -> np.ndarray:
        """The stock at the year's end per (depot, item), averaged as every summary is."""
        if self.weights is None:
            return self.end_stock.mean(axis=0)
        w = self.weights.reindex(self.replications).to_numpy(dtype=float)
        return np.tensordot(w / w.sum(), self.end_stock, axes=1)


def _categorical(codes: pd.Series, labels: tuple[str, ...]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(int), categories=list(labels))


def to_frames(
    records: Records,
    network: CountyNetwork,
    replications: np.ndarray,
    weights: pd.Series | None = None,
) -> SimulationResult:
    """Build the frames once, at the end, with fixed columns and dtypes."""
    hazards = tuple(h.hazard_id for h in network.scenario.hazards)
    # Events are recorded when they end; frames list them in the order they began.
    events = pd.DataFrame.from_records(records.events, columns=list(EVENT_COLUMNS))
    events = events.sort_values(["replication", "event_id"], ignore_index=True)
    events = events.astype({"replication": "int64", "event_id": "int64", "episode": "int64"})
    events = events.astype({"road_cut": "bool", "teams_dispatched": "int64", "trapped": "int64"})
    events["hazard"] = _categorical(events["hazard"], hazards)
    events["township_id"] = _categorical(events["township_id"], network.township_ids)
    events["handled_level"] = _categorical(events["handled_level"], HANDLED_LEVELS)
    block = np.vstack(records.items) if records.items else np.empty((0, len(ITEM_COLUMNS)))
    keys = [block[:, ITEM_AT[name]] for name in ("item_id", "event_id", "replication")]
    block = block[np.lexsort(keys)]
    items = pd.DataFrame(block, columns=list(ITEM_COLUMNS))
    items = items.astype({"replication": "int64", "event_id": "int64"})
    item_codes = items["item_id"].astype(int)
    items["hazard"] = _categorical(items["hazard"], hazards)
    items["township_id"] = _categorical(items["township_id"], network.township_ids)
    items["item_id"] = _categorical(item_codes, network.item_ids)
    items.insert(5, "category", _categorical(network.item_category[item_codes], ITEM_CATEGORIES))
    dispatches = pd.DataFrame.from_records(records.dispatches, columns=list(DISPATCH_COLUMNS))
    dispatches = dispatches.sort_values(
        ["replication", "event_id", "dispatched_h", "team_id"], ignore_index=True
    )
    dispatches = dispatches.astype({"replication": "int64", "event_id": "int64"})
    dispatches["team_id"] = _categorical(dispatches["team_id"], network.team_ids)
    stock = pd.DataFrame.from_records(records.stock, columns=list(STOCK_COLUMNS))
    stock = stock.astype({"replication": "int64"})
    stock["tier"] = _categorical(stock["tier"], ("county", "township", "village"))
    stock["category"] = _categorical(stock["category"], ITEM_CATEGORIES)
    calls = pd.DataFrame.from_records(records.calls, columns=list(CALL_COLUMNS))
    calls = calls.astype({"replication": "int64", "calls": "int64", "unanswered": "int64"})
    calls = calls.sort_values(["replication", "team_id"], ignore_index=True)
    calls["team_id"] = _categorical(calls["team_id"], network.team_ids)
    calls["township_id"] = _categorical(calls["township_id"], network.township_ids)
    calls["shortfall_yuan"] = calls["shortfall_yuan"].astype(float)
    return SimulationResult(
        events,
        items,
        dispatches,
        stock,
        np.asarray(replications),
        weights,
        network.scenario.outcomes,
        calls,
        np.array(records.end_stock) if records.end_stock else np.zeros((0, 0, 0)),
    )
