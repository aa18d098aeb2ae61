"""A city for benchmarks: the default county tiled side by side, hazards scaled with it.

A prefecture-level city of the seeds has about 190 towns; six copies of the
33-township default county (198 townships) stand for one. Each tile is a county of
the city (its townships' ``county``) with its own seat, depots, teams, stock and
supplier agreements, which serve that county alone; its townships are shifted east
so that tiles do not overlap; every hazard's events and rainstorm episodes a year, the
procurement budget and the reserve norms grow with the number of tiles. The result
is validated like any scenario (:func:`scenarios.loader.validate_scenario`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scenarios import Scenario, load
from scenarios.loader import validate_scenario

GAP_KM = 20.0  # between tiles: a neighbouring county's townships are a drive away


def city(tiles: int, county: Scenario | None = None) -> Scenario:
    """``tiles`` copies of ``county`` (default: the bundled one) as one city scenario."""
    county = county or load()
    data = county.model_dump()
    width = max(t["x_km"] for t in data["townships"]) + GAP_KM
    tables = {name: [] for name in ("townships", "depots", "teams", "stock", "agreements")}
    for tile in range(tiles):
        for name, rows in tables.items():
            rows.extend(_tiled(name, row, tile, width) for row in data[name])
    data |= tables
    data["scenario_id"] = f"{county.scenario_id}_city_{tiles}"
    data["procurement_budget_yuan"] = county.procurement_budget_yuan * tiles
    data["hazards"] = [h | {"annual_rate": h["annual_rate"] * tiles} for h in data["hazards"]]
    if data.get("rain_episodes"):
        # A storm covers the same townships in a larger city; more ground sees more storms.
        # Unscaled, each storm brought six counties' rain-triggered events to one cluster.
        episodes = data["rain_episodes"]
        data["rain_episodes"] = episodes | {"annual_rate": episodes["annual_rate"] * tiles}
    data["norms"] = [n | {"required_units": n["required_units"] * tiles} for n in data["norms"]]
    return validate_scenario(data, Path(county.source_path or "city"))


def _tiled(name: str, row: dict[str, Any], tile: int, width: float) -> dict[str, Any]:
    """One row of one tile: every id (and the ids it refers to) marked with the tile."""
    row = dict(row)
    if name == "townships":
        row["county"] = f"县{tile + 1}"  # each tile a county of the city, served by its own bureau
    if tile == 0:
        return row
    mark = f"_{tile}"
    for key in ("township_id", "depot_id", "team_id", "agreement_id", "base_township"):
        if row.get(key):
            row[key] = f"{row[key]}{mark}"
    if name == "townships":
        row["x_km"] += tile * width
        row["name_zh"] = f"{row['name_zh']}{tile + 1}"
        row["name_en"] = f"{row['name_en']} {tile + 1}" if row["name_en"] else ""
    if name in ("depots", "teams") and row.get("name_zh"):
        row["name_zh"] = f"{row['name_zh']}{tile + 1}"
    return row
