"""The two-stage stochastic program, solved by sample average approximation in PuLP.

First stage: whole units to buy per item and depot, and members per team, within
the procurement budget and the staffing budget (or one joint budget). Second
stage, for each sampled year: stock flows from each source that can reach an
event (village store, township depot, county depot, the nearest neighbouring
township depots, supplier agreements), credited fully when they arrive by the
item's deadline and at ``1 - late_fraction`` when late; consumables are used up
over the year, equipment serves one event at a time (events under way together
share it), and what the year buys serves only the events alarmed after its
delivery (``[delivery]``, :func:`sim.network.arrived`); team members give rescue
work in time, a member serving one event at a time, and kit that arrives in
time saves some of that work where the crew can use it (``capabilities``, by
:func:`sim.dispatch.kit_saving`'s rule). The objective is the simulation's
headline metric — expected penalty yuan per year — with the simulation's weights,
less (``[objective] value_carried``) the worth of what the purchases leave in the
depots at the year's end (:class:`CarriedCredit`).

``build_problem`` is pure: it names every constraint and returns the model;
``solve`` runs it with an explicit solver. No PuLP object leaves this package.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace

import highspy
import numpy as np
import pulp

from optimize.demand import DemandEvent, overlapping_groups
from optimize.everyday import calling_teams, crew_range, expected_unanswered, unanswered_cost
from optimize.highs_solver import HighsWithOffset, objective_held_at, valued_below_itself
from scenarios import rules
from scenarios.ledger import carried_share
from scenarios.plan import Plan, Purchase, Staffing, idle_depots
from scenarios.schema import Scenario
from sim.dispatch import duty_crews, finish_time, kit_saving, trapped_lost
from sim.network import SOURCE_TIERS, CountyNetwork, agreements_for, arrived

NEIGHBOUR = SOURCE_TIERS.index("neighbour")
VILLAGE = SOURCE_TIERS.index("village")


UNLIMITED_YUAN = 1e15  # a budget that never binds (a plan held fixed)


class InfeasibleRequestError(ValueError):
    """The request cannot be met (for example minimum staffing costs more than the budget)."""


@dataclass(frozen=True, slots=True)
class Budgets:
    """Money available: procurement, and optionally staffing (total annual) or one joint pot."""

    procurement_yuan: float
    staffing_yuan: float | None = None
    joint_yuan: float | None = None

    @property
    def optimises_staffing(self) -> bool:
        """Whether team sizes are decisions (a staffing or joint budget was given)."""
        return self.staffing_yuan is not None or self.joint_yuan is not None


@dataclass(frozen=True, slots=True)
class ModelOptions:
    """Size controls of the second stage.

    ``reduce`` leaves out what cannot change the optimum: a source whose stock
    covers every draw it could see in a year serves its events in full (its
    credit becomes a constant and poorer sources drop out), a demand with one
    source needs no row (its flow's bound is the demand), and an overlap set of
    events inside another set adds no limit. ``reduce=False`` builds every row,
    to check the reduced model against.
    """

    max_neighbours: int | None = 4  # nearest first; None: every one the simulation may draw on
    reduce: bool = True


@dataclass(frozen=True, slots=True)
class CarriedCredit:
    """How the objective credits what a year's purchases leave for next year.

    A unit left in the depot at the year's end carries its share of the price
    (:func:`scenarios.ledger.carried_share`: straight line over its life, net of
    first-year failures and of rotation's return) into next year, where it saves
    next year's money, discounted a year (``[objective] discount_rate``). A yuan
    saved is worth ``worth`` yuan-equivalent: what a yuan of this budget saves at
    the margin, the budget's dual in the LP relaxation (0 where money no longer
    binds). Events draw the oldest stock first (the ledger's rule), so a
    consumable's new units are drawn only beyond the stock held before; ``left``
    is, per (item, depot) index, the expected share of the new units the sampled
    years leave, at the relaxation's plan (a first-order estimate; equipment comes
    back and places not listed leave every unit).
    """

    worth: float
    left: dict[tuple[int, int], float] = field(default_factory=dict)


NO_CREDIT = CarriedCredit(0.0)


@dataclass
class SaaProblem:
    """A built model and the handles needed to read a plan out of it."""

    problem: pulp.LpProblem
    purchases: dict[tuple[int, int], pulp.LpVariable]
    staffing: dict[int, pulp.LpVariable]
    years: int
    build_s: float
    stock_rows: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    # per team: (row, person-hours one more member adds to it) of the rows its size enters
    team_rows: dict[int, list[tuple[str, float]]] = field(default_factory=dict)
    year_constant: list[float] = field(default_factory=list)
    year_terms: list[dict[pulp.LpVariable, float]] = field(default_factory=list)
    # The planning rules' own rows and variables (lots, order switches): first stage only.
    rule_rows: list[str] = field(default_factory=list)
    rule_variables: list[pulp.LpVariable] = field(default_factory=list)
    # One switch per idle depot with upkeep the plan may open (on: opened, upkeep paid).
    open_switches: list[pulp.LpVariable] = field(default_factory=list)
    # Aims minimised one after another before the objective ([objective] lives_first),
    # each then held within ``stage_slack`` of what it reached.
    aims: list[tuple[str, pulp.LpAffineExpression]] = field(default_factory=list)
    stage_slack: float = 0.0
    # per team with everyday calls and a size to decide: its duty crews (optimize.everyday)
    crews: dict[int, pulp.LpVariable] = field(default_factory=dict)
    # [objective] value_carried: per purchase (item, depot), today's yuan of next year's
    # money a unit carries out of the year if no event draws it; per consumable place,
    # its stock held and each year's draws (year, flows); and the credit, None until a
    # solve finds it or given (alike across problems that must share one objective)
    carried: dict[tuple[int, int], float] = field(default_factory=dict)
    draws: dict[tuple[int, int], tuple[float, list]] = field(default_factory=dict)
    credit: CarriedCredit | None = None
    year_weights: list[float] = field(default_factory=list)
    base_objective: pulp.LpAffineExpression | None = None  # the objective before the credit
    # The credit's LP relaxation ends at a basis the rounding's relaxation (the same rows and
    # columns, the objective less the credit) starts from (optimize.highs_solver)
    lp_basis: object | None = None

    def year_costs(self) -> np.ndarray:
        """Each sampled year's own penalty at the solved values (yuan/year, not yet averaged).

        The objective is their mean weighted by the years' weights (``year_weights``
        of :func:`build_problem`, scaled to sum to 1): their plain mean when the
        years weigh alike. ``year_constant`` and ``year_terms`` hold each year's
        penalty unweighted for this.
        """
        return np.array(
            [
                constant + sum(c * (v.value() or 0.0) for v, c in terms.items())
                for constant, terms in zip(self.year_constant, self.year_terms, strict=True)
            ]
        )

    def fix_plan(self, plan: Plan, network: CountyNetwork) -> None:
        """Hold the first stage at a plan's values (purchases not in the plan at zero).

        The held variables become continuous: they are whole already, and what is
        left is a linear programme, which solves faster and has duals. The
        planning rules bind the choice of a plan, not a plan held: build the
        problem with ``planning_rules=False`` to value any plan.
        """
        if self.rule_rows:
            raise ValueError("a plan is held fixed in a problem built with planning_rules=False")
        bought = {
            (network.item_ids.index(p.item_id), network.depot_ids.index(p.depot_id)): p.quantity
            for p in plan.purchases
        }
        for key, var in self.purchases.items():
            var.lowBound = var.upBound = bought.get(key, 0)
        members = {network.team_ids.index(s.team_id): s.members for s in plan.staffing}
        for team, var in self.staffing.items():
            value = members.get(team, int(network.team_members[team]))
            var.lowBound = var.upBound = value
        for team, var in self.crews.items():
            size = members.get(team, int(network.team_members[team]))
            var.lowBound = var.upBound = duty_crews(size, network.scenario.everyday)
        for var in (*self.purchases.values(), *self.staffing.values(), *self.crews.values()):
            var.cat = pulp.LpContinuous
        if self.credit is None:
            self.credit = NO_CREDIT  # a plan held has no money left to weigh; give one to credit

    def carried_expression(self) -> pulp.LpAffineExpression:
        """What the purchases carry out of the year by the credit's shares left (today's yuan)."""
        left = self.credit.left if self.credit is not None else {}
        return pulp.LpAffineExpression(
            {
                self.purchases[key]: per_unit * left.get(key, 1.0)
                for key, per_unit in self.carried.items()
            }
        )

    def objective_held_at(self, var: pulp.LpVariable, value: float) -> float:
        """The solved linear programme's objective with one variable held at ``value``.

        Re-solved warm in the HiGHS model of the last solve (from its optimal
        basis) instead of built and solved afresh; the variable is then
        released to its own bounds again. Needs a solve with HiGHS first.
        """
        return objective_held_at(self.problem.solverModel, var.index, value)


class SolveFailedError(RuntimeError):
    """A solve returned no solution, or no proven bound where one was needed."""


FOUND_SOLUTION = ("Optimal Solution Found", "Solution Found")  # PuLP's words for a solution


@dataclass(frozen=True, slots=True)
class SolveReport:
    """What the solver said, in plain terms; ``optimal`` is never claimed for a stopped run."""

    solver: str
    status: str
    solution: str
    optimal: bool
    objective: float  # expected yuan-equivalent per year over the sample
    best_bound: float
    gap: float
    build_s: float
    solve_s: float
    variables: int
    constraints: int
    integers: int
    method: str = "branch and bound"  # or "LP rounding" (LP relaxation rounded by diving), "LP"
    # (aim, what it reached) for each aim minimised before the objective (SaaProblem.aims)
    stages: tuple[tuple[str, float], ...] = ()
    # the objective's credit for what the plan leaves for next year (CarriedCredit):
    # yuan-equivalent a yuan, and today's yuan of next year's money it leaves
    carried_worth: float = 0.0
    carried_yuan: float = 0.0

    @property
    def carried_credit(self) -> float:
        """Yuan-equivalent a year the objective credits for what the plan carries over."""
        return self.carried_worth * self.carried_yuan

    @property
    def in_sample_penalty(self) -> float:
        """The objective without the credit: the penalty on the sampled years (and aims)."""
        return self.objective + self.carried_credit

    @property
    def found_plan(self) -> bool:
        """Whether the solver returned a solution; without one, no value here means anything."""
        return self.solution in FOUND_SOLUTION


@dataclass(slots=True)
class _Need:
    """One event's demand for one item left after its village store, and who may serve it."""

    event: int
    item: int
    units: float
    penalty: float
    sources: list[tuple[int, float]]  # (pool, credit): a depot, or agreement k as -1 - k
    served_credit: float = 0.0  # credit of a source that always has enough for all of it
    # A relief item, with relief counted: every source keeps its flow (none is served
    # as a constant), and these pools arrive by the first-relief hour.
    relief: bool = False
    early: frozenset[int] = frozenset()
    # Alarmed before the item's purchases arrive ([delivery]): it draws on stock held only.
    before_delivery: bool = False


@dataclass(slots=True)
class _KitUnits:
    """Units of one item at one event there by a time: a constant and the flows that arrive."""

    constant: float = 0.0
    flows: list[pulp.LpVariable] = field(default_factory=list)


@dataclass(slots=True)
class _Outcome:
    """An outcome the objective may count beside the shortfall: expected per year, as terms."""

    constant: float = 0.0
    terms: dict[pulp.LpVariable, float] = field(default_factory=dict)

    def expression(self) -> pulp.LpAffineExpression:
        """The outcome as a linear expression of the model's variables."""
        return pulp.LpAffineExpression(self.terms, constant=self.constant)


@dataclass(frozen=True, slots=True)
class _Overlaps:
    """A year's sets of events under way together, and the sets each event is in."""

    groups: list[list[int]]
    member_of: list[list[int]]

    @classmethod
    def of(cls, events: list[DemandEvent]) -> _Overlaps:
        groups = overlapping_groups(events)
        member_of: list[list[int]] = [[] for _ in events]
        for number, group in enumerate(groups):
            for event in group:
                member_of[event].append(number)
        return cls(groups, member_of)


def _variable(
    problem: pulp.LpProblem, name: str, low: float, up: float | None, integer: bool
) -> pulp.LpVariable:
    """The one place variables are created: through the problem, as PuLP 4 requires."""
    category = pulp.LpInteger if integer else pulp.LpContinuous
    return problem.add_variable(name, lowBound=low, upBound=up, cat=category)


def _purchasable(network: CountyNetwork) -> np.ndarray:
    tiers = rules.purchase_tiers(network.scenario)
    return np.array([tier in tiers for tier in network.depot_tier])


def _may_buy(network: CountyNetwork) -> np.ndarray:
    """[item, depot]: whether the planning rules let the plan buy the item for the depot."""
    allowed = rules.may_hold(network.scenario)
    return np.array(
        [[allowed[(item, depot)] for depot in network.depot_ids] for item in network.item_ids]
    )


def minimum_staffing_cost(network: CountyNetwork) -> float:
    """Annual cost of every team at its minimum size."""
    teams = network.scenario.teams
    return float(sum(t.min_members * t.cost_per_member_yuan for t in teams))


def payroll_yuan(network: CountyNetwork) -> float:
    """Annual cost of every team at today's size."""
    costs = np.array([t.cost_per_member_yuan for t in network.scenario.teams])
    return float((network.team_members * costs).sum())


def check_budgets(network: CountyNetwork, budgets: Budgets) -> None:
    """Refuse requests no plan can meet, with one line that says why."""
    if budgets.procurement_yuan < 0:
        raise InfeasibleRequestError(
            f"the procurement budget {budgets.procurement_yuan:,.0f} is negative"
        )
    money = budgets.procurement_yuan if budgets.joint_yuan is None else budgets.joint_yuan
    _check_rules_fit(network.scenario, money)
    floor = minimum_staffing_cost(network)
    for label, money in (("staffing", budgets.staffing_yuan), ("joint", budgets.joint_yuan)):
        if money is not None and money < floor:
            raise InfeasibleRequestError(
                f"the {label} budget {money:,.0f} yuan is below the cost of every team at its "
                f"minimum size ({floor:,.0f} yuan a year)"
            )


def _check_rules_fit(scenario, money: float) -> None:
    """Refuse, saying which, when the required purchases cannot fit the budget and the shares.

    A category's required purchases must stay within its ceiling share of all the
    purchase money, so they need at least ``required / ceiling`` of it; and a
    category with a floor needs room under the holding ceilings for its floor
    share of at least the required purchases.
    """
    required: dict[str, float] = defaultdict(float)
    for item in scenario.items:
        required[item.category] += rules.least_units(scenario, item) * item.unit_price_yuan
    total = sum(required.values())
    if total > money:
        raise InfeasibleRequestError(
            f"the planning rules' minimum purchases cost {total:,.0f} yuan, more than the "
            f"budget of {money:,.0f} yuan"
        )
    lowered = rules.floors_that_fit(scenario)
    for limit in rules.share_limits(scenario):
        if (limit.kind, limit.group) in lowered:
            room = lowered[(limit.kind, limit.group)] * total
            raise InfeasibleRequestError(
                f"the holding ceilings leave room for {room:,.0f} yuan of {limit.group}, less "
                f"than its {limit.floor:.0%} floor of the {total:,.0f} yuan the rules require: "
                "raise [rules] holding_events or lower the floor"
            )
    for category, (_, ceiling) in scenario.rules.category_share.items():
        if required[category] > ceiling * money + 1e-6:
            raise InfeasibleRequestError(
                f"the required {category} purchases (norms and minimums) cost "
                f"{required[category]:,.0f} yuan, more than its {ceiling:.0%} ceiling of a "
                f"{money:,.0f} yuan budget: raise the budget to at least "
                f"{required[category] / ceiling:,.0f} or the ceiling"
            )


class _Builder:
    """Collects terms in dicts and writes named constraints once (fast for large models)."""

    def __init__(
        self, network: CountyNetwork, years: list[list[DemandEvent]], options, planning_rules
    ) -> None:
        self.problem = pulp.LpProblem("yingji_saa", pulp.LpMinimize)
        self.network = network
        self.options = options
        self.scenario = network.scenario
        self.late_fraction = self.scenario.penalties.late_fraction
        self.purchasable = _purchasable(network)
        self.planning_rules = planning_rules
        self.open_switches: list[pulp.LpVariable] = []
        if planning_rules:
            self.may_buy = _may_buy(network)
        else:
            self.may_buy = np.tile(self.purchasable, (len(network.item_ids), 1))
        lots = [item.lot_size if planning_rules else 1 for item in self.scenario.items]
        self.lot_size = np.array(lots)
        self.is_equipment = network.item_is_equipment.tolist()
        self.village_of = {
            int(network.depot_town[k]): k
            for k, tier in enumerate(network.depot_tier)
            if tier == "village"
        }
        self.purchases: dict[tuple[int, int], pulp.LpVariable] = {}
        self.staffing: dict[int, pulp.LpVariable] = {}
        self.objective: dict[pulp.LpVariable, float] = {}
        self.constant = 0.0
        self.constraints: list[pulp.LpConstraint] = []
        self.year_constant = [0.0] * len(years)
        self.year_terms: list[dict[pulp.LpVariable, float]] = [{} for _ in years]
        self.team_rows: dict[int, list[tuple[str, float]]] = defaultdict(list)
        self.team_of: dict[pulp.LpVariable, int] = {}
        self.only_items: set[int] | None = None
        self.kit_units: dict[tuple[int, int, int], _KitUnits] = {}  # (year, event, item)
        # Outcomes counted beside the shortfall (``[objective]``), when a plan is chosen.
        self.count_lives = self.count_relief = False
        self.lives, self.relief = _Outcome(), _Outcome()
        self.relief_units: dict[tuple[int, int, int], _KitUnits] = {}  # by first-relief hour
        self.crews: dict[int, pulp.LpVariable] = {}
        # [objective] value_carried (set by _build): the yuan a unit bought carries, by
        # item, and per consumable place the stock held and each year's draws
        self.carried_per_unit: np.ndarray | None = None
        self.draws: dict[tuple[int, int], tuple[float, list]] = {}
        self.relief_items = set(np.flatnonzero(network.item_is_relief).tolist())
        # What a depot could ever hand out in one sampled year (or one overlap):
        # buying more cannot help in sample, and the bound shrinks the search tree.
        self.most_needed: dict[tuple[int, int], float] = {}

    def cost(self, year: int, var: pulp.LpVariable, coefficient: float) -> None:
        """A second-stage cost term, kept per year as well for out-of-sample estimates."""
        self.objective[var] = coefficient
        self.year_terms[year][var] = coefficient

    def fixed_cost(self, year: int, amount: float) -> None:
        """A cost that no decision changes (the penalty if nothing were delivered)."""
        self.constant += amount
        self.year_constant[year] += amount

    def at_most(self, terms: dict[pulp.LpVariable, float], bound: float, name: str) -> None:
        """A named ``terms <= bound`` row, made directly (``<=`` would copy the expression)."""
        expression = pulp.LpAffineExpression(terms)
        constraint = pulp.LpConstraint(expression, pulp.LpConstraintLE, name, float(bound))
        self.constraints.append(constraint)

    # -- first stage ----------------------------------------------------------

    def purchase(self, item: int, depot: int, budget: float) -> pulp.LpVariable:
        key = (item, depot)
        if key not in self.purchases:
            price = self.network.item_price_yuan[item]
            cap = float(np.floor(budget / price)) if budget > 0 else 0.0
            self.purchases[key] = _variable(self.problem, f"buy_{item}_{depot}", 0, cap, True)
        return self.purchases[key]

    def members(self, team: int, optimise: bool) -> pulp.LpVariable | float:
        if not optimise:
            return float(self.network.team_members[team])
        if team not in self.staffing:
            spec = self.scenario.teams[team]
            self.staffing[team] = _variable(
                self.problem, f"members_{team}", spec.min_members, spec.max_members, True
            )
            self.team_of[self.staffing[team]] = team
        return self.staffing[team]

    # -- second stage ---------------------------------------------------------

    def sources(self, event: DemandEvent) -> list[tuple[int, int, float]]:
        """(depot, tier, arrival) of the sources an event may draw on."""
        network = self.network
        sources = network.sources[event.event.township]
        chosen, neighbours = [], 0
        for row, depot in enumerate(sources.depots):
            if sources.tiers[row] == NEIGHBOUR and self.options.max_neighbours is not None:
                if neighbours >= self.options.max_neighbours:
                    continue
                neighbours += 1
            arrival = float(event.source_arrival_h[row])
            chosen.append((int(depot), int(sources.tiers[row]), arrival))
        return chosen


def build_problem(
    network: CountyNetwork,
    years: list[list[DemandEvent]],
    budgets: Budgets,
    options: ModelOptions | None = None,
    items: Collection[int] | None = None,
    rescue: bool = True,
    year_weights: Sequence[float] | None = None,
    planning_rules: bool = True,
) -> SaaProblem:
    """Build the SAA model for the sampled years; pure (the network is not changed).

    ``items`` restricts the second stage to those items and ``rescue=False`` leaves
    rescue work out: with the plan fixed the second stage separates by item and
    teams, which the marginal values use to re-solve one part at a time.
    ``year_weights`` are the years' probabilities, one per year and positive
    (default: all alike); they are scaled to sum to 1, so the objective stays the
    expected yuan-equivalent per year. ``planning_rules=False`` leaves out the
    scenario's planning rules (``scenarios.rules``) but its purchase tiers, to
    hold a plan fixed and value it, whichever rules it keeps.
    """
    check_budgets(network, budgets)
    if year_weights is None:
        weights = [1.0 / max(len(years), 1)] * len(years)
    else:
        given = np.asarray(year_weights, dtype=float)
        if given.shape != (len(years),) or not np.isfinite(given).all() or (given <= 0).any():
            raise ValueError("year_weights must be one positive, finite number per year")
        weights = (given / given.sum()).tolist()
    started = time.perf_counter()
    with _collector_paused():
        return _build(
            network,
            years,
            budgets,
            options or ModelOptions(),
            items,
            rescue,
            started,
            weights,
            planning_rules,
        )


@contextlib.contextmanager
def _collector_paused():
    """No cyclic garbage collection while the model's objects are made.

    A build makes hundreds of thousands of objects that all live on, so every
    collection in it is wasted work: 15-20% of a 200-year build.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _build(
    network: CountyNetwork,
    years: list[list[DemandEvent]],
    budgets: Budgets,
    options: ModelOptions,
    items: Collection[int] | None,
    rescue: bool,
    started: float,
    weights: list[float],
    planning_rules: bool,
) -> SaaProblem:
    builder = _Builder(network, years, options, planning_rules)
    builder.only_items = None if items is None else set(items)
    # The outcomes beside the shortfall count where a plan is chosen, not where one is valued.
    choice = network.scenario.objective
    choosing = planning_rules and items is None and rescue
    builder.count_lives = choosing and choice.counts_lives
    builder.count_relief = choosing and choice.counts_relief
    if items is None and rescue and choice.value_carried:
        per_unit = carried_per_unit(network.scenario)
        builder.carried_per_unit = np.array([per_unit[i] for i in network.item_ids])
    if builder.count_lives and budgets.optimises_staffing:
        raise InfeasibleRequestError(
            "lives lost to delay are modelled through kit at today's team sizes: minimise "
            "them with a procurement budget only (no staffing or joint budget)"
        )
    money = budgets.procurement_yuan if budgets.joint_yuan is None else budgets.joint_yuan
    stock_rows: dict[tuple[int, int], list[str]] = defaultdict(list)
    for year, events in enumerate(years):
        weight = weights[year]
        overlaps = _Overlaps.of(events)
        _item_flows(builder, year, events, overlaps, money, weight, stock_rows)
        if rescue:
            _rescue_work(builder, year, events, budgets.optimises_staffing, weight)
        if builder.count_relief:
            _relief_rows(builder, year, events, weight)
        if builder.count_lives:
            _lives(builder, year, events, weight)
    if rescue:
        _everyday(builder, budgets.optimises_staffing, weights)
    forced = _rule_places(builder, money) if planning_rules else set()
    _bound_purchases(builder, forced)
    problem = builder.problem
    _budget_rows(builder, problem, budgets)
    if planning_rules:
        _recruitment_rows(builder, problem)
    rule_rows, rule_variables = _rule_rows(builder, money) if planning_rules else ([], [])
    for constraint in builder.constraints:
        problem.addConstraint(constraint)  # named when made: naming again costs a pass
    # Each year's own penalty, for year_costs: the builder's terms carry the year's weight.
    year_constant = [c / w for c, w in zip(builder.year_constant, weights, strict=True)]
    year_terms = [
        {var: c / w for var, c in terms.items()}
        for terms, w in zip(builder.year_terms, weights, strict=True)
    ]
    aims: list[tuple[str, pulp.LpAffineExpression]] = []
    objective = _objective(builder, year_constant, year_terms, weights)
    if choice.minimise == "lives_first" and choosing:
        aims = [("lives", builder.lives.expression()), ("relief", builder.relief.expression())]
    elif choice.minimise == "mix" and choosing:
        objective = objective + choice.life_yuan * builder.lives.expression()
        objective = objective + choice.relief_person_yuan * builder.relief.expression()
    problem += objective
    return SaaProblem(
        problem=problem,
        purchases=builder.purchases,
        staffing=builder.staffing,
        years=len(years),
        build_s=time.perf_counter() - started,
        stock_rows=dict(stock_rows),
        team_rows=dict(builder.team_rows),
        year_constant=year_constant,
        year_terms=year_terms,
        rule_rows=rule_rows,
        rule_variables=rule_variables,
        open_switches=builder.open_switches,
        aims=aims,
        stage_slack=choice.stage_slack,
        crews=builder.crews,
        carried=_carried(builder),
        draws=builder.draws,
        year_weights=weights,
        base_objective=problem.objective,
    )


def carried_per_unit(scenario: Scenario) -> dict[str, float]:
    """Today's yuan of next year's money a unit bought carries out of the year, by item."""
    discount = 1.0 + scenario.objective.discount_rate
    return {
        item.item_id: item.unit_price_yuan * carried_share(scenario, item) / discount
        for item in scenario.items
    }


def carried_yuan(network: CountyNetwork, plan: Plan, credit: CarriedCredit) -> float:
    """What a plan's purchases leave for next year by the credit's shares (today's yuan)."""
    per_unit = carried_per_unit(network.scenario)
    return float(
        sum(
            per_unit[p.item_id]
            * p.quantity
            * credit.left.get(
                (network.item_ids.index(p.item_id), network.depot_ids.index(p.depot_id)), 1.0
            )
            for p in plan.purchases
        )
    )


def _carried(builder: _Builder) -> dict[tuple[int, int], float]:
    if builder.carried_per_unit is None:
        return {}
    return {key: float(builder.carried_per_unit[key[0]]) for key in builder.purchases}


def _bound_purchases(builder: _Builder, forced: set[tuple[int, int]]) -> None:
    """Each purchase at most what a sampled year could use there and the depot's holding room.

    Beyond the most the sampled years could draw from a depot a unit is worth
    nothing this year, so the bound only shrinks the model (and the list buys
    nothing for what it would carry alone); purchases the rules force are
    not bounded by the sample. The holding room (``rules.purchase_room``) is a
    rule, kept by every purchase.
    """
    network, lots = builder.network, builder.lot_size
    room = rules.purchase_room(builder.scenario) if builder.planning_rules else {}
    for key, var in builder.purchases.items():
        item, depot = key
        if key not in forced:
            need = max(0.0, builder.most_needed.get(key, 0.0))
            var.upBound = min(var.upBound, float(np.ceil(need / lots[item]) * lots[item]))
        most = room.get((network.item_ids[item], network.depot_ids[depot]))
        if most is not None:
            var.upBound = min(var.upBound, float(most))


def _objective(
    builder: _Builder,
    year_constant: list[float],
    year_terms: list[dict[pulp.LpVariable, float]],
    weights: list[float],
) -> pulp.LpAffineExpression:
    """The expected year, mixed with the mean of the worst years by the scenario's weight.

    The worst ``worst_share`` of the years' weight is written as Rockafellar and
    Uryasev's programme: a threshold ``t`` and each year's excess over it,
    ``t + sum_y w_y excess_y / share``, which at its minimum is the mean of the
    worst share of years (:func:`sim.metrics.worst_years_mean` measures the same).
    """
    choice = builder.scenario.objective
    expected = pulp.LpAffineExpression(builder.objective, constant=builder.constant)
    if choice.worst_weight <= 0:
        return expected
    problem, share = builder.problem, choice.worst_share
    threshold = _variable(problem, "worst_threshold", None, None, False)
    terms = {var: (1.0 - choice.worst_weight) * c for var, c in builder.objective.items()}
    terms[threshold] = choice.worst_weight
    for year, (constant, costs) in enumerate(zip(year_constant, year_terms, strict=True)):
        excess = _variable(problem, f"worst_excess_{year}", 0, None, False)
        row = {**costs, excess: -1.0, threshold: -1.0}
        builder.problem.addConstraint(
            pulp.LpConstraint(
                pulp.LpAffineExpression(row), pulp.LpConstraintLE, f"worst_{year}", -constant
            )
        )
        terms[excess] = choice.worst_weight * weights[year] / share
    return pulp.LpAffineExpression(terms, constant=(1.0 - choice.worst_weight) * builder.constant)


def _budget_rows(builder: _Builder, problem: pulp.LpProblem, budgets: Budgets) -> None:
    network = builder.network
    spend = {var: float(network.item_price_yuan[i]) for (i, _), var in builder.purchases.items()}
    if builder.planning_rules:
        switches = _upkeep(builder, problem)
        builder.open_switches = list(switches)
        spend.update(switches)
    pay = {
        var: builder.scenario.teams[k].cost_per_member_yuan for k, var in builder.staffing.items()
    }
    fixed_pay = sum(
        network.team_members[k] * t.cost_per_member_yuan
        for k, t in enumerate(builder.scenario.teams)
        if k not in builder.staffing
    )
    if budgets.joint_yuan is not None:
        joint = pulp.LpAffineExpression({**spend, **pay}, constant=fixed_pay)
        problem += joint <= budgets.joint_yuan, "joint_budget"
        return
    problem += pulp.LpAffineExpression(spend) <= budgets.procurement_yuan, "procurement_budget"
    if budgets.staffing_yuan is not None:
        staffing = pulp.LpAffineExpression(pay, constant=fixed_pay)
        problem += staffing <= budgets.staffing_yuan, "staffing_budget"


def _recruitment_rows(builder: _Builder, problem: pulp.LpProblem) -> None:
    """A township's part-time members, in all its teams, within what it can recruit."""
    network = builder.network
    for township in builder.scenario.townships:
        if township.max_part_time_members is None:
            continue
        terms: dict[pulp.LpVariable, float] = {}
        fixed = 0.0
        for k, team in enumerate(builder.scenario.teams):
            if team.status != "part_time" or team.base_township != township.township_id:
                continue
            if k in builder.staffing:
                terms[builder.staffing[k]] = 1.0
            else:
                fixed += float(network.team_members[k])
        if terms:
            row = pulp.LpAffineExpression(terms, constant=fixed)
            problem += row <= township.max_part_time_members, f"recruit_{township.township_id}"


def _upkeep(builder: _Builder, problem: pulp.LpProblem) -> dict[pulp.LpVariable, float]:
    """A switch per idle depot with upkeep the plan may stock: on, it pays the upkeep.

    Returns the switches with their upkeep, for the budget row; a purchase for
    the depot needs its switch on (its money at most the depot's whole room
    for money, the sum of its purchases' bounds at their prices).
    """
    network = builder.network
    idle = idle_depots(builder.scenario)
    by_depot: dict[int, dict[pulp.LpVariable, float]] = defaultdict(dict)
    for (item, depot), var in builder.purchases.items():
        if network.depot_ids[depot] in idle:
            by_depot[depot][var] = float(network.item_price_yuan[item])
    switches = {}
    for depot, terms in sorted(by_depot.items()):
        switch = _variable(problem, f"open_{depot}", 0, 1, True)
        most = sum(price * var.upBound for var, price in terms.items())
        row = pulp.LpAffineExpression({**terms, switch: -most})
        problem.addConstraint(pulp.LpConstraint(row, pulp.LpConstraintLE, f"open_on_{depot}", 0))
        switches[switch] = idle[network.depot_ids[depot]]
    return switches


def _rule_places(builder: _Builder, money: float) -> set[tuple[int, int]]:
    """Purchases the planning rules may force beyond any sampled need: not bounded by the sample.

    An item the rules make the plan buy (a minimum, k lots of every type, a
    floor on its category) may be bought at the county depots that may hold it
    and at those with a holding ceiling (``[rules] holding_events``), up to their
    room: stock bought for a rule rather than for a sampled need is kept
    centrally, or where the depot's design events need it. With neither, at
    every depot that may hold it.
    """
    scenario = builder.scenario
    floors = {c for c, (low, _) in scenario.rules.category_share.items() if low > 0}
    tier_floors = {t for t, (low, _) in scenario.rules.tier_share.items() if low > 0}
    network = builder.network
    placed = {"county", *scenario.rules.holding_events, *tier_floors}
    central = np.array([tier in placed for tier in network.depot_tier])
    forced: set[tuple[int, int]] = set()
    for item, spec in enumerate(scenario.items):
        required = rules.least_units(scenario, spec) > 0 or spec.category in floors
        if not (required or tier_floors):
            continue
        places = np.flatnonzero(builder.may_buy[item] & central)
        if not len(places):
            places = np.flatnonzero(builder.may_buy[item])
        for depot in places.tolist():
            builder.purchase(item, depot, money)
            forced.add((item, depot))
    return forced


def _rule_rows(builder: _Builder, money: float) -> tuple[list[str], list[pulp.LpVariable]]:
    """The planning rules as rows on the purchases (scenarios/rules.py says what they are)."""
    scenario, problem = builder.scenario, builder.problem
    names: list[str] = []
    variables: list[pulp.LpVariable] = []

    def add(terms: dict[pulp.LpVariable, float], sense: int, bound: float, name: str) -> None:
        expression = pulp.LpAffineExpression(terms)
        problem.addConstraint(pulp.LpConstraint(expression, sense, name, float(bound)))
        names.append(name)

    by_item: dict[int, list[pulp.LpVariable]] = defaultdict(list)
    for (item, _), var in sorted(builder.purchases.items()):
        by_item[item].append(var)
    for item, spec in enumerate(scenario.items):
        held = by_item.get(item, [])
        least, most = rules.least_units(scenario, spec), rules.most_units(spec)
        if least > 0 and not held:
            raise InfeasibleRequestError(
                f"{spec.item_id}: the rules ask for {least} units and no depot may hold it"
            )
        total = dict.fromkeys(held, 1.0)
        if least > 0:
            add(total, pulp.LpConstraintGE, least, f"rule_least_{item}")
        if most is not None and held:
            add(total, pulp.LpConstraintLE, most, f"rule_most_{item}")
        if spec.lot_size > 1:
            variables += _whole_lots(builder, item, held, add)
        if spec.min_order > 0 and held:
            switch = _variable(problem, f"order_{item}", 0, 1, True)
            variables.append(switch)
            add(
                {**total, switch: -float(spec.min_order)},
                pulp.LpConstraintGE,
                0,
                f"order_min_{item}",
            )
            most_held = sum(var.upBound for var in held)
            add({**total, switch: -float(most_held)}, pulp.LpConstraintLE, 0, f"order_on_{item}")
    _room_rows(builder, add)
    _share_rows(builder, add)
    return names, variables


def _whole_lots(builder: _Builder, item: int, held: list[pulp.LpVariable], add) -> list:
    """Each purchase of the item is a whole number of its lots."""
    lot = float(builder.lot_size[item])
    made = []
    for var in held:
        lots = _variable(builder.problem, f"lots_{var.name}", 0, np.floor(var.upBound / lot), True)
        var.cat = pulp.LpContinuous  # whole already: lot x a whole number of lots
        add({var: 1.0, lots: -lot}, pulp.LpConstraintEQ, 0, f"lot_{var.name}")
        made.append(lots)
    return made


def _room_rows(builder: _Builder, add) -> None:
    """What a depot with a capacity receives fits in the room its stock leaves."""
    volume = [item.volume_m3 for item in builder.scenario.items]
    room = rules.free_room_m3(builder.scenario)
    for depot, depot_id in enumerate(builder.network.depot_ids):
        if depot_id not in room:
            continue
        terms = {
            var: volume[i] for (i, d), var in builder.purchases.items() if d == depot and volume[i]
        }
        if terms:
            add(terms, pulp.LpConstraintLE, room[depot_id], f"room_{depot}")


def _share_rows(builder: _Builder, add) -> None:
    """Each category's and depot tier's money between its floor and ceiling share of all of it."""
    price = builder.network.item_price_yuan
    items, depots = builder.scenario.items, builder.scenario.depots
    for limit in rules.share_limits(builder.scenario):
        for share, sense, label in (
            (limit.floor, pulp.LpConstraintGE, "floor"),
            (limit.ceiling, pulp.LpConstraintLE, "ceiling"),
        ):
            if (label == "floor" and share <= 0) or (label == "ceiling" and share >= 1):
                continue  # no limit
            terms = {
                var: float(price[i]) * (limit.holds(items[i], depots[d]) - share)
                for (i, d), var in builder.purchases.items()
            }
            add(terms, sense, 0, f"share_{label}_{limit.kind}_{limit.group}")


def _item_flows(
    builder: _Builder,
    year: int,
    events: list[DemandEvent],
    overlaps: _Overlaps,
    money: float,
    weight: float,
    stock_rows: dict[tuple[int, int], list[str]],
) -> None:
    """Flows of stock to each event, demand caps, and stock limits per depot."""
    network = builder.network
    needs = _needs(builder, year, events, weight)
    for need in needs:
        # Every depot that could serve keeps its purchase and its (possibly empty) row list,
        # so plans, bounds and marginal values cover the same places whether reduced or not.
        for pool, _ in need.sources:
            if pool >= 0:
                stock_rows.setdefault((need.item, pool), [])
                if builder.may_buy[need.item, pool]:
                    builder.purchase(need.item, pool, money)
    if builder.options.reduce:
        _serve_from_ample(builder, needs, overlaps.member_of)
    use: dict[tuple[int, int], dict[int, list[pulp.LpVariable]]] = defaultdict(dict)
    agreement_use: dict[int, list[pulp.LpVariable]] = defaultdict(list)
    for need in needs:
        _flows(builder, year, need, weight, use, agreement_use)
    _stock_limits(builder, year, events, use, overlaps, money, stock_rows)
    for agreement, flows in agreement_use.items():
        cap = float(network.agreement_quantity[agreement])
        builder.at_most(dict.fromkeys(flows, 1.0), cap, f"agreement_{year}_{agreement}")


def _flows(
    builder: _Builder,
    year: int,
    need: _Need,
    weight: float,
    use: dict[tuple[int, int], dict[int, list[pulp.LpVariable]]],
    agreement_use: dict[int, list[pulp.LpVariable]],
) -> None:
    """One demand's flows, each credited beyond what an ample source already gives, and its cap."""
    scale = weight * need.penalty
    if need.served_credit > 0:
        builder.fixed_cost(year, -scale * need.served_credit * need.units)
    served: dict[pulp.LpVariable, float] = {}
    kit = builder.kit_units.get((year, need.event, need.item))
    if kit is not None and need.served_credit >= 1.0:
        kit.constant += need.units
    relief = builder.relief_units.get((year, need.event, need.item)) if need.relief else None
    for pool, credit in need.sources:
        if pool >= 0:
            name = f"f_{year}_{need.event}_{need.item}_{pool}"
        else:
            name = f"a_{year}_{need.event}_{need.item}_{-1 - pool}"
        flow = _variable(builder.problem, name, 0, need.units, False)
        builder.cost(year, flow, -scale * (credit - need.served_credit))
        served[flow] = 1.0
        if kit is not None and credit >= 1.0:
            kit.flows.append(flow)
        if relief is not None and pool in need.early:
            relief.flows.append(flow)
        if pool >= 0:
            use[(need.item, pool)].setdefault(need.event, []).append(flow)
        else:
            agreement_use[-1 - pool].append(flow)
    if len(served) > 1 or (served and not builder.options.reduce):
        builder.at_most(served, need.units, f"demand_{year}_{need.event}_{need.item}")


def _needs(builder: _Builder, year: int, events: list[DemandEvent], weight: float) -> list[_Need]:
    """Each event's demand per item after its village store, with the credit of every source.

    The penalty of the whole demand, less what the village store gives, is a
    constant of the year; the flows then earn back their credited share.
    """
    village_takes = _village_draws(builder, events)
    needs: list[_Need] = []
    for number, event in enumerate(events):
        needs.extend(_event_needs(builder, year, number, event, village_takes[number], weight))
    return needs


def _event_needs(
    builder: _Builder,
    year: int,
    number: int,
    event: DemandEvent,
    taken: np.ndarray,
    weight: float,
) -> list[_Need]:
    """One event's needs, credits worked out for all its items at once (the build's inner loop)."""
    network = builder.network
    late = 1.0 - builder.late_fraction
    columns = np.arange(len(event.items))
    if builder.only_items is not None:
        columns = np.array(
            [c for c, item in enumerate(event.items) if item in builder.only_items], dtype=int
        )
    items, deadline = event.items[columns], event.deadline_h[columns]
    quantity, local = event.quantity[columns], taken[columns]
    penalty = network.township_priority[event.event.township] * network.item_shortfall_yuan[items]
    builder.fixed_cost(year, weight * float(penalty @ quantity))
    sources = builder.sources(event)
    village = next((arrival for _, tier, arrival in sources if tier == VILLAGE), None)
    if village is not None:
        village_credit = np.where(village <= deadline, 1.0, late)
        builder.fixed_cost(year, -weight * float((penalty * village_credit) @ local))
    for item in event.kit.items.tolist():  # what the kit has on scene in time, from the village on
        kit = _KitUnits()
        builder.kit_units[(year, number, item)] = kit
        at = np.flatnonzero(items == item)
        if village is not None and len(at) and village <= deadline[at[0]]:
            kit.constant = float(local[at[0]])
    # The village store is drawn above, as the simulation draws it, unless it is bought for.
    reach = [(d, a) for d, tier, a in sources if tier != VILLAGE or builder.purchasable[d]]
    depots = np.array([d for d, _ in reach], dtype=int)
    arrival = np.array([a for _, a in reach], dtype=float)
    credit = np.where(arrival[None, :] <= deadline[:, None], 1.0, late).tolist()
    # A depot serves what it holds; what the year brings it (purchases, stock on order)
    # only to events alarmed after the delivery.
    before = ~arrived(network, items, event.alarm_h)
    held = network.initial_stock[depots][:, items].T > 0
    brought = (network.arriving_stock[depots][:, items].T > 0) | builder.may_buy[items][:, depots]
    allowed = (held | (brought & ~before[:, None])).tolist()
    depot_list = depots.tolist()
    units = quantity - local
    # Supplier agreements of the event's county: one arrival per agreement, whatever its item.
    town = event.event.township
    agreement_arrival = event.agreement_arrival_h.tolist()
    needs = []
    for column in np.flatnonzero(units > 0).tolist():
        item = int(items[column])
        pools = [
            (depot, c)
            for depot, c, ok in zip(depot_list, credit[column], allowed[column], strict=True)
            if ok
        ]
        due = float(deadline[column])
        pools.extend(
            (-1 - a, 1.0 if agreement_arrival[a] <= due else late)
            for a in agreements_for(network, town, item).tolist()
        )
        need = _Need(number, item, float(units[column]), float(penalty[column]), pools)
        need.before_delivery = bool(before[column])
        needs.append(need)
    if builder.count_relief:
        relief_h = event.event.impact_h + builder.scenario.outcomes.first_relief_h
        early = frozenset(d for d, a in reach if a <= relief_h)
        early |= {-1 - a for a, at in enumerate(agreement_arrival) if at <= relief_h}
        village_early = village is not None and village <= relief_h
        _relief_needs(builder, (year, number), needs, items, local * village_early, early)
    return needs


def _relief_needs(
    builder: _Builder,
    key: tuple[int, int],
    needs: list[_Need],
    items: np.ndarray,
    village: np.ndarray,
    early: frozenset[int],
) -> None:
    """Units of each relief item there by the first-relief hour: the village's, then flows.

    ``village`` is what the village store gives each item when it is there by
    the hour (zeros otherwise); the needs of relief items keep every source
    and learn which of them arrive by the hour (``early``).
    """
    by_item = {need.item: need for need in needs}
    for column, item in enumerate(items.tolist()):
        if item in builder.relief_items:
            builder.relief_units[(*key, item)] = _KitUnits(float(village[column]))
            if item in by_item:
                by_item[item].relief, by_item[item].early = True, early


def _serve_from_ample(builder: _Builder, needs: list[_Need], member_of: list[list[int]]) -> None:
    """Serve demands in full from sources that always have enough, until none is left to find.

    A source whose stock covers every draw it could see (all of the year's
    demands on it for a consumable, each overlap set's for equipment; those
    before the year's delivery by the stock held alone) never binds, whatever
    is bought: a demand it can reach is served in full, at its credit at
    least. So that credit is earned as a constant, and only sources with a
    better credit keep a flow, for the difference. A flow dropped from a source
    that still binds lightens it, so that source is checked again, until no
    source turns ample.
    """
    network, shared = builder.network, builder.is_equipment
    load: dict[tuple[int, int], _Load] = defaultdict(_Load)
    for need in needs:
        for pool, _ in need.sources:
            load[(need.item, pool)].add(shared, need, pool, member_of, need.units)
    ample = {key for key in load if _covers(network, key, load[key])}
    pending = needs
    while pending:
        lightened = set()
        for need in pending:
            best = max((c for p, c in need.sources if (need.item, p) in ample), default=None)
            if best is None or need.relief:  # relief needs keep each flow: its hour counts
                continue
            for pool, credit in need.sources:
                if credit <= best and (need.item, pool) not in ample:
                    load[(need.item, pool)].add(shared, need, pool, member_of, -need.units)
                    lightened.add((need.item, pool))
            need.served_credit = best
            need.sources = [(p, c) for p, c in need.sources if c > best]
        turned = {key for key in lightened if _covers(network, key, load[key])}
        ample |= turned
        pending = [n for n in needs if any((n.item, p) in turned for p, _ in n.sources)]


@dataclass(slots=True)
class _Load:
    """The draws a source could see: per moment in all, and of events before the delivery."""

    year: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    before_delivery: dict[int, float] = field(default_factory=lambda: defaultdict(float))

    def add(
        self, shared: list[bool], need: _Need, pool: int, member_of: list[list[int]], units: float
    ) -> None:
        """Count (or, negative, take back) a demand's draw where it counts against the source."""
        for moment in _moments(shared, need, pool, member_of):
            self.year[moment] += units
            if need.before_delivery:
                self.before_delivery[moment] += units


def _moments(
    shared: list[bool], need: _Need, pool: int, member_of: list[list[int]]
) -> Collection[int]:
    """Where a draw counts against a source: equipment at a depot per overlap set, else the year."""
    if pool >= 0 and shared[need.item]:
        return member_of[need.event]
    return (-1,)


def _covers(network: CountyNetwork, key: tuple[int, int], load: _Load) -> bool:
    """Whether the source's own stock covers the largest draw it could see.

    A depot's: the year's stock (held and arriving) every draw, the stock held
    the draws of events before the delivery. Nothing bought counts.
    """
    item, pool = key
    most = max(load.year.values(), default=0.0)
    if pool < 0:
        return most <= float(network.agreement_quantity[-1 - pool])
    held = float(network.initial_stock[pool, item])
    year = held + float(network.arriving_stock[pool, item])
    return most <= year and max(load.before_delivery.values(), default=0.0) <= held


def _village_draws(builder: _Builder, events: list[DemandEvent]) -> list[np.ndarray]:
    """What each event takes from its own village store, first, as the simulation does.

    Village stores are stocked by the villages, not bought for (unless the
    scenario's purchase tiers include them), so what they give is no decision:
    taken in order of alarm, consumables used up, equipment back when the event
    ends; what the year brings them arrives at its delivery hour. Only the rest of
    the demand becomes flows in the model.
    """
    network = builder.network
    left = network.initial_stock.copy()
    delivered = np.zeros(network.n_items, dtype=bool)
    back: list[tuple[float, int, int, float]] = []
    takes = [np.zeros(len(event.items)) for event in events]
    for number in sorted(range(len(events)), key=lambda k: events[k].alarm_h):
        event = events[number]
        now = arrived(network, slice(None), event.alarm_h) & ~delivered
        left[:, now] += network.arriving_stock[:, now]
        delivered |= now
        for returned in [entry for entry in back if entry[0] <= event.alarm_h]:
            left[returned[1], returned[2]] += returned[3]
            back.remove(returned)
        depot = builder.village_of.get(event.event.township)
        if depot is None or builder.purchasable[depot]:
            continue
        take = np.minimum(event.quantity, left[depot, event.items])
        left[depot, event.items] -= take
        for column in np.flatnonzero((take > 0) & network.item_is_equipment[event.items]):
            back.append((event.end_h, depot, int(event.items[column]), float(take[column])))
        takes[number] = take
    return takes


def _stock_limits(
    builder: _Builder,
    year: int,
    events: list[DemandEvent],
    use: dict[tuple[int, int], dict[int, list[pulp.LpVariable]]],
    overlaps: _Overlaps,
    money: float,
    stock_rows: dict[tuple[int, int], list[str]],
) -> None:
    """Consumables: all of a year's draws share the stock. Equipment: events together share it.

    What the year brings a depot (its purchase, stock on order) counts only for
    events alarmed after it arrives (:func:`sim.network.arrived`): the draws of
    the events of a set that come before it have a row of their own, within the
    stock held at the year's start (``held_*``), beside the set's row within all
    the year's stock (``stock_*``, the one a purchase enters).
    """
    network = builder.network
    alarms = np.array([event.alarm_h for event in events])
    for (item, depot), by_event in use.items():
        held = float(network.initial_stock[depot, item])
        stock = held + float(network.arriving_stock[depot, item])
        bought = builder.purchase(item, depot, money) if builder.may_buy[item, depot] else None
        early: set[int] = set()
        if bought is not None or stock > held:
            early = set(np.flatnonzero(~arrived(network, item, alarms)).tolist())
        if network.item_is_equipment[item]:
            sets = _overlap_sets(overlaps, by_event, builder.options.reduce)
        else:
            sets = [(0, list(by_event))]
        before = [(n, [e for e in members if e in early]) for n, members in sets]
        before = [(n, members) for n, members in before if members]
        for number, members in sets:
            if early.issuperset(members):
                continue  # all before the delivery: the held row below is the tighter one
            terms = {flow: 1.0 for e in members for flow in by_event[e]}
            if bought is not None:
                need = sum(flow.upBound for flow in terms)
                builder.most_needed[(item, depot)] = max(
                    builder.most_needed.get((item, depot), 0.0), need - stock
                )
                terms[bought] = -1.0
            name = f"stock_{year}_{item}_{depot}_{number}"
            builder.at_most(terms, stock, name)
            stock_rows[(item, depot)].append(name)
        if builder.options.reduce:
            before = _outermost(before)
        for number, members in before:
            terms = {flow: 1.0 for e in members for flow in by_event[e]}
            builder.at_most(terms, held, f"held_{year}_{item}_{depot}_{number}")
        carried = builder.carried_per_unit is not None
        if bought is not None and carried and not network.item_is_equipment[item]:
            # the new units are drawn last: after the stock held and the stock on order
            flows = [flow for by in by_event.values() for flow in by]
            builder.draws.setdefault((item, depot), (stock, []))[1].append((year, flows))


def _overlap_sets(
    overlaps: _Overlaps, present: Collection[int], reduce: bool
) -> list[tuple[int, list[int]]]:
    """(group number, its events in ``present``) for the groups that limit something.

    Reduced, a set equal to or inside another set is left out: its row is
    implied by the larger one.
    """
    numbers = sorted({number for event in present for number in overlaps.member_of[event]})
    groups = overlaps.groups
    sets = [(number, [e for e in groups[number] if e in present]) for number in numbers]
    return _outermost(sets) if reduce else sets


def _outermost(sets: list[tuple[int, list[int]]]) -> list[tuple[int, list[int]]]:
    """The sets not equal to or inside another one, by number: theirs are the binding rows."""
    kept: list[tuple[int, list[int]]] = []
    seen: list[frozenset[int]] = []
    for number, members in sorted(sets, key=lambda entry: -len(entry[1])):
        here = frozenset(members)
        if not any(here <= other for other in seen):
            kept.append((number, members))
            seen.append(here)
    return sorted(kept)


def _rescue_work(
    builder: _Builder,
    year: int,
    events: list[DemandEvent],
    optimise_staffing: bool,
    weight: float,
) -> None:
    """Members give work in time, kit saves some; the rest is late (unmet if nobody came).

    Each event is worked by the teams the simulation sent, every member of each
    from when it arrived (a team serves one event at a time there), so the work
    done in time is ``min(work - kit, sum of members x efficiency x hours left)``.
    At today's team sizes the members' part is a number, the simulation's own;
    with team sizes to decide, one variable per event holds it, under one row
    per event. What the kit saves is :func:`sim.dispatch.kit_saving` written as
    rows: per item at most its units in time x saving and its share of the work.
    """
    network, scenario = builder.network, builder.scenario
    rate = scenario.penalties.rescue_work_yuan_per_person_hour
    credit = weight * rate * builder.late_fraction  # per person-hour done in time
    for number, event in enumerate(events):
        work = event.work_h
        hazard = scenario.hazards[event.event.hazard]
        priority = float(network.township_priority[event.event.township])
        candidates = network.candidates[event.event.hazard][event.event.township]
        if not len(event.teams):  # nobody came in the simulation: the work is unmet
            builder.fixed_cost(year, priority * weight * rate * work)
            continue
        builder.fixed_cost(year, priority * credit * work)
        deadline = event.event.impact_h + hazard.rescue_deadline_h
        hours_per_member: dict[pulp.LpVariable, float] = {}
        fixed_hours = 0.0
        for team, arrival in zip(event.teams.tolist(), event.team_arrival_h.tolist(), strict=True):
            hours = deadline - arrival
            if hours <= 0 or work <= 0:
                continue
            per_member = float(candidates.efficiency[candidates.position[team]] * hours)
            members = builder.members(team, optimise_staffing)
            if isinstance(members, pulp.LpVariable):
                hours_per_member[members] = hours_per_member.get(members, 0.0) + per_member
            else:
                fixed_hours += members * per_member
        if fixed_hours >= work:
            builder.fixed_cost(year, -priority * credit * work)
            continue
        saved = _kit_saved(builder, year, number, event, -priority * credit)
        if not hours_per_member:
            builder.fixed_cost(year, -priority * credit * fixed_hours)
            if saved:  # the kit does at most the work the members leave
                builder.at_most(saved, work - fixed_hours, f"kit_{year}_{number}")
            continue
        done = _variable(builder.problem, f"w_{year}_{number}", 0, work, False)
        builder.cost(year, done, -priority * credit)
        name = f"team_{year}_{number}"
        builder.at_most(
            {done: 1.0, **{m: -c for m, c in hours_per_member.items()}}, fixed_hours, name
        )
        for members, per_member in hours_per_member.items():
            builder.team_rows[builder.team_of[members]].append((name, per_member))
        if saved:
            builder.at_most({done: 1.0, **saved}, work, f"kit_{year}_{number}")


def _kit_saved(
    builder: _Builder, year: int, number: int, event: DemandEvent, value: float, name: str = "kit"
) -> dict[pulp.LpVariable, float]:
    """One variable per kit item: person-hours it saves, each worth ``value`` (a cost, <= 0)."""
    saved: dict[pulp.LpVariable, float] = {}
    kit = event.kit
    for item, saves, share in zip(
        kit.items.tolist(), kit.saves_h.tolist(), kit.share.tolist(), strict=True
    ):
        units = builder.kit_units.get((year, number, item))
        if units is None:
            continue
        cap = share * event.work_h
        if not units.flows:
            cap = min(cap, saves * units.constant)
        if cap <= 0:
            continue
        var = _variable(builder.problem, f"{name}_{year}_{number}_{item}", 0, cap, False)
        builder.cost(year, var, value)
        saved[var] = 1.0
        if units.flows:
            terms = {var: 1.0, **{flow: -saves for flow in units.flows}}
            builder.at_most(terms, saves * units.constant, f"{name}use_{year}_{number}_{item}")
    return saved


def _everyday(builder: _Builder, optimise_staffing: bool, weights: list[float]) -> None:
    """Everyday calls no duty crew is free for, expected by Erlang's loss formula.

    At today's sizes a constant of each year. With team sizes to decide, a team's
    duty crews are a whole number within what its members allow, and the expected
    calls missed, convex and falling in the crews, is the largest of its secants
    between whole crews: exact at the whole number the solver chooses.
    """
    network, everyday = builder.network, builder.scenario.everyday
    for team in calling_teams(network):
        cost = unanswered_cost(network, team)
        if cost <= 0:
            continue  # counted by the simulation, worth nothing in the objective
        members = builder.members(team, optimise_staffing)
        if not isinstance(members, pulp.LpVariable):
            missed = expected_unanswered(network, team, duty_crews(members, everyday))
            for year, weight in enumerate(weights):
                builder.fixed_cost(year, weight * cost * missed)
            continue
        crews = crew_range(network, team)
        crew = _variable(builder.problem, f"crews_{team}", crews.start, crews.stop - 1, True)
        builder.crews[team] = crew
        builder.at_most(
            {crew: float(everyday.crew_members), members: -everyday.on_duty_share},
            0.0,
            f"duty_{team}",
        )
        missed = [expected_unanswered(network, team, c) for c in crews]
        expected = _variable(builder.problem, f"missed_{team}", missed[-1], missed[0], False)
        for j, (here, there) in enumerate(itertools.pairwise(missed)):
            slope, at = there - here, crews.start + j
            builder.at_most({expected: -1.0, crew: slope}, slope * at - here, f"missed_{team}_{j}")
        builder.objective[expected] = cost
        for year, weight in enumerate(weights):
            builder.year_terms[year][expected] = weight * cost


def _relief_rows(builder: _Builder, year: int, events: list[DemandEvent], weight: float) -> None:
    """People without relief at the first-relief hour: per event, its most short relief item.

    :func:`sim.metrics.people_without_relief` (``any``) written as rows: an
    event's people times, for each relief item it asks for, the share of it
    not there by the hour; the event's figure is the largest of them.
    """
    for number, event in enumerate(events):
        people = float(event.event.severity_people)
        columns = [c for c, item in enumerate(event.items.tolist()) if item in builder.relief_items]
        if people <= 0 or not columns:
            continue
        lacking = _variable(builder.problem, f"lack_{year}_{number}", 0, people, False)
        builder.relief.terms[lacking] = weight
        for column in columns:
            item, quantity = int(event.items[column]), float(event.quantity[column])
            there = builder.relief_units[(year, number, item)]
            terms = {lacking: -1.0, **{flow: -people / quantity for flow in there.flows}}
            bound = -people * (1.0 - there.constant / quantity)
            builder.at_most(terms, bound, f"relief_{year}_{number}_{item}")


def _lives(builder: _Builder, year: int, events: list[DemandEvent], weight: float) -> None:
    """Lives lost to delay per event, lower as kit on scene shortens the work (rule "Lives").

    At today's team sizes the simulation's rule (:func:`sim.dispatch.trapped_lost`,
    the work finishing at :func:`sim.dispatch.finish_time`) gives the loss with no
    saving and with the most the kit could save; the model takes the secant
    between them. It is exact at both ends; the loss is concave in the saving,
    so between them the secant is below it (optimistic; the simulation judges).
    """
    for number, event in enumerate(events):
        if event.event.trapped == 0:
            continue
        base = _lost_with_saving(builder.network, event, 0.0)
        builder.lives.constant += weight * base
        most = _most_kit_saving(event) if len(event.teams) else 0.0
        slope = (base - _lost_with_saving(builder.network, event, most)) / most if most else 0.0
        if slope > 0:
            for var in _kit_saved(builder, year, number, event, 0.0, "life"):
                builder.lives.terms[var] = -weight * slope


def _lost_with_saving(network: CountyNetwork, event: DemandEvent, saved: float) -> float:
    """Lives the event loses when the kit saves ``saved`` person-hours, at today's team sizes."""
    trapped, impact = event.event.trapped, event.event.impact_h
    if not len(event.teams):
        return float(trapped)  # nobody came: as the simulation counts it
    hazard = network.scenario.hazards[event.event.hazard]
    candidates = network.candidates[event.event.hazard][event.event.township]
    arrivals = event.team_arrival_h.tolist()
    rates = [
        float(network.team_members[t] * candidates.efficiency[candidates.position[t]])
        for t in event.teams.tolist()
    ]
    done = finish_time(arrivals, rates, event.work_h - saved)
    return trapped_lost(hazard, trapped, impact, min(arrivals), done)


def _most_kit_saving(event: DemandEvent) -> float:
    """The most rescue work the event's kit could save: all it asks for there in time."""
    kit, demanded = event.kit, dict(zip(event.items.tolist(), event.quantity.tolist(), strict=True))
    units = np.array([demanded.get(item, 0.0) for item in kit.items.tolist()])
    return float(kit_saving(kit, units, event.work_h).sum()) if len(units) else 0.0


def solve(
    saa: SaaProblem,
    solver: str = "highs",
    time_limit_s: float = 60.0,
    mip_gap: float = 1e-4,
    rounding: bool = True,
    threads: int | None = None,
) -> SolveReport:
    """Solve with HiGHS (or CBC); report status, gap and whether the optimum was proved.

    With HiGHS and ``rounding``, the LP relaxation is solved first and rounded
    to whole units by diving; that plan is kept only when it is within
    ``mip_gap`` of the LP bound (so within the gap of the optimum, proved),
    and branch and bound runs otherwise, from that plan. ``threads`` caps HiGHS's
    threads (HiGHS's default is half the machine's cores). A depot the plan
    opens is closed again when the plan without it is as good within the gap
    (:func:`_close_useless_depots`). The problem's aims (``SaaProblem.aims``) are
    minimised first, one after another (:func:`_reach_aims`).
    """

    def once() -> SolveReport:
        return _solve_once(saa, solver, time_limit_s, mip_gap, rounding, threads)

    started = time.perf_counter()
    if saa.carried and saa.credit is None:
        saa.credit = _find_credit(saa, time_limit_s, threads)
    _credit_carried(saa)
    priced = time.perf_counter() - started
    stages, spent = _reach_aims(saa, once) if saa.aims else ((), 0.0)
    report = once()
    report = replace(report, stages=stages, solve_s=report.solve_s + spent + priced)
    if report.found_plan and saa.open_switches:
        report = _close_useless_depots(saa, report, once, mip_gap)
    if report.found_plan and saa.credit is not None and saa.credit.worth:
        carried = float(pulp.value(saa.carried_expression()))
        report = replace(report, carried_worth=saa.credit.worth, carried_yuan=carried)
    return report


BUDGET_ROWS = ("joint_budget", "procurement_budget")  # the money purchases are paid from


def _find_credit(saa: SaaProblem, time_limit_s: float, threads: int | None) -> CarriedCredit:
    """The credit from the LP relaxation: the budget's dual, and the shares of new units left.

    No credit when the money does not bind (what is left buys nothing the sample
    needs), or when the relaxation does not solve.
    """
    found = (saa.problem.get_constraint_by_name(name) for name in BUDGET_ROWS)
    row = next((constraint for constraint in found if constraint is not None), None)
    if row is None:
        return NO_CREDIT
    saa.problem.setObjective(saa.base_objective)
    engine = HighsWithOffset(msg=False, mip=False, timeLimit=time_limit_s, threads=threads)
    if threads is not None:
        highspy.Highs.resetGlobalScheduler(True)  # as in _solve_once
    with _native_stdout_silenced():
        saa.problem.solve(engine)
    saa.lp_basis = engine.basis
    if saa.problem.status != pulp.LpStatusOptimal or row.pi is None:
        return NO_CREDIT
    worth = max(0.0, -float(row.pi))  # a binding upper row's dual is negative when minimising
    return CarriedCredit(worth, _left_shares(saa)) if worth > 0 else NO_CREDIT


def _left_shares(saa: SaaProblem) -> dict[tuple[int, int], float]:
    """Per consumable place, the expected share of the new units its years' draws leave."""
    left = {}
    weights = saa.year_weights
    for key, (stock, by_year) in saa.draws.items():
        bought = saa.purchases[key].value() or 0.0
        if bought <= 1e-9:
            continue  # none bought: draws stay within the stock held, every new unit is left
        drawn = sum(
            weights[year] * max(0.0, sum(flow.value() or 0.0 for flow in flows) - stock)
            for year, flows in by_year
        )
        left[key] = min(1.0, max(0.0, 1.0 - drawn / bought))
    return left


def _credit_carried(saa: SaaProblem) -> None:
    """Set the objective: the base objective less the worth of what the purchases leave."""
    if saa.base_objective is None:
        return
    if saa.credit is None or not saa.credit.worth:
        saa.problem.setObjective(saa.base_objective)
        return
    saa.problem.setObjective(saa.base_objective - saa.credit.worth * saa.carried_expression())


def _reach_aims(saa: SaaProblem, once) -> tuple[tuple[tuple[str, float], ...], float]:
    """Minimise each aim in turn, then hold it within ``stage_slack`` of what it reached.

    A lexicographic objective: a later aim (and the objective after them) may
    give back at most ``stage_slack`` of an earlier one's value (1e-9 at the
    least, for the solver's tolerances). Returns (aim, value reached) and the
    seconds spent. The problem's objective is put back afterwards.
    """
    problem, objective = saa.problem, saa.problem.objective
    reached, spent = [], 0.0
    for name, aim in saa.aims:
        problem.setObjective(aim)
        report = once()
        spent += report.solve_s
        if not report.found_plan:
            raise SolveFailedError(f"no plan minimising {name}: {report.status}, {report.solution}")
        value = float(pulp.value(aim))
        reached.append((name, value))
        room = max(saa.stage_slack * abs(value), 1e-9)
        held = problem.get_constraint_by_name(f"aim_{name}")
        if held is not None:  # solved again: the new hold replaces the old one
            held.changeRHS(value + room)
            continue
        problem.addConstraint(
            pulp.LpConstraint(aim, pulp.LpConstraintLE, f"aim_{name}", value + room)
        )
    problem.setObjective(objective)
    return tuple(reached), spent


def _close_useless_depots(saa: SaaProblem, report: SolveReport, once, mip_gap: float):
    """Close each opened depot whose closing costs the objective no more than the gap.

    Where money has no use left in the sampled years (the rules' floors bought
    what the years do not need), paying a depot's upkeep costs the objective
    nothing and the solver may open it for no gain; a depot is opened only
    where closing it would cost more than the solver could tell apart.
    """
    for switch in saa.open_switches:
        if (switch.value() or 0.0) < 0.5:
            continue
        kept = {var: var.varValue for var in saa.problem.variables()}
        switch.upBound = 0
        trial = once()
        spent = report.solve_s + trial.solve_s
        tolerance = max(mip_gap, 1e-9) * max(abs(report.objective), 1.0)
        if trial.found_plan and trial.objective <= report.objective + tolerance:
            report = replace(trial, solve_s=spent)
            continue
        switch.upBound = 1
        for var, value in kept.items():
            var.varValue = value
        report = replace(report, solve_s=spent)
    return report


def _solve_once(
    saa: SaaProblem,
    solver: str,
    time_limit_s: float,
    mip_gap: float,
    rounding: bool,
    threads: int | None,
) -> SolveReport:
    """One solve of the problem as it stands."""
    problem = saa.problem
    started = time.perf_counter()
    if solver == "highs":
        engine = HighsWithOffset(msg=False, timeLimit=time_limit_s, gapRel=mip_gap, threads=threads)
        engine.rounding = rounding
        engine.start_basis = saa.lp_basis if rounding else None
    elif solver == "cbc":
        with warnings.catch_warnings():
            # PuLP 3.3 ships CBC as PULP_CBC_CMD and warns that 4.0 will not; we pin <4.
            warnings.simplefilter("ignore", DeprecationWarning)
            engine = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s, gapRel=mip_gap)
    else:
        raise ValueError(f"unknown solver {solver!r}: use 'highs' or 'cbc'")
    if solver == "highs" and threads is not None:
        # HiGHS keeps one thread pool per process and refuses to run when a solve asks
        # for another size than an earlier solve started it with; start it afresh.
        highspy.Highs.resetGlobalScheduler(True)
    with _native_stdout_silenced():
        problem.solve(engine)
    elapsed = time.perf_counter() - started
    if problem.status == pulp.LpStatusInfeasible and saa.rule_rows:
        raise InfeasibleRequestError(
            "the planning rules (items, depots and [rules] of the scenario) cannot all be met "
            "within the budget"
        )
    if problem.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        objective = float(pulp.value(problem.objective))
        lp_bound = getattr(engine, "lp_bound", None)
        bound, gap = _bound_and_gap(problem, solver, objective, mip_gap, lp_bound)
    else:
        # Stopped (or failed) before any solution: the variables hold no plan, so
        # neither an objective nor a bound or gap is read from them.
        objective = bound = gap = float("nan")
    solution = pulp.LpSolution[problem.sol_status]
    optimal = problem.sol_status == pulp.LpSolutionOptimal
    # CBC says "optimal" only within the gap asked for: its word, as it reports no bound.
    proved = optimal and (solver == "cbc" or gap <= max(mip_gap, 1e-9) * 1.0001)
    status = _status(problem, proved)
    variables = problem.variables()
    integers = sum(1 for v in variables if v.cat == pulp.LpInteger)
    return SolveReport(
        solver=solver,
        status=status,
        solution=solution,
        optimal=bool(proved),
        objective=objective,
        best_bound=bound,
        gap=gap,
        build_s=saa.build_s,
        solve_s=elapsed,
        variables=len(variables),
        constraints=problem.numConstraints(),
        integers=integers,
        method=_method(solver, integers, engine),
    )


def _status(problem: pulp.LpProblem, proved: bool) -> str:
    """The run's status in words that never contradict ``optimal``.

    PuLP calls a run "Optimal" that stopped at its time limit with a plan; here that
    is "Not proved optimal", and "Optimal" means proved within the gap asked for.
    """
    if proved:
        return "Optimal"
    if problem.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return "Not proved optimal"
    return pulp.LpStatus[problem.status]


def _method(solver: str, integers: int, engine) -> str:
    if not integers:
        return "LP"
    return "LP rounding" if getattr(engine, "rounded", False) else "branch and bound"


@contextlib.contextmanager
def _native_stdout_silenced():
    """HiGHS prints a banner from C++ when created, whatever ``msg`` says; keep stdout clean."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real file descriptor (embedded interpreters): nothing to silence
        yield
        return
    with open(os.devnull, "w") as sink:
        os.dup2(sink.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


ABSOLUTE_GAP = 1e-6  # penalty yuan/year: a bound this close is the objective (float noise)


def _bound_and_gap(
    problem: pulp.LpProblem,
    solver: str,
    objective: float,
    mip_gap: float,
    lp_bound: float | None = None,
) -> tuple[float, float]:
    """The proven lower bound and relative gap, on the full objective.

    HiGHS's bound after branch and bound, or the LP relaxation's when the
    plan is the rounded relaxation (the larger of the two if both exist).
    Branch and bound's bound counts only when HiGHS values its solution at no
    less than the solution's own objective: below it, HiGHS pruned against a
    value no plan has, and its bound proves nothing.
    """
    if solver == "highs" and hasattr(problem, "solverModel"):
        highs = problem.solverModel
        info = highs.getInfo()
        bound = float(info.mip_dual_bound)
        branched = np.isfinite(bound) and info.mip_node_count >= 0
        if not branched and lp_bound is None:
            # A linear programme's optimum is its own bound; a MIP without a bound has none.
            return (float("nan"), float("nan")) if problem.isMIP() else (objective, 0.0)
        trusted = branched and not valued_below_itself(highs)
        candidates = [b for b in (bound if trusted else None, lp_bound) if b is not None]
        if not candidates:
            return float("nan"), float("nan")
        bound = max(candidates)
        short = objective - bound
        gap = 0.0 if short <= ABSOLUTE_GAP else short / max(abs(objective), 1e-9)
        return bound, float(gap)
    if problem.sol_status == pulp.LpSolutionOptimal and not problem.isMIP():
        return objective, 0.0  # a linear programme's optimum is its own bound
    # CBC through PuLP reports no bound: none is made up from the gap asked for.
    return float("nan"), float("nan")


def extract_plan(saa: SaaProblem, network: CountyNetwork, plan_id: str = "optimised") -> Plan:
    """The first-stage decisions as a Plan (whole units, whole members)."""
    purchases = []
    for (item, depot), var in sorted(saa.purchases.items()):
        quantity = round(var.value() or 0.0)
        if quantity > 0:
            purchases.append(Purchase(network.item_ids[item], network.depot_ids[depot], quantity))
    staffing = [
        Staffing(network.team_ids[team], round(var.value()))
        for team, var in sorted(saa.staffing.items())
        if var.value() is not None
    ]
    return Plan(plan_id, tuple(purchases), tuple(staffing))
