"""Frozen, validated types for a county scenario.

Every field carries its unit in its name. Objects are built once by
:func:`scenarios.load` and never re-checked downstream.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
# Counts of people, units, villages: a billion is past any county, and far below where
# float sums lose whole units (beyond 2**53 a stock of 1e17 served twice its demand).
MAX_COUNT = 1_000_000_000
Count = Annotated[int, Field(ge=0, le=MAX_COUNT, strict=False)]
Seed = Annotated[int, Field(ge=0, lt=2**63, strict=False)]
# Ranges past which a figure is a typo, not a county: each would hang a run or overflow.
EventsPerYear = Annotated[float, Field(ge=0.0, le=100_000.0)]  # 1e9 a year filled the memory
People = Annotated[float, Field(ge=0.0, le=MAX_COUNT)]  # 1e300 gave a headline of 2e303
# People one event affects: ten million is more than live in any Chinese county.
Affected = Annotated[float, Field(ge=0.0, le=10_000_000.0)]
Spread = Annotated[float, Field(ge=0.0, le=5.0)]  # a lognormal sigma; 1000 overflowed
Hours = Annotated[float, Field(gt=0.0, le=8784.0)]  # at most a (leap) year
Days = Annotated[float, Field(gt=0.0, le=3660.0)]  # at most ten years; 3,650,000 hung
Delay = Annotated[float, Field(ge=0.0, le=8784.0)]  # a wait that may be none: a year at most
# A trip, a leg inside a township or a depot's issue: a week is further than a county reaches.
TravelHours = Annotated[float, Field(ge=0.0, le=168.0)]
# Kilometres on the county's map: 20,000 km (half the earth's girth) takes any projection;
# a coordinate of 1e300 made every distance infinite.
Coordinate = Annotated[float, Field(ge=-20_000.0, le=20_000.0)]
Radius = Annotated[float, Field(ge=0.0, le=1000.0)]  # a county is under 200 km across
# A negative-binomial shape: below 0.1 one year in thousands holds nearly every event (and a
# run's size cannot be foreseen); above a million the count is Poisson anyway.
Dispersion = Annotated[float, Field(ge=0.1, le=1e6)]
MonthWeight = Annotated[float, Field(ge=0.0, le=1e6)]  # only the months' ratios count
# Members of one team: a county's whole militia is a few thousand.
TeamSize = Annotated[int, Field(ge=1, le=100_000)]
# From the money's approval to delivery: a year at most (later is the next year's money).
LeadDays = Annotated[float, Field(ge=0.0, le=366.0)]
# A name is shown on maps, tables and sheets: a few words, not a page.
Name = Annotated[str, Field(max_length=80)]
Note = Annotated[str, Field(max_length=2000)]  # where a figure came from

# Budgets come from documents that say 280万元 or 2.8M: amounts of yuan are read as written
# there (a number stays a number), and anything else is refused showing the forms read.
MONEY_UNITS = {"": Decimal(1), "万": Decimal(10_000), "亿": Decimal(100_000_000)}
MONEY_UNITS["M"] = Decimal(1_000_000)
MONEY_FORMS = "2800000, 2,800,000, 2800000元, 280万, 280万元, 2.8M or 1.5亿"
_AMOUNT = re.compile(r"(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?)\s*(万|亿|M)?\s*元?")


def _yuan(value: Any) -> Any:
    """An amount of yuan written as text (280万, 2.8M, 2,800,000元) as a number."""
    if not isinstance(value, str):
        return value
    match = _AMOUNT.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"not an amount of yuan: write it as {MONEY_FORMS}")
    # Decimal, so that 2.8M is 2,800,000 and not 2,799,999.9999999995
    amount = Decimal(match[1].replace(",", "")) * MONEY_UNITS[match[2] or ""]
    return float(amount)


Yuan = BeforeValidator(_yuan)
# A budget: 10 billion yuan (100亿) is more than a large county spends in a year on
# everything; an infinite one reached the solver.
MAX_BUDGET_YUAN = 1e10
Money = Annotated[float, Yuan, Field(ge=0.0, le=MAX_BUDGET_YUAN)]  # a budget, in yuan
# A unit's price: a billion yuan is past anything a county stocks (a helicopter is ~50 million).
Price = Annotated[float, Field(gt=0.0, le=1e9)]

Terrain = Literal["plain", "hill", "mountain"]
ItemCategory = Literal[
    "flood", "forest_fire", "fire_rescue", "living", "medical", "general_equipment"
]
ItemKind = Literal["consumable", "equipment"]
DepotTier = Literal["county", "township", "village"]
TeamTier = Literal["village", "township", "fire_station", "county", "social"]
Skill = Literal["water_rescue", "forest_fire", "landslide_search", "general"]
TeamStatus = Literal["full_time", "part_time"]
TeamStage = Literal["village", "township", "fire_station", "neighbour", "county", "social"]
SupplyStage = Literal["village", "township", "county", "neighbour", "agreement"]
Trigger = Literal["rain", "independent"]
ExposureField = Literal[
    "river_exposure", "forest_area_ha", "hazard_points", "population", "area_km2"
]
WorkDistribution = Literal["lognormal", "exponential", "fixed"]

ITEM_CATEGORIES: tuple[str, ...] = ItemCategory.__args__
TERRAINS: tuple[str, ...] = Terrain.__args__


def _takes_truth_values(annotation: Any) -> bool:
    """Whether a field's type admits true/false (``bool``, or a union with it)."""
    return annotation is bool or bool in get_args(annotation)


class Frozen(BaseModel):
    """Base for every scenario type: immutable, unknown keys are errors, true is not 1."""

    # No infinite or NaN number anywhere: each would pass every range and poison the results.
    model_config = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=True, allow_inf_nan=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_truth_value_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        """Refuse ``budget = true``: pydantic would read it as 1 yuan."""
        field = cls.model_fields.get(info.field_name or "")
        if isinstance(value, bool) and field and not _takes_truth_values(field.annotation):
            raise ValueError("expected a number or a word, not true/false")
        return value


class Township(Frozen):
    """One township (乡镇) with what makes it exposed to each hazard."""

    township_id: Identifier
    name_zh: Name
    name_en: Name = ""
    x_km: Coordinate
    y_km: Coordinate
    terrain: Terrain
    population: Count
    # the largest county in China (Ruoqiang) is about 200,000 km2
    area_km2: Annotated[float, Field(gt=0.0, le=300_000.0)]
    villages: Count
    river_exposure: Probability
    forest_area_ha: Annotated[float, Field(ge=0.0, le=30_000_000.0)]  # 300,000 km2 of forest
    hazard_points: Count
    is_county_seat: bool = False
    # The county (县/区) whose bureau the township answers to. A county-tier depot, a county
    # or social team and a supplier agreement serve the townships of their own county only
    # (sim.dispatch, Jurisdiction); empty in every row: the scenario is one county.
    county: Name = ""
    # how much a shortfall here weighs against one elsewhere (vulnerable townships more)
    priority_weight: Annotated[float, Field(gt=0.0, le=10.0)] = 1.0
    # part-time members the township's teams can recruit in all (None: no limit)
    max_part_time_members: Annotated[int, Field(ge=1, le=MAX_COUNT)] | None = None
    source: Note = ""


class Item(Frozen):
    """An item type that can be stockpiled; equipment returns after use, consumables do not."""

    item_id: Identifier
    name_zh: Name
    name_en: Name
    category: ItemCategory
    unit: Name
    unit_price_yuan: Price
    kind: ItemKind
    loss_rate: Probability = 0.0
    # a shortfall's weight against the unit's price: 1000 already makes a sandbag a boat
    criticality_weight: Annotated[float, Field(gt=0.0, le=1000.0)]
    # How long a unit lasts (scenarios/ledger.py): equipment its service life, a consumable
    # (water, food, medicines, sandbags that degrade) its shelf life; None: as long as needed
    service_life_years: Annotated[float, Field(gt=0.0, le=100.0)] | None = None
    shelf_life_years: Annotated[float, Field(gt=0.0, le=100.0)] | None = None
    upkeep_yuan_per_year: Annotated[float, Field(ge=0.0, le=1e7)] = 0.0  # a unit held, a year
    # equipment: the chance a unit fails in a year when new, and what each year of age adds
    failure_rate_per_year: Probability = 0.0
    failure_rate_growth: Probability = 0.0
    # Planning rules of the item (scenarios/rules.py applies them to a plan):
    operator_skill: Identifier | None = None  # bought only where a team that operates it is based
    hazardous: bool = False  # bought only for depots licensed to hold hazardous goods
    volume_m3: Annotated[float, Field(ge=0.0, le=1000.0)] = 0.0  # storage room per unit
    lot_size: Annotated[int, Field(ge=1, le=MAX_COUNT)] = 1  # bought in whole lots (a pallet)
    min_order: Count = 0  # county-wide: none, or at least this many (the supplier's minimum)
    min_purchase: Count = 0  # county-wide units the plan must buy this year
    max_purchase: Count | None = None  # county-wide units the plan may buy at most
    # days from the money's approval to delivery ([delivery]); None: the scenario's default
    lead_time_days: LeadDays | None = None
    source: Note = ""

    @model_validator(mode="after")
    def _purchase_range(self) -> Item:
        if self.max_purchase is not None and self.min_purchase > self.max_purchase:
            raise ValueError(
                f"min_purchase {self.min_purchase} is above max_purchase {self.max_purchase}"
            )
        return self

    @model_validator(mode="after")
    def _life_of_its_kind(self) -> Item:
        equipment = self.kind == "equipment"
        if equipment and self.shelf_life_years is not None:
            raise ValueError("equipment has a service_life_years, not a shelf_life_years")
        if not equipment and self.service_life_years is not None:
            raise ValueError("a consumable has a shelf_life_years, not a service_life_years")
        if not equipment and (self.failure_rate_per_year or self.failure_rate_growth):
            raise ValueError("only equipment fails with age (failure_rate_per_year, _growth)")
        return self

    @property
    def life_years(self) -> float | None:
        """How long a unit lasts from its purchase: service or shelf life (None: no limit)."""
        return self.service_life_years if self.kind == "equipment" else self.shelf_life_years

    @property
    def shortage_penalty_yuan(self) -> float:
        """Penalty for one unit not delivered in time: replacement value x criticality."""
        return self.unit_price_yuan * self.criticality_weight


class Depot(Frozen):
    """A stockpile: the county depot(s), a township depot, or a township's village stock."""

    depot_id: Identifier
    tier: DepotTier
    township_id: Identifier
    name_zh: Name = ""
    capacity_m3: Annotated[float, Field(gt=0.0, le=1e7)] | None = None  # None: room is no limit
    stores_hazardous: bool = False  # licensed for hazardous goods (fuel)
    # 年管理费: keeper, rent, power and insurance of a depot in use; one that holds nothing today
    # starts costing it (from the purchase money) when a plan first stocks it
    upkeep_yuan_per_year: Annotated[float, Field(ge=0.0, le=1e8)] = 0.0


class StockLine(Frozen):
    """Current stock of one item in one depot, in the item's unit, and when it was bought."""

    depot_id: Identifier
    item_id: Identifier
    quantity: Count
    purchase_year: Annotated[int, Field(ge=1950, le=2200)] | None = None  # the ledger's (台账)
    # bought with the plan year's money and not yet delivered (在途): it reaches the depot
    # when the year's purchases do ([delivery]); counted as stock by the planning rules
    on_order: bool = False


class Team(Frozen):
    """A rescue team: where it is based, how many people, what it can do, how fast it moves."""

    team_id: Identifier
    name_zh: Name
    name_en: Name = ""
    tier: TeamTier
    category: Name = ""
    base_township: Identifier
    members: TeamSize
    min_members: TeamSize
    max_members: TeamSize
    skills: tuple[Skill, ...] = Field(min_length=1)
    # a team not on its way within a week is not a response team
    mobilisation_median_min: Annotated[float, Field(gt=0.0, le=7 * 24 * 60.0)]
    mobilisation_sigma: Spread = 0.0
    # a member's yearly cost: ten million yuan is a hundred times a full-time firefighter's
    cost_per_member_yuan: Annotated[float, Field(ge=0.0, le=1e7)]
    operates: tuple[Identifier, ...] = ()  # equipment it is trained on (items' operator_skill)
    status: TeamStatus = "part_time"  # full-time members are on the payroll all year
    # share of the roster that turns out when called: the rate of a team on scene is
    # members x turnout x skill efficiency, in both engines (sim.network candidates)
    turnout: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    # everyday calls a year its duty crews answer (structural fires, traffic and other
    # rescue: what full-time stations exist for), counted by [everyday]
    everyday_calls_per_year: Annotated[float, Field(ge=0.0, le=100_000.0)] = 0.0
    source: Note = ""

    @field_validator("skills", "operates", mode="before")
    @classmethod
    def _split_skills(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(";") if part.strip())
        return value


class Agreement(Frozen):
    """A supplier agreement (协议储备): up to max_quantity per year, after a lead time."""

    agreement_id: Identifier
    supplier_zh: Name
    township_id: Identifier
    item_id: Identifier
    max_quantity: Count
    lead_time_h: Hours


class ReserveNorm(Frozen):
    """A reserve norm (储备标准) for one item: units the county must be able to put out."""

    item_id: Identifier
    required_units: Count  # county-wide, government stock and agreements together
    physical_share: Probability = 0.5  # of it, at least this share in the county's own depots
    source: Note = ""


class Capability(Frozen):
    """What one unit of an item on scene in time saves of a hazard's rescue work (装备效能).

    A boat ferries people a crew would otherwise wade to, a hydraulic set cuts
    through what hands would dig, a drone finds who a line search would look
    for. The unit counts only where a team sent to the event operates the item
    (its ``operator_skill``; an item without one needs only a team on scene),
    and an item saves at most ``max_share`` of the event's work: people still
    do the rest.
    """

    item_id: Identifier
    hazard: Identifier
    saves_person_hours: Annotated[float, Field(gt=0.0, le=100_000.0)]
    max_share: Annotated[float, Field(gt=0.0, lt=1.0)]
    source: Note = ""


class DemandProfile(Frozen):
    """Item demand of one hazard: per affected person, per event and per hour of duration."""

    hazard: Identifier
    item_id: Identifier
    # Units an event asks for: past these no county's event asks, and the counts lose whole
    # units (a per_event of 1e19 was served twice over)
    per_person: Annotated[float, Field(ge=0.0, le=1000.0)] = 0.0
    per_event: Annotated[float, Field(ge=0.0, le=10_000_000.0)] = 0.0
    per_hour: Annotated[float, Field(ge=0.0, le=1_000_000.0)] = 0.0
    deadline_h: Hours


def _some_season(value: tuple[float, ...]) -> tuple[float, ...]:
    if sum(value) <= 0:
        raise ValueError("at least one month must have a positive weight")
    return value


class Hazard(Frozen):
    """One hazard type: how often, where, when, how big, and what it demands."""

    hazard_id: Identifier
    name_zh: Name
    name_en: Name = ""
    trigger: Trigger
    annual_rate: EventsPerYear
    dispersion: Dispersion | None = None
    exposure: ExposureField
    month_weights: tuple[MonthWeight, ...] = Field(min_length=12, max_length=12)
    severity_median_people: Affected
    severity_sigma: Spread
    severity_zero_probability: Probability = 0.0
    duration_median_h: Hours
    duration_sigma: Spread = 0.0
    alarm_delay_h: Delay = 0.0
    warning_lead_h: Delay = 0.0
    evacuate_fraction: Probability = 0.0
    rescue_skill: Skill
    # ten million person-hours is a thousand people working for a year and more
    rescue_person_hours_base: Annotated[float, Field(ge=0.0, le=10_000_000.0)]
    rescue_person_hours_per_person: Annotated[float, Field(ge=0.0, le=1000.0)] = 0.0
    rescue_work_distribution: WorkDistribution = "lognormal"
    rescue_work_sigma: Spread = 0.0
    rescue_deadline_h: Hours
    max_teams: Annotated[int, Field(ge=1, le=1000)] = 4
    road_cut_probability: Probability = 0.0
    road_cut_duration_h: Delay = 0.0
    # e-fold each hour late is already an explosion; 1e300 made the demand infinite
    growth_per_hour_late: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    growth_grace_h: Delay = 0.0
    trapped_per_person: Probability = 0.0  # no more people trapped than affected
    trap_probability: Probability = 1.0  # chance an event traps anyone (most bury nobody)
    survival_half_life_h: Hours = 24.0
    source: Note = ""

    _season = field_validator("month_weights")(_some_season)


class RainEpisodes(Frozen):
    """Rainstorm episodes: each hits a cluster of neighbouring townships at once."""

    annual_rate: EventsPerYear
    dispersion: Dispersion | None = None
    month_weights: tuple[MonthWeight, ...] = Field(min_length=12, max_length=12)
    radius_km: Radius
    source: Note = ""

    _season = field_validator("month_weights")(_some_season)


class Travel(Frozen):
    """How travel times are made: from coordinates and terrain, or an explicit matrix."""

    # slower than walking is not a road; faster than a helicopter is a typo
    speed_kmh: dict[Terrain, Annotated[float, Field(ge=1.0, le=300.0)]]
    # the road's length over the straight line: mountain switchbacks reach 2 or 3, not 10
    road_factor: Annotated[float, Field(ge=1.0, le=10.0)] = 1.3
    local_travel_h: dict[Terrain, TravelHours]
    road_cut_slowdown: Annotated[float, Field(ge=1.0, le=100.0)] = 2.0
    matrix_h: tuple[tuple[TravelHours, ...], ...] | None = None

    @field_validator("speed_kmh", "local_travel_h")
    @classmethod
    def _every_terrain(cls, value: dict[str, float]) -> dict[str, float]:
        missing = [t for t in TERRAINS if t not in value]
        if missing:
            raise ValueError(f"missing terrain {missing[0]!r}")
        return value


class Dispatch(Frozen):
    """Escalation order for teams and supplies, and what happens when no team is free."""

    team_order: tuple[TeamStage, ...] = Field(min_length=1)
    supply_order: tuple[SupplyStage, ...] = Field(min_length=1)
    neighbour_radius_km: Radius
    when_no_team: Literal["queue", "lost"] = "queue"
    issue_delay_h: dict[DepotTier, TravelHours]
    # a rescuer moves a few people an hour; a thousand is a typo
    evacuation_people_per_member_hour: Annotated[float, Field(ge=0.0, le=1000.0)] = 0.0
    general_skill_efficiency: Probability = 0.5

    @field_validator("team_order", "supply_order")
    @classmethod
    def _no_repeats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a stage is listed twice")
        return value


class Penalties(Frozen):
    """How shortfalls are weighed into the headline: a weighted shortfall in yuan-equivalent."""

    late_fraction: Probability
    # call-out pay is tens of yuan an hour; a million is a typo
    rescue_work_yuan_per_person_hour: Annotated[float, Yuan, Field(ge=0.0, le=1e6)]
    source: Note = ""


class Procurement(Frozen):
    """How the county buys: which depot tiers receive purchases, last year's rule of thumb."""

    depot_tiers: tuple[DepotTier, ...] = Field(default=("county", "township"), min_length=1)
    last_year_category_shares: dict[ItemCategory, Probability] = Field(min_length=1)
    staffing_budget_yuan: Money | None = None
    source: Note = ""

    @field_validator("last_year_category_shares")
    @classmethod
    def _shares_sum_to_one(cls, value: dict[str, float]) -> dict[str, float]:
        total = sum(value.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"shares must sum to 1, they sum to {total:g}")
        return value


# The simulated year's calendar: months of a common year, as the hazards' seasons use.
MONTH_DAYS: tuple[int, ...] = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def day_of_year(month: int, day: int) -> int:
    """The day of a common year (1 January is 1) of a month and a day of it."""
    if not 1 <= month <= 12 or not 1 <= day <= MONTH_DAYS[month - 1]:
        raise ValueError(f"{month:02d}-{day:02d} is not a day of a common (365-day) year")
    return sum(MONTH_DAYS[: month - 1]) + day


class Delivery(Frozen):
    """When a plan's purchases reach their depots: the money's approval, then a lead time.

    A county's money is approved in spring (人代会) and then tendered and delivered
    (政府采购), so what it buys is in the depots ``lead_time_days`` after
    ``approval_day`` (an item's own ``lead_time_days`` in the items table overrides
    the default). Stock already held is there all year. The default, approval on
    1 January with no lead time, has purchases in the depots from the year's start.
    """

    approval_day: Annotated[int, Field(ge=1, le=366, strict=False)] = 1  # or "MM-DD"
    lead_time_days: LeadDays = 0.0
    source: Note = ""

    @field_validator("approval_day", mode="before")
    @classmethod
    def _month_and_day(cls, value: Any) -> Any:
        """Read "03-01" (month-day) as its day of a common year: 60."""
        if isinstance(value, str) and re.fullmatch(r"\s*\d{1,2}-\d{1,2}\s*", value):
            month, day = (int(part) for part in value.split("-"))
            return day_of_year(month, day)
        return value

    def days_to(self, item: Item) -> float:
        """Days after the year's start that purchases of ``item`` reach their depots."""
        lead = self.lead_time_days if item.lead_time_days is None else item.lead_time_days
        return self.approval_day - 1 + lead


class Ledger(Frozen):
    """How stock ages across the years (scenarios/ledger.py): the year planned, and its rules."""

    plan_year: Annotated[int, Field(ge=1950, le=2200)] = 2027  # the year the budget is for
    # a stock line with no purchase_year: bought half its life before the plan year
    # ("half_life"), or new in the year before it ("new")
    unknown_age: Literal["half_life", "new"] = "half_life"
    # consumables leave this many years before they expire, rotated into drills or civil
    # use (轮换) at this share of their price; 0 years: scrapped when they expire
    rotate_before_years: Annotated[int, Field(ge=0, le=20)] = 0
    rotation_recovery_share: Probability = 0.0
    # a village store gets back, from its village's own money (not the county's budget),
    # what it used, lost or saw leave in a year, like for like, the next year
    villages_restock: bool = True
    source: Note = ""


class NormRules(Frozen):
    """How reserve norms are used: reported only, or kept by the optimiser too."""

    as_constraints: bool = False  # the plan must reach every norm (within the budget)
    source: Note = ""


class Outcomes(Frozen):
    """How the outcomes people recognise are counted, beside the weighted shortfall."""

    first_relief_h: Hours = 12.0  # hours after impact by which relief must reach people
    # need -> the items that meet it; a person lacks a need if any of its items is short
    relief_items: dict[Identifier, tuple[Identifier, ...]] = {}
    small_event_people: Affected = 300.0  # an event affecting fewer people is small
    # an event needs help from outside the county when more than this share of its rescue
    # work, or of its weighted item demand, is not met (0: anything at all)
    outside_help_share: Probability = 0.0
    first_batch_h: Hours = 6.0  # the first batch from a county depot on site this soon after alarm
    source: Note = ""


class EverydayCalls(Frozen):
    """How a team's everyday calls are answered: by its duty crews, one crew per call."""

    crew_members: Annotated[int, Field(ge=1, le=50)] = 5  # members a call takes
    on_duty_share: Annotated[float, Field(gt=0.0, le=1.0)] = 0.5  # of the roster, at any hour
    call_hours: Annotated[float, Field(gt=0.0, le=72.0)] = 1.5  # mean time a crew is out
    # a call no duty crew is free for waits for the next station or a recall: the
    # weighted shortfall it adds (yuan-equivalent)
    unanswered_yuan: Annotated[float, Yuan, Field(ge=0.0, le=1e9)] = 0.0
    source: Note = ""


Aim = Literal["shortfall", "lives_first", "mix"]
YuanEquivalent = Annotated[float, Yuan, Field(ge=0.0, le=1e9)]  # per life or person: beyond, absurd


class Objective(Frozen):
    """What the optimiser minimises: which outcomes, and the expected year or the bad years.

    ``shortfall``: the weighted shortfall. ``lives_first``: lives lost to delay,
    then people without relief at the first-relief hour, then the weighted
    shortfall, each later aim giving back at most ``stage_slack`` of an earlier
    optimum. ``mix``: the weighted shortfall plus ``life_yuan`` per life lost
    and ``relief_person_yuan`` per person without relief. The bad years
    (``worst_weight``) weigh the shortfall; lives and relief count as expected.

    ``value_carried``: what a purchase leaves in the depot at the year's end
    (:func:`scenarios.ledger.carried_share`: a boat most of its price, a one-year
    consumable nothing) saves next year's money, and is credited at the budget's
    marginal worth, discounted by ``discount_rate`` (optimize.model).
    """

    minimise: Aim = "shortfall"
    value_carried: bool = True
    discount_rate: Annotated[float, Field(ge=0.0, le=0.5)] = 0.08  # a year, on next year's money
    life_yuan: YuanEquivalent = 0.0  # mix: one life lost to delay, in yuan-equivalent
    relief_person_yuan: YuanEquivalent = 0.0  # mix: one person without relief at the hour
    stage_slack: Annotated[float, Field(ge=0.0, le=0.5)] = 0.01
    worst_share: Annotated[float, Field(gt=0.0, le=1.0)] = 0.1  # the bad years: this worst share
    # 0: the expected year alone; 1: the mean of the worst years alone (防大灾)
    worst_weight: Probability = 0.0
    source: Note = ""

    @model_validator(mode="after")
    def _mix_has_weights(self) -> Objective:
        if self.minimise == "mix" and self.life_yuan == 0 and self.relief_person_yuan == 0:
            raise ValueError(
                "minimise = 'mix' needs life_yuan or relief_person_yuan above 0 "
                "(with both 0 it is the weighted shortfall: minimise = 'shortfall')"
            )
        return self

    @property
    def counts_lives(self) -> bool:
        """Whether lives lost to delay enter what is minimised."""
        return self.minimise == "lives_first" or (self.minimise == "mix" and self.life_yuan > 0)

    @property
    def counts_relief(self) -> bool:
        """Whether people without relief at the first-relief hour enter what is minimised."""
        return self.minimise == "lives_first" or (
            self.minimise == "mix" and self.relief_person_yuan > 0
        )


class PlanningRules(Frozen):
    """The bureau's rules for a purchase list, beyond the items' and depots' own."""

    # share of the plan's purchase money per category: (at least, at most)
    category_share: dict[ItemCategory, tuple[Probability, Probability]] = {}
    # share of the plan's purchase money per depot tier it goes to: (at least, at most)
    tier_share: dict[DepotTier, tuple[Probability, Probability]] = {}
    min_lots_per_item: Annotated[int, Field(ge=0, le=1000)] = 0  # every type on the list, k lots
    # a depot of a tier named here holds of each item at most this many design events' need
    # (scenarios/design.py); tiers not named hold without a ceiling
    holding_events: dict[DepotTier, Annotated[int, Field(ge=1, le=1000)]] = {}
    design_quantile: Annotated[float, Field(ge=0.5, le=0.999)] = 0.9  # a design event's size
    source: Note = ""

    @field_validator("category_share", "tier_share")
    @classmethod
    def _shares_possible(
        cls, value: dict[str, tuple[float, float]]
    ) -> dict[str, tuple[float, float]]:
        for category, (low, high) in value.items():
            if low > high:
                raise ValueError(f"{category}: the floor {low:g} is above the ceiling {high:g}")
        floors = sum(low for low, _ in value.values())
        if floors > 1.0 + 1e-9:
            raise ValueError(f"the floors sum to {floors:g}, more than the whole plan")
        return value


class ReplayEvent(Frozen):
    """One recorded event to replay instead of sampling."""

    replication: Count
    time_h: Annotated[float, Field(ge=0.0, le=87_840.0)]  # within the longest horizon (Days)
    township_id: Identifier
    hazard: Identifier
    severity_people: Affected
    duration_h: Hours | None = None
    demand: dict[Identifier, People] = Field(default_factory=dict)


class ReplayYear(Frozen):
    """One recorded year of a replay table, and its probability when the table gives them.

    A year is known by its ``replication`` number, the same number its events
    carry. A year listed here with no events is a recorded quiet year.
    """

    replication: Count
    probability: Probability | None = None


@dataclass(frozen=True, slots=True)
class ReplayIndex:
    """The replay table indexed once by year, so that replaying a year reads only its rows.

    ``years`` are the recorded years' replication numbers, ascending; simulation
    replication *k* replays ``years[k mod len(years)]``. ``events[i]`` are the rows
    of ``years[i]`` by time (rows at the same time in table order), and
    ``probabilities[i]`` its probability (they sum to 1), or ``None`` when the
    table gives none and every year weighs alike.
    """

    table: tuple[ReplayEvent, ...]  # the rows indexed, to tell a stale index
    declared: tuple[ReplayYear, ...]
    years: tuple[int, ...]
    events: tuple[tuple[ReplayEvent, ...], ...]
    probabilities: tuple[float, ...] | None

    @classmethod
    def of(cls, table: tuple[ReplayEvent, ...], declared: tuple[ReplayYear, ...]) -> ReplayIndex:
        """Group the rows by year in one pass and sort each year by time."""
        by_year: dict[int, list[ReplayEvent]] = defaultdict(list)
        for event in table:
            by_year[event.replication].append(event)
        years = tuple(sorted(set(by_year) | {year.replication for year in declared}))
        events = tuple(tuple(sorted(by_year[y], key=lambda e: e.time_h)) for y in years)
        given = {year.replication: year.probability for year in declared}
        probabilities = None
        if declared and all(given.get(y) is not None for y in years):
            probabilities = tuple(float(given[y]) for y in years)  # type: ignore[arg-type]
        return cls(table, declared, years, events, probabilities)

    def position(self, replication: int) -> int:
        """The position in ``years`` of the year that replication ``replication`` replays."""
        return replication % len(self.years)


class Scenario(Frozen):
    """A whole county: geography, stock, teams, hazards and the rules that link them."""

    scenario_id: Identifier
    name_zh: Name
    name_en: Name = ""
    seed: Seed
    horizon_days: Days
    procurement_budget_yuan: Money
    penalties: Penalties
    travel: Travel
    dispatch: Dispatch
    rain_episodes: RainEpisodes | None = None
    procurement: Procurement | None = None
    rules: PlanningRules = PlanningRules()
    outcomes: Outcomes = Outcomes()
    objective: Objective = Objective()
    everyday: EverydayCalls = EverydayCalls()
    ledger: Ledger = Ledger()
    delivery: Delivery = Delivery()
    hazards: tuple[Hazard, ...] = Field(min_length=1)
    townships: tuple[Township, ...] = Field(min_length=1)
    items: tuple[Item, ...] = Field(min_length=1)
    depots: tuple[Depot, ...] = Field(min_length=1)
    stock: tuple[StockLine, ...] = ()
    teams: tuple[Team, ...] = Field(min_length=1)
    agreements: tuple[Agreement, ...] = ()
    demand: tuple[DemandProfile, ...] = ()
    capabilities: tuple[Capability, ...] = ()
    norms: tuple[ReserveNorm, ...] = ()
    norm_rules: NormRules = NormRules()
    replay: tuple[ReplayEvent, ...] | None = None
    replay_years: tuple[ReplayYear, ...] = ()
    source_path: str = ""

    # Built with the scenario: replaying a year then costs its own rows, not the table's.
    _replay_index: ReplayIndex | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any, /) -> None:
        """Index the replay table by year once, as part of the validated scenario."""
        if self.replay is not None:
            self._replay_index = ReplayIndex.of(self.replay, self.replay_years)

    @property
    def replay_index(self) -> ReplayIndex | None:
        """The replay table by year, or ``None`` without one.

        Built again only if the table was swapped since (``model_copy`` copies
        the index without running validation).
        """
        if self.replay is None:
            return None
        index = self._replay_index
        if (
            index is None
            or index.table is not self.replay
            or index.declared is not self.replay_years
        ):
            index = ReplayIndex.of(self.replay, self.replay_years)
            self._replay_index = index
        return index

    @property
    def horizon_h(self) -> float:
        """Length of the simulated year in hours."""
        return self.horizon_days * 24.0

    def delivery_h(self, item: Item) -> float:
        """Hours after the year's start that the year's purchases of ``item`` reach their depots."""
        return self.delivery.days_to(item) * 24.0

    def item(self, item_id: str) -> Item:
        """The item with this id."""
        return next(i for i in self.items if i.item_id == item_id)

    def hazard(self, hazard_id: str) -> Hazard:
        """The hazard with this id."""
        return next(h for h in self.hazards if h.hazard_id == hazard_id)
