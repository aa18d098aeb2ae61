"""The dispatch rules both engines call: routing, road cuts, alarms, growth."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import scenarios
from optimize.baselines import status_quo
from optimize.demand import sample_years
from optimize.model import Budgets, build_problem, solve
from scenarios.schema import MAX_COUNT, Capability
from sim import build_network, simulate
from sim.dispatch import RoadCuts, alarm_h, growth, kit_saving, route, trapped_lost, usable_kit
from sim.hazards import make_event
from sim.metrics import weighted_unmet_per_year
from tests import builders

# --- routing ------------------------------------------------------------------------------


def test_route_takes_in_time_sources_first_in_tier_order_then_late_ones():
    available = np.array([[2.0, 5.0], [3.0, 5.0], [4.0, 5.0]])  # three sources, two items
    on_time = np.array([[False, True], [True, True], [True, False]])
    take = route(available, np.array([6.0, 7.0]), (~on_time).astype(int))
    # item 0: in time are sources 1 and 2 (3 + 3 of 4), the late source 0 not needed
    assert take[:, 0].tolist() == [0.0, 3.0, 3.0]
    # item 1: sources 0 and 1 in time (5 + 2), the late source 2 not needed
    assert take[:, 1].tolist() == [5.0, 2.0, 0.0]


def test_route_falls_back_to_late_sources_in_tier_order():
    available = np.array([[1.0], [1.0], [1.0]])
    on_time = np.array([[False], [True], [False]])
    take = route(available, np.array([2.5]), (~on_time).astype(int))
    assert take[:, 0].tolist() == [1.0, 1.0, 0.5]  # in time first, then late from the top


def test_route_conserves_stock_and_never_gives_more_than_asked():
    rng = np.random.default_rng(3)
    for _ in range(200):
        available = rng.integers(0, 5, size=(4, 3)).astype(float)
        need = rng.integers(0, 12, size=3).astype(float)
        take = route(available, need, rng.integers(0, 3, size=(4, 3)))
        assert (take >= 0).all() and (take <= available).all()
        assert np.allclose(take.sum(axis=0), np.minimum(need, available.sum(axis=0)))


# --- road cuts, alarm, growth ---------------------------------------------------------------


class _Cut:
    """A stand-in for an event, with only what road cuts read."""

    def __init__(self, township: int, impact_h: float, road_cut: bool = True, hazard: int = 0):
        self.township, self.impact_h, self.road_cut, self.hazard = (
            township,
            impact_h,
            road_cut,
            hazard,
        )


@pytest.fixture(scope="module")
def tiny_scenario(tmp_path_factory):
    return scenarios.load(builders.write_scenario(tmp_path_factory.mktemp("dispatch")))


def test_road_cut_lasts_from_impact_for_its_duration(tiny_scenario):
    cuts = RoadCuts.of(tiny_scenario, 3, [_Cut(1, 100.0), _Cut(2, 50.0, road_cut=False)])
    duration = tiny_scenario.hazards[0].road_cut_duration_h
    assert not cuts.is_cut(1, 99.9)
    assert cuts.is_cut(1, 100.0) and cuts.is_cut(1, 100.0 + duration - 0.01)
    assert not cuts.is_cut(1, 100.0 + duration)
    assert not cuts.is_cut(2, 60.0)  # an event without a cut road cuts nothing


def test_other_events_cut_slows_trips_into_and_out_of_its_township(tiny_scenario):
    factor = tiny_scenario.travel.road_cut_slowdown
    cuts = RoadCuts.of(tiny_scenario, 3, [_Cut(1, 100.0)])
    # an event in township 0: trips from 1 (cut) are slow, from 2 are not
    assert cuts.slowdown(0, np.array([1, 2]), 110.0).tolist() == [factor, 1.0]
    # an event in the cut township itself: every trip is slow
    assert cuts.slowdown(1, np.array([0, 2]), 110.0).tolist() == [factor, factor]


def test_alarm_is_never_before_the_year_starts(tiny_scenario):
    flood = tiny_scenario.hazards[0]  # warning lead 4 h, alarm delay 0.5 h
    assert alarm_h(flood, 100.0) == pytest.approx(96.5)
    assert alarm_h(flood, 1.0) == 0.0


def test_growth_is_exponential_in_hours_late_beyond_the_grace(tiny_scenario):
    fire = tiny_scenario.hazards[2]  # 0.2 per hour late, 1 h grace
    assert growth(fire, 10.0, 10.5) == 1.0
    assert growth(fire, 10.0, 14.0) == pytest.approx(np.exp(0.2 * 3.0))
    assert growth(fire, 10.0, None) == 1.0
    assert growth(tiny_scenario.hazards[0], 10.0, 40.0) == 1.0  # floods do not grow


def test_growth_stops_at_a_million_fold_however_late_the_first_team(tiny_scenario):
    fire = tiny_scenario.hazards[2]
    # a team queued half a year: exp(0.2 x 4,380) overflowed to an infinite demand
    assert growth(fire, 0.0, 4380.0) == pytest.approx(1e6)
    assert growth(fire, 0.0, 60.0) == pytest.approx(np.exp(0.2 * 59.0))  # below it, as before


def test_a_billion_trapped_are_timed_on_a_sample_not_one_slot_each(tiny_scenario):
    slide = tiny_scenario.hazards[1]  # half-life 24 h
    few = trapped_lost(slide, 1000, 0.0, 0.0, 48.0)
    assert trapped_lost(slide, 1_000_000_000, 0.0, 0.0, 48.0) == pytest.approx(few * 1e6, 1e-6)
    assert trapped_lost(slide, 10_000, 0.0, 0.0, 48.0) == pytest.approx(few * 10, 1e-6)


def test_a_drawn_severity_stops_at_a_billion_people(tiny_scenario):
    flood = tiny_scenario.hazards[0].model_copy(
        update={"severity_median_people": 1e7, "severity_sigma": 5.0, "trapped_per_person": 1.0}
    )
    county = tiny_scenario.model_copy(update={"hazards": (flood,)})
    rng = np.random.default_rng(1)
    # e^(5 x 4) x 1e7 is 5e15 people, and trapping them all overflowed numpy's Poisson
    events = [make_event(rng, county, 0, 0, 0.0) for _ in range(20_000)]
    assert max(event.severity_people for event in events) == MAX_COUNT
    assert max(event.trapped for event in events) <= 1.1 * MAX_COUNT


# --- the routing reproduction: a neighbour in time, the county late ------------------------


def _routing_county(folder):
    """Township A has no depot; neighbour N (10 km) and the county depot (60 km) hold one unit."""
    townships = [
        {**builders.TOWNSHIPS[0], "township_id": "A", "x_km": 0, "terrain": "plain"},
        {**builders.TOWNSHIPS[1], "township_id": "N", "x_km": 10, "terrain": "plain"},
        {**builders.TOWNSHIPS[2], "township_id": "K", "x_km": 60, "y_km": 0, "terrain": "plain"},
    ]
    townships[0]["is_county_seat"] = "false"
    townships[2]["is_county_seat"] = "true"
    kit = {**builders.ITEMS[0], "item_id": "kit", "unit_price_yuan": 10, "criticality_weight": 5}
    hazard = {**builders.HAZARDS[1], "alarm_delay_h": 0.0, "road_cut_probability": 0.0}
    hazard["rescue_person_hours_base"] = 0.0
    hazard["rescue_person_hours_per_person"] = 0.0
    toml = copy.deepcopy(builders.TOML_BASE)
    # Travel: 10 km at 50 km/h + 0.25 h local = 0.45 h; 60 km: 1.45 h.
    toml["travel"] = {
        "speed_kmh": {"plain": 50, "hill": 50, "mountain": 50},
        "road_factor": 1.0,
        "local_travel_h": {"plain": 0.25, "hill": 0.25, "mountain": 0.25},
        "road_cut_slowdown": 2.0,
    }
    toml["dispatch"]["neighbour_radius_km"] = 15
    # The county's tier comes before the neighbours': drawing by tier alone sends its late unit.
    toml["dispatch"]["supply_order"] = ["township", "county", "neighbour"]
    toml["dispatch"]["issue_delay_h"] = {"village": 0.1, "township": 0.5, "county": 1.0}
    tables = {
        "townships": townships,
        "items": [kit],
        "depots": [
            {"depot_id": "D_N", "tier": "township", "township_id": "N"},
            {"depot_id": "D_COUNTY", "tier": "county", "township_id": "K"},
        ],
        "stock": [
            {"depot_id": "D_N", "item_id": "kit", "quantity": 1},
            {"depot_id": "D_COUNTY", "item_id": "kit", "quantity": 1},
        ],
        "teams": [builders.TEAMS[2]],
        "agreements": None,
        "demand": [{"hazard": "landslide", "item_id": "kit", "per_event": 1, "deadline_h": 1.5}],
    }
    tables["teams"][0] = {**tables["teams"][0], "base_township": "K"}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "replay.csv").write_text(
        "year,time_h,township_id,hazard,severity_people\n1,1000,A,landslide,0\n", encoding="utf-8"
    )
    return builders.write_scenario(
        folder, toml=toml, tables=tables, hazards=[hazard], extra_tables={"replay": "replay.csv"}
    )


def test_routing_reproduction_same_value_in_both_engines(tmp_path):
    """Neighbour in time (0.95 h), county late (2.45 h), deadline 1.5 h: nothing goes short."""
    scenario = scenarios.load(_routing_county(tmp_path / "routing"))
    network = build_network(scenario)
    sources = network.sources[network.township_ids.index("A")]
    arrivals = dict(zip(sources.depots.tolist(), sources.issue_h + sources.travel_h, strict=True))
    assert arrivals[network.depot_ids.index("D_N")] == pytest.approx(0.95)
    assert arrivals[network.depot_ids.index("D_COUNTY")] == pytest.approx(2.45)
    result = simulate(scenario, status_quo(), reps=1, seed=1)
    assert result.items["served_in_time"].sum() == 1.0
    assert result.items["from_neighbour"].sum() == 1.0  # the county's late unit stays home
    assert weighted_unmet_per_year(result).iloc[0] == 0.0
    years = sample_years(network, 1, 1, first=0)
    saa = build_problem(network, years, Budgets(0.0))
    report = solve(saa, "highs", mip_gap=0.0)
    assert report.found_plan and report.objective == pytest.approx(0.0, abs=1e-9)


# --- the two engines agree event by event ---------------------------------------------------


@pytest.fixture(scope="module")
def replayed_county(tmp_path_factory):
    """Short years the engines must value alike: growth, own and other events' road cuts."""
    folder = tmp_path_factory.mktemp("agree")
    hazards = copy.deepcopy(builders.HAZARDS)
    hazards[1]["road_cut_probability"] = 1.0  # every landslide cuts its township's roads
    hazards[0]["road_cut_probability"] = 0.0
    (folder / "replay.csv").write_text(
        "year,time_h,township_id,hazard,severity_people\n"
        "1,4500,A,flood,4000\n"  # stock and teams fall short
        "2,4500,C,forest_fire,30\n"  # a fire that grows
        "3,4500,B,landslide,600\n"  # its own road cut
        "4,1000,C,forest_fire,0\n"
        "5,4500,B,landslide,400\n5,4505,A,flood,3000\n"  # B's cut slows supplies from B to A
        "6,4500,C,landslide,40\n6,4501,C,forest_fire,0\n",  # teams shared, the fire grows
        encoding="utf-8",
    )
    path = builders.write_scenario(folder, hazards=hazards, extra_tables={"replay": "replay.csv"})
    return scenarios.load(path)


@pytest.mark.parametrize("staffing", [False, True])
def test_engines_agree_year_by_year_on_a_fixed_plan(replayed_county, staffing):
    """The SAA model's value of today's plan in each year equals the simulation's."""
    network = build_network(replayed_county)
    years = sample_years(network, 7, 6, first=0)
    budgets = Budgets(0.0, staffing_yuan=1e9 if staffing else None)
    saa = build_problem(network, years, budgets)
    saa.fix_plan(status_quo(), network)
    assert solve(saa, "highs", mip_gap=0.0).found_plan
    simulated = weighted_unmet_per_year(simulate(replayed_county, status_quo(), reps=6, seed=7))
    assert simulated.sum() > 100_000  # the years are not trivially quiet
    assert saa.year_costs() == pytest.approx(simulated.to_numpy(), rel=1e-9, abs=1e-6)


def test_engines_agree_year_by_year_with_township_priorities(replayed_county):
    """A shortfall in a vulnerable township weighs more, in the simulation and the model alike."""
    priority = {"A": 3.0, "B": 0.5, "C": 1.0}
    townships = tuple(
        t.model_copy(update={"priority_weight": priority[t.township_id]})
        for t in replayed_county.townships
    )
    weighed = replayed_county.model_copy(update={"townships": townships})
    network = build_network(weighed)
    saa = build_problem(network, sample_years(network, 7, 6, first=0), Budgets(0.0))
    saa.fix_plan(status_quo(), network)
    assert solve(saa, "highs", mip_gap=0.0).found_plan
    simulated = weighted_unmet_per_year(simulate(weighed, status_quo(), reps=6, seed=7))
    assert saa.year_costs() == pytest.approx(simulated.to_numpy(), rel=1e-9, abs=1e-6)
    # Year 1 is one flood in A: its shortfall is three times the unweighted one.
    plain = weighted_unmet_per_year(simulate(replayed_county, status_quo(), reps=6, seed=7))
    assert simulated.iloc[0] == pytest.approx(3.0 * plain.iloc[0])


def test_optimiser_sees_another_events_road_cut(replayed_county):
    network = build_network(replayed_county)
    year = sample_years(network, 7, 6, first=0)[4]  # landslide in B, then a flood in A
    flood = next(event for event in year if event.event.township == 0)
    sources = network.sources[0]
    from_b = np.flatnonzero(sources.towns == network.township_ids.index("B"))
    uncut = flood.alarm_h + sources.issue_h + sources.travel_h
    factor = replayed_county.travel.road_cut_slowdown
    assert len(from_b)
    for row in from_b:
        expected = flood.alarm_h + sources.issue_h[row] + sources.travel_h[row] * factor
        assert flood.source_arrival_h[row] == pytest.approx(expected)
    others = np.setdiff1d(np.arange(len(sources.depots)), from_b)
    assert flood.source_arrival_h[others] == pytest.approx(uncut[others])


def test_engines_agree_year_by_year_when_rosters_do_not_all_turn_out(replayed_county):
    """Turnout scales a team's rate on scene in the simulation and the model alike."""
    teams = tuple(
        t.model_copy(update={"turnout": 0.5 if t.tier in ("village", "township") else 0.8})
        for t in replayed_county.teams
    )
    thinned = replayed_county.model_copy(update={"teams": teams})
    network = build_network(thinned)
    saa = build_problem(network, sample_years(network, 7, 6, first=0), Budgets(0.0, 1e9))
    saa.fix_plan(status_quo(), network)
    assert solve(saa, "highs", mip_gap=0.0).found_plan
    simulated = weighted_unmet_per_year(simulate(thinned, status_quo(), reps=6, seed=7))
    assert saa.year_costs() == pytest.approx(simulated.to_numpy(), rel=1e-9, abs=1e-6)
    full = weighted_unmet_per_year(simulate(replayed_county, status_quo(), reps=6, seed=7))
    assert simulated.sum() > full.sum()  # fewer hands on scene: more work left undone


def test_turnout_multiplies_a_candidates_efficiency_hand_computed(replayed_county):
    general = replayed_county.dispatch.general_skill_efficiency
    teams = tuple(t.model_copy(update={"turnout": 0.6}) for t in replayed_county.teams)
    thinned = build_network(replayed_county.model_copy(update={"teams": teams}))
    full = build_network(replayed_county)
    for hazard, row in enumerate(full.candidates):
        skill = replayed_county.hazards[hazard].rescue_skill
        for town, candidates in enumerate(row):
            for position, team in enumerate(candidates.teams.tolist()):
                own = skill in replayed_county.teams[team].skills
                expected = 0.6 * (1.0 if own else general)
                got = thinned.candidates[hazard][town].efficiency[position]
                assert got == pytest.approx(expected)
                assert candidates.efficiency[position] == pytest.approx(expected / 0.6)


# --- kit that shortens the rescue work (capabilities) ---------------------------------------


def _with_kit(scenario, boat_h=40.0, blower_h=30.0):
    """Boats save water-rescue work on floods, blowers fire-line work on forest fires."""
    kit = (
        Capability(item_id="boat", hazard="flood", saves_person_hours=boat_h, max_share=0.3),
        Capability(item_id="blower", hazard="forest_fire", saves_person_hours=blower_h,
                   max_share=0.4),
    )  # fmt: skip
    return scenario.model_copy(update={"capabilities": kit})


@pytest.mark.parametrize("staffing", [False, True])
def test_engines_agree_year_by_year_when_kit_saves_rescue_work(replayed_county, staffing):
    """Kit in time shortens the work in the simulation and the model alike, year by year."""
    kitted = _with_kit(replayed_county)
    network = build_network(kitted)
    budgets = Budgets(0.0, staffing_yuan=1e9 if staffing else None)
    saa = build_problem(network, sample_years(network, 7, 6, first=0), budgets)
    saa.fix_plan(status_quo(), network)
    assert solve(saa, "highs", mip_gap=0.0).found_plan
    result = simulate(kitted, status_quo(), reps=6, seed=7)
    simulated = weighted_unmet_per_year(result)
    assert saa.year_costs() == pytest.approx(simulated.to_numpy(), rel=1e-9, abs=1e-6)
    assert result.events["kit_saved_h"].sum() > 0
    plain = weighted_unmet_per_year(simulate(replayed_county, status_quo(), reps=6, seed=7))
    assert simulated.sum() < plain.sum()  # the kit did some of the work


def test_kit_saves_its_units_in_time_up_to_its_share_hand_computed(replayed_county):
    """Each event: saved = min(1,000 h x boats in time, 30% of the work before the saving)."""
    result = simulate(_with_kit(replayed_county, boat_h=1000.0), status_quo(), reps=6, seed=7)
    events = result.events.set_index(["replication", "event_id"])
    boats = result.items[result.items["item_id"] == "boat"]
    boats = boats.set_index(["replication", "event_id"])["served_in_time"]
    floods = events[(events["hazard"] == "flood") & (events["teams_dispatched"] > 0)]
    assert len(floods) >= 2
    for key, event in floods.iterrows():
        before = event["rescue_person_hours"] + event["kit_saved_h"]
        expected = min(1000.0 * boats.get(key, 0.0), 0.3 * before)
        assert event["kit_saved_h"] == pytest.approx(expected)
    capped = [
        key for key, e in floods.iterrows()
        if e["kit_saved_h"] < 1000.0 * boats.get(key, 0.0) - 1e-9
    ]  # fmt: skip
    assert capped and all(events.loc[key, "kit_saved_h"] > 0 for key in capped)


def test_kit_counts_only_where_a_sent_team_operates_it(tmp_path):
    """A boat needs a boat crew: only county_water operates boats in the ruled county."""
    path = builders.write_scenario(tmp_path / "ruled", tables=builders.ruled_tables())
    network = build_network(_with_kit(scenarios.load(path)))
    flood = [h.hazard_id for h in network.scenario.hazards].index("flood")
    team = {team_id: k for k, team_id in enumerate(network.team_ids)}
    boat = network.item_ids.index("boat")
    assert usable_kit(network, flood, [team["town_A"]]).items.tolist() == []
    kit = usable_kit(network, flood, [team["town_A"], team["county_water"]])
    assert kit.items.tolist() == [boat]
    assert usable_kit(network, flood, []).items.tolist() == []
    saved = kit_saving(kit, np.array([5.0]), work=1000.0)
    assert saved.tolist() == [pytest.approx(200.0)]  # 5 x 40 h, under 30% of 1,000
    assert kit_saving(kit, np.array([20.0]), work=1000.0).tolist() == [pytest.approx(300.0)]
