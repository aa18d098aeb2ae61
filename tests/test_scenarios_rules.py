"""The bureau's planning rules: read and refused at the edge, and a plan checked against them."""

from __future__ import annotations

import copy

import pytest

import scenarios
from scenarios.plan import Plan, Purchase
from scenarios.rules import breaches, least_units, may_hold, most_units
from scenarios.schema import PlanningRules
from tests import builders
from tests.support import expect_input_error


@pytest.fixture(scope="module")
def ruled(tmp_path_factory) -> scenarios.Scenario:
    folder = tmp_path_factory.mktemp("ruled")
    return scenarios.load(
        builders.write_scenario(folder, builders.ruled_toml(), builders.ruled_tables())
    )


def test_rules_are_read_from_items_depots_teams_and_the_rules_section(ruled):
    boat, sandbag = ruled.item("boat"), ruled.item("sandbag")
    assert (boat.operator_skill, boat.max_purchase, boat.volume_m3) == ("boat", 2, 1.0)
    assert (sandbag.lot_size, sandbag.min_order) == (100, 500)
    assert ruled.rules.category_share == {"flood": (0.2, 0.9)}
    assert ruled.rules.min_lots_per_item == 1


def test_who_may_hold_what_follows_tier_operators_and_licence(ruled):
    allowed = may_hold(ruled)
    # The only team trained on boats is based in A: the county depot and A's depot.
    assert {d for (i, d), ok in allowed.items() if i == "boat" and ok} == {"D_COUNTY", "D_A"}
    # Hazardous water: only the licensed county depot. Village stores are never bought for.
    assert {d for (i, d), ok in allowed.items() if i == "water" and ok} == {"D_COUNTY"}
    assert not any(ok for (_, d), ok in allowed.items() if d.startswith("V_"))


def test_least_and_most_units_are_whole_lots(ruled):
    # k = 1 lot of every type; the sandbag's supplier minimum of 500 is already whole lots.
    assert least_units(ruled, ruled.item("sandbag")) == 500
    assert least_units(ruled, ruled.item("boat")) == 1
    assert least_units(ruled, ruled.item("blower")) == 2  # its own minimum is more than k lots
    assert most_units(ruled.item("boat")) == 2
    assert most_units(ruled.item("water")) is None


def _plan(*lines: tuple[str, str, int]) -> Plan:
    return Plan("test", tuple(Purchase(*line) for line in lines))


def test_a_plan_keeping_every_rule_has_no_breach(ruled):
    plan = _plan(
        ("sandbag", "D_A", 500),
        ("boat", "D_A", 1),
        ("water", "D_COUNTY", 10),
        ("blower", "D_B", 2),
    )
    # flood: 1,000 + 30,000 of 38,300 yuan = 81% (floor 20%, ceiling 90%)
    assert breaches(plan, ruled) == []


def test_each_broken_rule_is_named_hand_computed(ruled):
    plan = _plan(
        ("sandbag", "D_A", 250),  # not whole lots of 100, and below the minimum order of 500
        ("boat", "D_B", 3),  # nobody in B operates boats; 3 > at most 2; 3 m3 > D_B's 2.4 left
        ("water", "D_A", 10),  # hazardous, D_A is not licensed
        ("blower", "D_B", 1),  # at least 2 required
        ("water", "V_B", 1),  # village stores are stocked by the villages
    )
    found = sorted((b.rule, b.subject) for b in breaches(plan, ruled))
    # flood 500 + 90,000 of 94,330 yuan = 95.9%, above the 90% ceiling
    assert found == sorted(
        [
            ("lot_size", "sandbag"),
            ("min_order", "sandbag"),
            ("min_purchase", "sandbag"),
            ("operator", "boat"),
            ("max_purchase", "boat"),
            ("capacity", "D_B"),
            ("hazardous", "water"),
            ("depot_tier", "water"),
            ("min_purchase", "blower"),
            ("category_ceiling", "flood"),
        ]
    )


def test_a_category_below_its_floor_is_a_breach(ruled):
    plan = _plan(("sandbag", "D_A", 500), ("boat", "D_A", 1), ("water", "D_COUNTY", 2000))
    plan = plan.with_units("blower", "D_B", 2)
    # flood 31,000 of 98,000 yuan = 31.6%: kept; with 10,000 cases of water it is 9.2%
    assert not [b for b in breaches(plan, ruled) if b.rule == "category_floor"]
    more = plan.with_units("water", "D_COUNTY", 8000)
    assert [b.subject for b in breaches(more, ruled) if b.rule == "category_floor"] == ["flood"]


def test_a_depot_tier_outside_its_share_is_a_breach_hand_computed(ruled):
    tiers = PlanningRules(tier_share={"county": (0.7, 1.0), "township": (0.0, 0.3)})
    scenario = ruled.model_copy(update={"rules": tiers})
    plan = _plan(("sandbag", "D_A", 500), ("boat", "D_A", 1), ("water", "D_COUNTY", 2000))
    plan = plan.with_units("blower", "D_B", 2)
    # county: 60,000 of 98,000 yuan = 61.2%; townships: 1,000 + 30,000 + 7,000 = 38.8%
    found = [(b.rule, b.subject, b.detail) for b in breaches(plan, scenario)]
    assert found == [
        ("tier_floor", "county", "county: 61.2% of the purchase money, the floor is 70%"),
        ("tier_ceiling", "township", "township: 38.8% of the purchase money, the ceiling is 30%"),
    ]
    more = plan.with_units("water", "D_COUNTY", 8000)  # county 240,000 of 278,000 = 86.3%
    assert [b for b in breaches(more, scenario) if b.rule.startswith("tier")] == []


def _load(tmp_path, toml=None, tables=None):
    path = builders.write_scenario(
        tmp_path, toml or builders.ruled_toml(), tables or builders.ruled_tables()
    )
    return path, lambda: scenarios.load(path)


def _item_change(item_id: str, **changes) -> dict[str, list[dict]]:
    tables = builders.ruled_tables()
    for item in tables["items"]:
        if item["item_id"] == item_id:
            item.update(changes)
    return tables


@pytest.mark.parametrize(
    ("changes", "fragments"),
    [
        ({"operator_skill": "hovercraft"}, ("row 3, field operator_skill", "no team operates")),
        ({"min_purchase": 5, "max_purchase": 2}, ("row 3", "min_purchase 5 is above")),
        ({"lot_size": 0}, ("row 3, field lot_size", "greater than or equal to 1")),
        ({"volume_m3": "inf"}, ("row 3, field volume_m3",)),
        ({"volume_m3": 5000}, ("row 3, field volume_m3", "less than or equal to 1000")),
        ({"max_purchase": "-1"}, ("row 3, field max_purchase",)),
        ({"hazardous": "maybe"}, ("row 3, field hazardous",)),
    ],
)
def test_bad_item_rules_are_refused_in_one_line(tmp_path, changes, fragments):
    path, load = _load(tmp_path, tables=_item_change("boat", **changes))
    expect_input_error(load, path.parent / "items.csv", *fragments)


def test_a_required_item_no_depot_may_hold_is_refused(tmp_path):
    tables = _item_change("water", min_purchase=10)
    for depot in tables["depots"]:
        depot.pop("stores_hazardous", None)
    path, load = _load(tmp_path, tables=tables)
    expect_input_error(load, path.parent / "items.csv", "row 4, field item_id", "no depot may")


@pytest.mark.parametrize(
    ("capacity", "fragment"), [(0, "greater than 0"), ("nan", "finite"), (1e9, "less than")]
)
def test_bad_depot_capacity_is_refused(tmp_path, capacity, fragment):
    tables = builders.ruled_tables()
    tables["depots"][2]["capacity_m3"] = capacity
    path, load = _load(tmp_path, tables=tables)
    expect_input_error(load, path.parent / "depots.csv", "row 4, field capacity_m3", fragment)


@pytest.mark.parametrize(
    ("rules", "fragments"),
    [
        ({"category_share": {"flood": [0.6, 0.5]}}, ("rules.category_share", "above the ceiling")),
        (
            {"category_share": {"flood": [0.6, 1.0], "living": [0.5, 1.0]}},
            ("rules.category_share", "floors sum to 1.1"),
        ),
        ({"category_share": {"boats": [0.1, 0.5]}}, ("rules.category_share.boats",)),
        ({"category_share": {"flood": [0.1, 1.5]}}, ("rules.category_share.flood",)),
        ({"min_lots_per_item": 5000}, ("rules.min_lots_per_item", "less than or equal")),
        ({"tier_share": {"county": [0.6, 0.5]}}, ("rules.tier_share", "above the ceiling")),
        ({"tier_share": {"city": [0.1, 0.5]}}, ("rules.tier_share.city",)),
        ({"tier_share": {"county": [0.1, "inf"]}}, ("rules.tier_share.county",)),
        ({"min_lot_per_item": 1}, ("rules.min_lot_per_item", "unknown key")),
    ],
)
def test_bad_rules_section_is_refused_in_one_line(tmp_path, rules, fragments):
    toml = builders.ruled_toml()
    toml["rules"] = rules
    path, load = _load(tmp_path, toml=toml)
    expect_input_error(load, path, *fragments)


@pytest.mark.parametrize(
    ("section", "values", "fragments"),
    [
        ("objective", {"worst_share": 0.0}, ("objective.worst_share", "greater than 0")),
        ("objective", {"worst_weight": 2.0}, ("objective.worst_weight", "less than or equal")),
        ("objective", {"worst_weigth": 0.5}, ("objective.worst_weigth", "unknown key")),
        ("objective", {"minimise": "lives"}, ("objective.minimise", "lives")),
        ("objective", {"minimise": "mix"}, ("objective", "life_yuan or relief_person_yuan")),
        ("objective", {"minimise": "mix", "life_yuan": "inf"}, ("objective.life_yuan",)),
        ("objective", {"minimise": "mix", "life_yuan": -1}, ("objective.life_yuan",)),
        ("objective", {"minimise": "mix", "life_yuan": 1e12}, ("objective.life_yuan",)),
        ("objective", {"relief_person_yuan": "nan"}, ("objective.relief_person_yuan",)),
        ("objective", {"stage_slack": 0.6}, ("objective.stage_slack", "less than or equal")),
        ("outcomes", {"first_relief_h": 0}, ("outcomes.first_relief_h", "greater than 0")),
        (
            "outcomes",
            {"relief_items": {"water": ["juice"]}},
            ("relief_items.water", "unknown item"),
        ),
        ("outcomes", {"outside_help_share": 1.5}, ("outcomes.outside_help_share",)),
        ("outcomes", {"small_event_people": -1}, ("outcomes.small_event_people",)),
    ],
)
def test_bad_objective_and_outcomes_sections_are_refused(tmp_path, section, values, fragments):
    toml = builders.ruled_toml()
    toml[section] = values
    path, load = _load(tmp_path, toml=toml)
    expect_input_error(load, path, *fragments)


def test_objective_and_outcomes_are_read(tmp_path):
    toml = builders.ruled_toml()
    toml["objective"] = {"worst_share": 0.2, "worst_weight": 0.5}
    toml["outcomes"] = {"relief_items": {"water": ["water"]}, "first_relief_h": 6}
    _, load = _load(tmp_path, toml=toml)
    scenario = load()
    assert (scenario.objective.worst_share, scenario.objective.worst_weight) == (0.2, 0.5)
    assert scenario.outcomes.relief_items == {"water": ("water",)}
    assert scenario.outcomes.first_relief_h == 6


@pytest.mark.parametrize(
    ("value", "fragment"), [(0, "greater than 0"), (11, "less than"), ("inf", "")]
)
def test_bad_township_priority_is_refused(tmp_path, value, fragment):
    tables = builders.ruled_tables()
    tables["townships"] = copy.deepcopy(builders.TOWNSHIPS)
    tables["townships"][1]["priority_weight"] = value
    path, load = _load(tmp_path, tables=tables)
    expect_input_error(
        load, path.parent / "townships.csv", "row 3, field priority_weight", fragment
    )


def test_a_plan_that_buys_nothing_breaks_minimums_but_no_share(ruled):
    kinds = {b.rule for b in breaches(Plan("nothing"), ruled)}
    assert kinds == {"min_purchase"}
