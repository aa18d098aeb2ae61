"""The rows a simulated year records, one record type per table; their fields are the columns.

The model fills them by name (codes for categorical columns: hazard, township,
item, team, tier, category); :func:`sim.records.to_frames` turns them into the
tidy frames with labels. Item rows come in numpy blocks, one per event, for
speed: :data:`ITEM_AT` names each block column's position.
"""

from __future__ import annotations

from typing import NamedTuple

from sim.network import SOURCE_TIERS


class EventRow(NamedTuple):
    """One event, recorded when it ends."""

    replication: int
    event_id: int
    hazard: int
    township_id: int
    episode: int
    impact_h: float
    alarm_h: float
    duration_h: float
    severity_people: float
    road_cut: bool
    growth_factor: float
    first_arrival_h: float
    response_h: float
    wait_for_team_h: float
    teams_dispatched: int
    members_dispatched: float
    rescue_person_hours: float  # the work left for people: grown, less what the kit saved
    kit_saved_h: float  # rescue person-hours the kit on scene in time saved (capabilities)
    rescue_in_time: float
    rescue_late: float
    rescue_unmet: float
    rescue_shortfall_yuan: float
    item_shortfall_yuan: float
    trapped: int
    trapped_lost: float
    to_evacuate: float
    evacuated_before_impact: float
    work_done_h: float
    end_h: float
    handled_level: int
    county_first_batch_h: (
        float  # hours from alarm to the first units from a county depot (NaN: none)
    )


class DispatchRow(NamedTuple):
    """One team sent to one event."""

    replication: int
    event_id: int
    team_id: int
    dispatched_h: float
    arrival_h: float
    leave_scene_h: float
    back_at_base_h: float
    members: float


class StockRow(NamedTuple):
    """The value a tier holds of a category at the year's start (arrivals too) and end."""

    replication: int
    tier: int
    category: int
    start_value_yuan: float
    end_value_yuan: float


class CallRow(NamedTuple):
    """A team's everyday calls in a year: how many, how many no duty crew was free for."""

    replication: int
    team_id: int
    township_id: int
    calls: int
    unanswered: int
    shortfall_yuan: float


EVENT_COLUMNS = EventRow._fields
DISPATCH_COLUMNS = DispatchRow._fields
STOCK_COLUMNS = StockRow._fields
CALL_COLUMNS = CallRow._fields
ITEM_COLUMNS = (
    "replication",
    "event_id",
    "hazard",
    "township_id",
    "item_id",
    "demand",
    "served_in_time",
    "served_late",
    "unmet",
    "served_by_first_relief",  # units there by [outcomes] first_relief_h after impact
    *(f"from_{tier}" for tier in SOURCE_TIERS),
    "lost",
    "shortfall_yuan",
)
ITEM_AT = {name: position for position, name in enumerate(ITEM_COLUMNS)}
FROM_TIERS = slice(ITEM_AT[f"from_{SOURCE_TIERS[0]}"], ITEM_AT[f"from_{SOURCE_TIERS[-1]}"] + 1)
