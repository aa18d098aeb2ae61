"""Small scenarios built for the tests, written as real TOML and CSV files."""

from __future__ import annotations

import copy
import csv
from pathlib import Path
from typing import Any

FLAT_MONTHS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

TOWNSHIPS = [
    {
        "township_id": "A",
        "name_zh": "甲镇",
        "x_km": 0,
        "y_km": 0,
        "terrain": "plain",
        "population": 20000,
        "area_km2": 100,
        "villages": 10,
        "river_exposure": 0.8,
        "forest_area_ha": 1000,
        "hazard_points": 2,
        "is_county_seat": "true",
    },
    {
        "township_id": "B",
        "name_zh": "乙乡",
        "x_km": 10,
        "y_km": 0,
        "terrain": "hill",
        "population": 8000,
        "area_km2": 150,
        "villages": 8,
        "river_exposure": 0.3,
        "forest_area_ha": 5000,
        "hazard_points": 5,
    },
    {
        "township_id": "C",
        "name_zh": "丙乡",
        "x_km": 30,
        "y_km": 20,
        "terrain": "mountain",
        "population": 5000,
        "area_km2": 300,
        "villages": 6,
        "river_exposure": 0.1,
        "forest_area_ha": 15000,
        "hazard_points": 10,
    },
]

ITEMS = [
    {
        "item_id": "sandbag",
        "name_zh": "编织袋",
        "name_en": "Sandbag",
        "category": "flood",
        "unit": "条",
        "unit_price_yuan": 2,
        "kind": "consumable",
        "criticality_weight": 3,
    },
    {
        "item_id": "boat",
        "name_zh": "橡皮艇",
        "name_en": "Rubber boat",
        "category": "flood",
        "unit": "艘",
        "unit_price_yuan": 30000,
        "kind": "equipment",
        "loss_rate": 0.1,
        "criticality_weight": 5,
    },
    {
        "item_id": "water",
        "name_zh": "瓶装水",
        "name_en": "Bottled water",
        "category": "living",
        "unit": "箱",
        "unit_price_yuan": 30,
        "kind": "consumable",
        "criticality_weight": 5,
    },
    {
        "item_id": "blower",
        "name_zh": "风力灭火机",
        "name_en": "Wind extinguisher",
        "category": "forest_fire",
        "unit": "台",
        "unit_price_yuan": 3500,
        "kind": "equipment",
        "loss_rate": 0.05,
        "criticality_weight": 4,
    },
]

DEPOTS = [
    {"depot_id": "D_COUNTY", "tier": "county", "township_id": "A"},
    {"depot_id": "D_A", "tier": "township", "township_id": "A"},
    {"depot_id": "D_B", "tier": "township", "township_id": "B"},
    {"depot_id": "D_C", "tier": "township", "township_id": "C"},
    {"depot_id": "V_A", "tier": "village", "township_id": "A"},
    {"depot_id": "V_B", "tier": "village", "township_id": "B"},
    {"depot_id": "V_C", "tier": "village", "township_id": "C"},
]

STOCK = [
    {"depot_id": "D_COUNTY", "item_id": "boat", "quantity": 3},
    {"depot_id": "D_COUNTY", "item_id": "sandbag", "quantity": 2000},
    {"depot_id": "D_COUNTY", "item_id": "water", "quantity": 300},
    {"depot_id": "D_COUNTY", "item_id": "blower", "quantity": 10},
    {"depot_id": "D_A", "item_id": "sandbag", "quantity": 500},
    {"depot_id": "D_B", "item_id": "sandbag", "quantity": 300},
    {"depot_id": "D_C", "item_id": "blower", "quantity": 4},
    {"depot_id": "V_A", "item_id": "water", "quantity": 20},
    {"depot_id": "V_B", "item_id": "water", "quantity": 20},
    {"depot_id": "V_C", "item_id": "water", "quantity": 20},
]


def _team(team_id: str, tier: str, base: str, members: int, skills: str, mob_min: float) -> dict:
    return {
        "team_id": team_id,
        "name_zh": team_id,
        "tier": tier,
        "base_township": base,
        "members": members,
        "min_members": 1,
        "max_members": 200,
        "skills": skills,
        "mobilisation_median_min": mob_min,
        "mobilisation_sigma": 0.3,
        "cost_per_member_yuan": 1000,
    }


TEAMS = [
    _team("county_water", "county", "A", 30, "water_rescue;general", 10),
    _team("county_fire", "county", "A", 40, "forest_fire;general", 10),
    _team("county_geo", "county", "A", 25, "landslide_search;general", 15),
    _team("town_A", "township", "A", 50, "general", 40),
    _team("town_B", "township", "B", 50, "general;forest_fire", 40),
    _team("town_C", "township", "C", 50, "general;forest_fire", 40),
    _team("village_C", "village", "C", 30, "general", 20),
    _team("station_B", "fire_station", "B", 15, "forest_fire;water_rescue;general", 5),
    _team("social_1", "social", "A", 20, "water_rescue;landslide_search", 90),
]

AGREEMENTS = [
    {
        "agreement_id": "market",
        "supplier_zh": "县超市",
        "township_id": "A",
        "item_id": "water",
        "max_quantity": 500,
        "lead_time_h": 4,
    },
]

DEMAND = [
    {"hazard": "flood", "item_id": "sandbag", "per_person": 1, "per_event": 200, "deadline_h": 6},
    {"hazard": "flood", "item_id": "boat", "per_event": 2, "deadline_h": 4},
    {"hazard": "flood", "item_id": "water", "per_person": 0.2, "deadline_h": 12},
    {"hazard": "forest_fire", "item_id": "blower", "per_event": 6, "deadline_h": 3},
    {"hazard": "forest_fire", "item_id": "water", "per_event": 5, "deadline_h": 6},
    {"hazard": "landslide", "item_id": "water", "per_person": 0.3, "deadline_h": 12},
]

HAZARDS = [
    {
        "hazard_id": "flood",
        "name_zh": "洪涝",
        "trigger": "rain",
        "annual_rate": 2.0,
        "exposure": "river_exposure",
        "month_weights": [0, 0, 0, 0, 1, 2, 3, 3, 1, 0, 0, 0],
        "severity_median_people": 300,
        "severity_sigma": 0.8,
        "duration_median_h": 36,
        "duration_sigma": 0.3,
        "alarm_delay_h": 0.5,
        "warning_lead_h": 4,
        "evacuate_fraction": 0.3,
        "rescue_skill": "water_rescue",
        "rescue_person_hours_base": 200,
        "rescue_person_hours_per_person": 1.0,
        "rescue_work_sigma": 0.4,
        "rescue_deadline_h": 12,
        "max_teams": 4,
        "road_cut_probability": 0.3,
        "road_cut_duration_h": 24,
    },
    {
        "hazard_id": "landslide",
        "name_zh": "滑坡",
        "trigger": "rain",
        "annual_rate": 3.0,
        "exposure": "hazard_points",
        "month_weights": [0, 0, 0, 0, 1, 2, 3, 3, 1, 0, 0, 0],
        "severity_median_people": 40,
        "severity_sigma": 1.0,
        "duration_median_h": 24,
        "alarm_delay_h": 0.5,
        "rescue_skill": "landslide_search",
        "rescue_person_hours_base": 100,
        "rescue_person_hours_per_person": 3.0,
        "rescue_work_sigma": 0.4,
        "rescue_deadline_h": 24,
        "max_teams": 3,
        "road_cut_probability": 0.5,
        "road_cut_duration_h": 12,
        "trapped_per_person": 0.05,
        "survival_half_life_h": 24,
    },
    {
        "hazard_id": "forest_fire",
        "name_zh": "森林火灾",
        "trigger": "independent",
        "annual_rate": 3.0,
        "dispersion": 2.0,
        "exposure": "forest_area_ha",
        "month_weights": [1, 3, 3, 2, 0.5, 0, 0, 0, 0, 0.5, 1, 1],
        "severity_median_people": 50,
        "severity_sigma": 1.0,
        "severity_zero_probability": 0.7,
        "duration_median_h": 10,
        "alarm_delay_h": 0.5,
        "rescue_skill": "forest_fire",
        "rescue_person_hours_base": 400,
        "rescue_work_sigma": 0.4,
        "rescue_deadline_h": 8,
        "max_teams": 4,
        "growth_per_hour_late": 0.2,
        "growth_grace_h": 1.0,
    },
]

TOML_BASE: dict[str, Any] = {
    "scenario": {
        "scenario_id": "tiny",
        "name_zh": "小县",
        "name_en": "Tiny county",
        "seed": 7,
        "horizon_days": 365,
        "procurement_budget_yuan": 100000,
    },
    "penalties": {"late_fraction": 0.5, "rescue_work_yuan_per_person_hour": 100},
    "travel": {
        "speed_kmh": {"plain": 50, "hill": 40, "mountain": 25},
        "road_factor": 1.3,
        "local_travel_h": {"plain": 0.2, "hill": 0.3, "mountain": 0.5},
        "road_cut_slowdown": 2.0,
    },
    "dispatch": {
        "team_order": ["village", "township", "fire_station", "neighbour", "county", "social"],
        "supply_order": ["village", "township", "county", "neighbour", "agreement"],
        "neighbour_radius_km": 15,
        "when_no_team": "queue",
        "issue_delay_h": {"village": 0.1, "township": 0.3, "county": 0.5},
        "evacuation_people_per_member_hour": 3,
    },
    "rain_episodes": {
        "annual_rate": 2.5,
        "dispersion": 2.0,
        "month_weights": [0, 0, 0, 0, 1, 2, 3, 3, 1, 0, 0, 0],
        "radius_km": 15,
    },
}

TABLES = {
    "townships": TOWNSHIPS,
    "items": ITEMS,
    "depots": DEPOTS,
    "stock": STOCK,
    "teams": TEAMS,
    "agreements": AGREEMENTS,
    "demand": DEMAND,
}


def toml_text(document: dict[str, Any]) -> str:
    """A minimal TOML writer for the shapes used here (tables, arrays of tables)."""
    lines: list[str] = []
    for key, value in document.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for entry in value:
                lines.append(f"[[{key}]]")
                lines += [f"{k} = {_value(v)}" for k, v in entry.items()]
        elif isinstance(value, dict):
            lines.append(f"[{key}]")
            lines += [f"{k} = {_value(v)}" for k, v in value.items()]
        else:
            lines.insert(0, f"{key} = {_value(value)}")
    return "\n".join(lines) + "\n"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return repr(value)


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write rows with the union of their keys as header."""
    header: list[str] = []
    for row in rows:
        header += [k for k in row if k not in header]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def write_scenario(
    folder: Path,
    toml: dict[str, Any] | None = None,
    tables: dict[str, list[dict[str, Any]]] | None = None,
    hazards: list[dict[str, Any]] | None = None,
    extra_tables: dict[str, str] | None = None,
) -> Path:
    """Write a scenario to ``folder`` and return the TOML path; arguments replace the defaults."""
    folder.mkdir(parents=True, exist_ok=True)
    document = copy.deepcopy(TOML_BASE if toml is None else toml)
    rows = copy.deepcopy(TABLES)
    rows.update(tables or {})
    names = {}
    for name, content in rows.items():
        if content is None:
            continue
        write_csv(folder / f"{name}.csv", content)
        names[name] = f"{name}.csv"
    names.update(extra_tables or {})
    document["tables"] = names
    document["hazards"] = copy.deepcopy(HAZARDS if hazards is None else hazards)
    path = folder / "scenario.toml"
    path.write_text(toml_text(document), encoding="utf-8")
    return path


def ruled_tables() -> dict[str, list[dict]]:
    """The tiny county with a rule of every kind on its items, depots and teams."""
    items = copy.deepcopy(ITEMS)
    rules = {
        "sandbag": {"lot_size": 100, "min_order": 500, "volume_m3": 0.002},
        "boat": {"operator_skill": "boat", "volume_m3": 1.0, "max_purchase": 2},
        "water": {"hazardous": "true", "volume_m3": 0.03},
        "blower": {"min_purchase": 2, "volume_m3": 0.1},
    }
    for item in items:
        item.update(rules[item["item_id"]])
    depots = copy.deepcopy(DEPOTS)
    for depot in depots:
        if depot["depot_id"] == "D_COUNTY":
            depot["stores_hazardous"] = "true"
        if depot["depot_id"] == "D_B":
            depot["capacity_m3"] = 3
    teams = copy.deepcopy(TEAMS)
    for team in teams:
        team["operates"] = "boat" if team["team_id"] == "county_water" else ""
    return {"items": items, "depots": depots, "teams": teams}


def ruled_toml(**rules) -> dict:
    toml = copy.deepcopy(TOML_BASE)
    toml["rules"] = {"category_share": {"flood": [0.2, 0.9]}, "min_lots_per_item": 1} | rules
    return toml


def two_county_tables(east_km: float = 200.0) -> dict[str, list[dict[str, Any]]]:
    """The tiny county and its copy ``east_km`` further east, as two counties of one city.

    The copy's ids end in ``2``; its county depot holds nothing and it has no supplier
    agreement, so what its events get from a county depot or an agreement tells the
    jurisdiction rule apart from one county of six townships.
    """
    tables = copy.deepcopy(TABLES)
    ids = ("township_id", "depot_id", "team_id", "agreement_id", "base_township")
    for town in tables["townships"]:
        town["county"] = "甲县"
    for name in ("townships", "depots", "teams"):
        for row in copy.deepcopy(TABLES[name]):
            row.update({key: f"{row[key]}2" for key in ids if key in row})
            if name == "townships":
                row |= {"x_km": row["x_km"] + east_km, "name_zh": f"{row['name_zh']}2"}
                row["county"] = "乙县"
            tables[name].append(row)
    tables["stock"] += [
        line | {"depot_id": f"{line['depot_id']}2"}
        for line in copy.deepcopy(STOCK)
        if line["depot_id"] != "D_COUNTY"
    ]
    return tables


def write_province(folder: Path, counties: int = 3) -> list[Path]:
    """``counties`` variants of the tiny county, each in ``folder/counties/NN/``.

    Each has its own id, names, seed, budget, population and hazard rates, so that
    no two cells of a province sweep are alike.
    """
    paths = []
    for number in range(counties):
        toml = copy.deepcopy(TOML_BASE)
        toml["scenario"] |= {
            "scenario_id": f"tiny_{number + 1}",
            "name_zh": f"小县{number + 1}",
            "name_en": f"Tiny county {number + 1}",
            "seed": 7 + number,
            "procurement_budget_yuan": 60000 + 20000 * number,
        }
        scale = 1.0 + 0.25 * number
        hazards = [h | {"annual_rate": h["annual_rate"] * scale} for h in HAZARDS]
        townships = [t | {"population": int(t["population"] * scale)} for t in TOWNSHIPS]
        county = folder / "counties" / f"{number + 1:02d}"
        paths.append(write_scenario(county, toml, {"townships": townships}, hazards))
    return paths
