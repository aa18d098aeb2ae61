"""The bundled default county matches the facts of the seed reports it is built from."""

from __future__ import annotations

from collections import Counter

import scenarios


def test_default_county_has_the_seed_report_shape(default_scenario):
    county = default_scenario
    assert len(county.townships) == 33
    assert len(county.items) == 57
    assert county.procurement_budget_yuan == 2_800_000
    county_teams = [t for t in county.teams if t.tier == "county"]
    assert len(county_teams) == 20
    assert sum(t.members for t in county_teams) == 833
    assert len({t.category for t in county_teams}) == 3
    assert sum(1 for t in county.teams if t.tier == "fire_station") == 2
    assert sum(1 for t in county.townships if t.is_county_seat) == 1


def test_every_township_has_a_team_of_at_least_50(default_scenario):
    township_teams = [t for t in default_scenario.teams if t.tier == "township"]
    bases = Counter(t.base_township for t in township_teams)
    assert set(bases) == {t.township_id for t in default_scenario.townships}
    assert all(t.members >= 50 for t in township_teams)


def test_three_stockpile_tiers_with_the_value_gradient_of_the_reports(default_scenario):
    county = default_scenario
    tiers = {d.depot_id: d.tier for d in county.depots}
    price = {i.item_id: i.unit_price_yuan for i in county.items}
    pieces, value = Counter(), Counter()
    for line in county.stock:
        pieces[tiers[line.depot_id]] += line.quantity
        value[tiers[line.depot_id]] += line.quantity * price[line.item_id]
    per_piece = {tier: value[tier] / pieces[tier] for tier in ("county", "township", "village")}
    # Seed 003: about 152, 21.7 and 14.5 yuan per piece from county down to village.
    assert per_piece["county"] > per_piece["township"] > per_piece["village"]


def test_every_number_says_where_it_came_from():
    for row in scenarios.load().items:
        assert row.source
    for row in scenarios.load().teams:
        assert row.source
    for hazard in scenarios.load().hazards:
        assert hazard.source


def test_every_file_the_sources_cite_is_shipped():
    """SOURCES.md and the county's TOML cite the seed reports and reference notes beside them."""
    import re
    from pathlib import Path

    import scenarios

    folder = Path(scenarios.default_scenario_path()).parent / "default_county"
    text = (folder / "SOURCES.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"`(reference/[^`*{}]+)`", text))
    cited |= {f"reference/{name}" for name in ("domain.md", "norms.md", "hazards.csv", "items.csv")}
    cited |= {f"reference/seeds/{n:03d}.txt" for n in range(5)}  # seed 000 ... seed 004
    missing = sorted(path for path in cited if not (folder / path).exists())
    assert not missing, missing
    assert "shared/" not in text
