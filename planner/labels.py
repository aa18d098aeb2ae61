"""Every word shown to users, once, as a (Chinese, English) pair.

The report and its charts pick one language (:func:`in_lang`, :func:`label`);
the console and the workbooks show both, Chinese first (:func:`both`). Names
from users' files (townships, items) are theirs: shown as written, never
translated; a bilingual label of theirs such as ``常年 normal`` shows its words
in the report's language (:func:`own_words`).
"""

from __future__ import annotations

import math

LANGS = ("zh", "en")
BOTH = "both"  # the console's and the workbooks' language: Chinese, then English

Pair = tuple[str, str]  # (Chinese, English)


def in_lang(pair: Pair, lang: str) -> str:
    """The pair's word in ``lang`` (``zh`` or ``en``)."""
    return pair[LANGS.index(lang)]


def both(pair: Pair) -> str:
    """The pair as the console and the workbooks show it: Chinese, then English."""
    return f"{pair[0]} {pair[1]}"


def label(table: dict[str, Pair], key: str, lang: str = BOTH) -> str:
    """``key``'s word from ``table`` in ``lang`` (or both languages); the key itself if absent."""
    pair = table.get(key)
    if pair is None:
        return str(key)
    return both(pair) if lang == BOTH else in_lang(pair, lang)


def text(key: str, lang: str) -> str:
    """The chart wording ``key`` in ``lang``."""
    return in_lang(CHART_TEXT[key], lang)


def words(key: str, lang: str) -> str:
    """The report wording ``key`` in ``lang``."""
    return in_lang(REPORT_WORDS[key], lang)


def category_name(category: str, lang: str = BOTH) -> str:
    """A cost row's category: an item category, or the depot tier its upkeep is paid for."""
    table = CATEGORY_LABELS if category in CATEGORY_LABELS else TIER_LABELS
    return label(table, category, lang)


def own_words(text: str, lang: str | None) -> str:
    """A user's bilingual label (``常年 normal``): its Chinese or English words; else as written.

    A label in one language, or ``lang`` None, is shown as its author wrote it.
    """
    parts = text.split()
    cut = next((i for i, part in enumerate(parts) if not _has_cjk(part)), len(parts))
    chinese, english = " ".join(parts[:cut]), " ".join(parts[cut:])
    if lang is None or not chinese or not english or _has_cjk(english):
        return text
    return chinese if lang == "zh" else english


def _has_cjk(text: str) -> bool:
    return any("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in text)


def solve_words(proved: bool, gap: float, lang: str = BOTH) -> str:
    """What a solve proved, for a table cell: optimal, or not with its gap."""
    if proved:
        return label(REPORT_WORDS, "cell_proved", lang)
    shown = f"{gap:.2%}" if math.isfinite(gap) else label(REPORT_WORDS, "gap_not_reported", lang)
    return label(REPORT_WORDS, "cell_not_proved", lang).format(shown)


def plan_name(plan: str, lang: str) -> str:
    """A plan's display name; a plan file keeps its own name, marked as a name in Chinese."""
    if plan in PLAN_NAMES:
        return label(PLAN_NAMES, plan, lang)
    return f"方案「{plan}」" if lang == "zh" else plan


def colon(lang: str) -> str:
    """The colon between a caption and what follows: full width in Chinese."""
    return "：" if lang == "zh" else ": "


def sentence(text: str) -> str:
    """A sentence starting with a capital (a plan named ``plan`` may open one in English)."""
    return text[:1].upper() + text[1:]


def judgement_label(parameter: str, lang: str = BOTH) -> str:
    """The name of a judgement of ``optimize.sensitivity`` (``criticality:flood``...)."""
    kind, _, category = parameter.partition(":")
    if kind == "criticality":
        zh, en = CATEGORY_LABELS.get(category, (category, category))
        pair = (f"{zh}关键性权重", f"{en} criticality weights")
        return both(pair) if lang == BOTH else in_lang(pair, lang)
    return label(JUDGEMENT_LABELS, parameter, lang)


PLAN_NAMES: dict[str, Pair] = {
    "status_quo": ("现状（不采购）", "status quo (buy nothing)"),
    "optimised": ("优化方案", "optimised"),
    "improved": ("优化方案经模拟改进", "optimised, improved by simulation"),
    "last_year_rule": ("去年的分配办法", "last year's rule"),
    "equal_split": ("平均分配", "equal split"),
    "top_up": ("按需补足（最关键的先补）", "top-up to need, most critical first"),
    "greedy": ("逐批贪心", "greedy"),
}


# Chart wording: key -> (Chinese, English).
CHART_TEXT: dict[str, Pair] = {
    "frontier_title": (
        "资金前沿：预算越多，未满足需求越少",
        "Funding frontier: what more budget buys",
    ),
    "budget_axis": ("预算（万元）", "budget (million yuan)"),
    "unmet_unit": ("（加权缺口，万元当量/年）", " (thousand yuan-equivalent / year)"),
    "band": ("95%置信区间", "95% CI"),
    "current_budget": ("当前预算 {}", "current budget {}"),
    "step_title_even": (
        "每增加{}预算，加权未满足需求减少（同年配对差，95%置信区间）",
        "Each extra {} cuts weighted unmet demand by (paired by year, 95% CI)",
    ),
    "step_title_uneven": (
        "每一档预算增加带来的减少（同年配对差，95%置信区间）",
        "What each budget step cuts (paired by year, 95% CI)",
    ),
    "reduction_axis": ("减少量（万元/年）", "reduction (thousand yuan / year)"),
    "spending_title": (
        "计划买什么：按物资类别、按储备层级、金额最大的物资",
        "What the plan buys: by item category, by stockpile tier, and the largest items",
    ),
    "years_money_title": (
        "每年的钱花在哪里，年末库存价值",
        "Where each year's money goes, and the stock at year end",
    ),
    "years_replaced": (
        "更新（到期、损坏、轮换的补足）",
        "replacing what expired, failed or was rotated",
    ),
    "years_new": ("新购（优化）", "new purchases (optimised)"),
    "years_stock": ("年末库存价值", "stock value at year end"),
    "years_unmet_title": (
        "各年加权缺口（模拟，95%置信区间）",
        "Weighted shortfall each year (simulated, 95% CI)",
    ),
    "year_axis": ("年份", "year"),
    "against_money_title": ("两种预算路径：每年的预算", "Two paths of budgets: each year's budget"),
    "against_unmet_title": (
        "两种预算路径的各年加权缺口（模拟，相同的评估年份，95%置信区间）",
        "Weighted shortfall each year on both paths (simulated on the same judging years, 95% CI)",
    ),
    "by_category": ("按物资类别", "By item category"),
    "by_tier": ("按储备层级", "By stockpile tier"),
    "top_items": ("金额最大的{}种物资", "The {} largest items by money"),
    "stock_now": ("现有库存价值（现状）", "value of today's stock (status quo)"),
    "plan_buys": ("计划采购", "the plan buys"),
    "money_axis": ("金额（万元）", "amount (thousand yuan)"),
    "map_title": ("缺口在哪里：各乡镇", "Where the gaps are: townships"),
    "east_axis": ("东西向位置（公里）", "x, west to east (km)"),
    "north_axis": ("南北向位置（公里）", "y, south to north (km)"),
    "county_depot": ("县级储备库", "county depot"),
    "township_depot": ("乡镇储备点", "township depot"),
    "fire_station": ("专职消防站", "fire station"),
    "area_note": ("圆面积表示人口", "circle area: population"),
    "response_title": (
        "救援响应：首支队伍到场时间与处置层级",
        "Response: time to first team on scene, and where events were handled",
    ),
    "response_axis": ("首支队伍到场时间（小时）", "time to first team on scene (h)"),
    "deadline": ("救援时限", "rescue deadline"),
    "in_time": ("按时 {:.0%}", "in time {:.0%}"),
    "handled_title": ("事件在哪一级处置", "Where events were handled"),
    "share_axis": ("事件占比（%）", "share of events (%)"),
    "all_events": ("全部事件", "all events"),
    "level_township": ("乡镇内处置（小灾不出乡）", "inside the township"),
    "level_county": ("县内处置（大灾不出县）", "by the county"),
    "level_outside": ("需县外支援", "help from outside the county"),
    "forest_title": (
        "方案对比：{} 减 {}（同年配对差，95%置信区间）",
        "Plan comparison: {} minus {} (paired by year, 95% CI)",
    ),
    "difference_axis": (
        "加权未满足需求之差（加权缺口，万元当量/年；负值表示方案更好）",
        "difference in weighted unmet demand (thousand yuan-equivalent / year; "
        "below 0: plan better)",
    ),
    "headline": ("合计", "total"),
    "hazard_prefix": ("灾种：", "hazard: "),
    "category_prefix": ("类别：", "category: "),
    "timeline_title": (
        "模拟第{}年：事件与队伍动向",
        "Simulated year {}: events and where teams were",
    ),
    "events_panel": ("事件（灾害发生至结束）", "Events (impact to end)"),
    "teams_panel": ("出动的队伍", "Teams that moved"),
    "day_axis": ("月份（月初起）", "month (ticks at the first of the month)"),
    "day_axis_plain": ("一年中的第几天（天）", "day of the year (days)"),
    "travel": ("途中", "travelling"),
    "on_scene": ("在现场", "on scene"),
    "return": ("返回", "returning"),
    "no_events": ("这一年没有事件", "no events this year"),
    "n": ("{}（{}起）", "{} (n={})"),
    "tornado_title": (
        "清单取决于哪些判断：各项估计减半、加倍时资金在类别间的移动",
        "What the list rests on: money moved between categories when each estimate is "
        "halved or doubled",
    ),
    "tornado_axis": (
        "资金在类别间的移动（万元；左：减半，右：加倍）",
        "money moved between categories (thousand yuan; left: halved, right: doubled)",
    ),
    "halved": ("减半 ×0.5", "halved ×0.5"),
    "doubled": ("加倍 ×2", "doubled ×2"),
    "no_plan": ("无方案", "no plan"),
}


# Report wording: key -> (Chinese, English).
REPORT_WORDS: dict[str, Pair] = {
    "title": ("{}：应急物资储备与救援队伍配置分析", "{}: emergency stockpiles and rescue teams"),
    "subtitle": (
        "资金申请依据 · yingji {} 生成于 {}",
        "The case for funding · made by yingji {} on {}",
    ),
    "findings": ("要点", "Key findings"),
    "assumptions": ("主要假设", "Key assumptions"),
    "method": ("方法", "Method"),
    "today": ("现状：现有物资和队伍能应对多少", "Today: what the county's stock and teams cover"),
    "plan": ("采购方案：预算买什么、放哪里", "The plan: what the budget buys, and where it goes"),
    "sweep": ("资金前沿：更多预算能带来什么", "The funding frontier: what more money buys"),
    "compare": ("方案比较", "Plan comparison"),
    "years": (
        "多年规划：先补更新，再优化新购",
        "Several years ahead: replacements first, then new",
    ),
    "years_text": (
        "从规划年起逐年规划：每年的预算先按原样补足上一年损坏、轮换和到期报废的物资（最关键的先补），"
        "余下的按全县规则优化新购；再用该年的方案模拟，扣除事件消耗和损失（先出最早购置的），"
        "最后按使用年限和损坏率老化库存。各年用同一批抽样年份求解、同一批模拟年份评估，"
        "所以年与年之间的变化来自库存，而不是天气。维护费只报告，不从采购预算中支出。",
        "Planned year by year from the plan year: each budget first replaces, like for like, "
        "what failed, was rotated or reached the end of its life the year before (the most "
        "critical first); the rest buys what the county's rules and the optimiser choose. Each "
        "year is then simulated with its plan, what its events used and lost leaves the "
        "stock (the oldest first), and the stock ages. Every year is chosen on the same "
        "sampled years and judged on the same simulated years, so a change from one year to "
        "the next is the stock's, not the weather's. Upkeep is reported, not paid from the "
        "purchase budget.",
    ),
    "figure_years": ("多年规划", "plan over the years"),
    "years_against_text": (
        "对照预算路径（{}）与规划路径在同样的模拟年份上评估，所以每年的差值是同年配对差"
        "（对照减规划，负值表示对照路径的缺口更少），区间为95%置信区间。到{}年，"
        "对照路径累计多花 {} 元；该年模拟的加权缺口相差 {}（{} – {}）元当量，"
        "未得到初步救助的人数相差 {}（{} – {}），延误死亡相差 {}（{} – {}）人。",
        "The path of budgets set against the plan ({}) is judged on the same simulated years, "
        "so each year's difference is paired (against minus planned; below 0 the second path "
        "leaves less), with its 95% CI. By {} it has spent {} yuan more in all; that year's "
        "simulated weighted shortfall differs by {} ({} – {}) yuan-equivalent, the people "
        "without relief by {} ({} – {}) and the lives lost to delay by {} ({} – {}).",
    ),
    "against_planned": ("规划预算", "planned budgets"),
    "against_rise": ("对照：每年{:+g}%", "against: {:+g}% a year"),
    "against_given": ("对照预算", "budgets set against them"),
    "figure_years_against": (
        "两种预算路径：每年的预算与模拟的加权缺口",
        "two paths of budgets: each year's money and the simulated shortfall",
    ),
    "table_years_against": (
        "两种预算路径的逐年配对差（对照减规划；模拟，相同的评估年份，95%置信区间）",
        "Year by year, the second path of budgets minus the first (simulated on the same "
        "judging years, paired, 95% CI)",
    ),
    "table_years": ("各年预算、库存与模拟结果", "Each year's money, stock and simulated outcomes"),
    "procurement": ("采购清单", "Procurement list"),
    "method_text": (
        "本报告用计算机模拟评估全县的应急能力：按照历史发生频率，随机生成成百上千个"
        "可能的年份（洪涝、山洪、滑坡、泥石流、森林火灾、地震），在每一年中按照"
        "「小灾不出乡、大灾不出县」的调度顺序派出村、乡镇、消防站和县级队伍，从村、"
        "乡镇、县三级储备点和协议企业调运物资，统计没有在时限内送到的物资和没有完成"
        "的救援工作。每缺一件物资，按其单价乘以关键程度（1–10）计入「加权缺口」，单位为"
        "元当量/年（不是实际支出的钱，而是把不同物资的缺口放在同一把尺子上比较），这就是"
        "报告中的加权未满足需求。采购方案由优化模型在预算内求出，再放回模拟中与其他"
        "方案在完全相同的年份上比较，所以比较结果不受「运气」影响。区间为95%置信区间。",
        "This report measures the county's readiness by simulation: it draws hundreds of "
        "possible years of floods, flash floods, landslides, debris flows, forest fires and "
        "earthquakes at their historical rates; in each year it sends village, township, "
        "fire-station and county teams in the escalation order the county uses, draws "
        "supplies from village, township and county stockpiles and supplier agreements, and "
        "counts what did not arrive in time and the rescue work not done. Each unit missing "
        "counts its unit price times its criticality (1-10): the weighted shortfall, in "
        "yuan-equivalent per year (not money spent, a common scale to weigh different "
        "shortfalls), which the report calls weighted unmet demand. The plan comes from an "
        "optimisation model within the budget and is then simulated next to the other plans "
        "on exactly the same years, so the comparison is not a matter of luck. Ranges are "
        "95% confidence intervals.",
    ),
    "today_finding": (
        "以现有物资和队伍，全县每年预计有 {} 元当量的加权缺口"
        "（需求得不到及时满足，95%置信区间 {}–{}）；"
        "{:.0%} 的事件在乡镇内处置。",
        "With today's stock and teams the county can expect {} yuan-equivalent a year of "
        "demand not met in time (95% CI {}–{}); {:.0%} of events are handled inside the "
        "township.",
    ),
    "lives_finding": (
        "按现状，每年约有 {:.2f} 名被困人员因救援不及时而遇难（95%置信区间 {:.2f}–{:.2f}；"
        "全国2022年因灾死亡失踪554人，平均每县每年约0.2人）；灾后{}小时仍缺水、缺食或"
        "缺住所的群众每年约 {:,.0f} 人（{:,.0f}–{:,.0f}）。",
        "Today about {:.2f} trapped people a year die because rescue came too late (95% CI "
        "{:.2f}-{:.2f}; China's 554 dead or missing in disasters in 2022 are about 0.2 per "
        "county a year); {} h after impact about {:,.0f} people a year still lack water, food "
        "or shelter ({:,.0f}-{:,.0f}).",
    ),
    "plan_finding": (
        "优化方案花费 {} 元，使加权未满足需求降到每年 {}（95%置信区间 {}–{}）；"
        "同样的钱按去年的分配办法只能降到 {}，{}。",
        "The optimised plan spends {} yuan and brings weighted unmet demand down to {} a year "
        "(95% CI {}–{}); last year's rule with the same money reaches {}: {}.",
    ),
    "plan_less": ("优化方案比它少 {:.0%}", "the optimised plan leaves {:.0%} less than it"),
    "plan_more": ("优化方案比它多 {:.0%}", "the optimised plan leaves {:.0%} more than it"),
    "plan_quality": (
        "方案可信度：求解器{}（{} 个抽样年份的模型内，差距 {}）；在评估所用的 {} 个"
        "模拟年份上，优化模型估计该方案每年 {}，模拟结果为 {}（模拟/模型 {:.3f}，95%置信区间 "
        "{:.3f}–{:.3f}）。",
        "How sure the plan is: the solver {} for a model of {} sampled years "
        "(gap {}, a gap of that model only); on the {} simulated years that judged it, the "
        "optimisation model values it at {} a year and the simulation at {} (simulation / "
        "model {:.3f}, 95% CI {:.3f}–{:.3f}).",
    ),
    "proved": ("证明了最优", "proved it optimal"),
    "not_proved": ("未能证明最优", "did not prove it optimal"),
    "gap_not_reported": ("求解器未报告", "not reported by the solver"),
    "cell_proved": ("已证明最优", "proved optimal"),
    "cell_not_proved": ("未证明最优（间隙 {}）", "NOT proved optimal (gap {})"),
    "plan_aims": (
        "本方案按“生命优先”求解：先使因救援延误死亡的人数最少（抽样模型中 {:.3g} 人/年），"
        "再使 {:g} 小时未得到初步救助的人数最少（{:,.0f} 人/年），最后才使加权缺口最小；"
        "后一目标最多让前一目标变差 {:.0%}。",
        "This plan puts lives first: it minimised lives lost to delay first ({:.3g} a year in "
        "the sampled model), then people without relief at {:g} h ({:,.0f} a year), and only "
        "then the weighted shortfall; each later aim gave back at most {:.0%} of an earlier one.",
    ),
    "over_budget": (
        "注意：方案 {} 的采购和储备点维护费用共 {} 元，超过本县采购预算 {} 元（{:.1f} 倍）；"
        "本报告按给定方案评估，它不是预算能买到的方案。",
        "Warning: plan {} costs {} yuan in purchases and depot upkeep, more than the county's "
        "procurement budget of {} ({:.1f} times); this report judges it as given, not as a "
        "list the budget buys.",
    ),
    "plan_carried": (
        "选购时也计入了物资留到下一年的价值：未被当年灾害用掉的物资，按尚未用完的使用年限折算价格"
        "（折现一年），每留下一元相当于当年预算在边际上每一元能减少的缺口 {:.3f}；本方案预计留下 "
        "{} 元，抵减目标 {}，抽样年份上的缺口本身为每年 {}。",
        "The list was chosen counting what it leaves for next year too: what the year's events "
        "do not use carries the part of its price its life has not used up (discounted a "
        "year), each yuan left worth what a yuan of this budget saves at the margin, {:.3f}; "
        "this list leaves {} yuan, crediting its objective {}, against a shortfall of {} a year "
        "on the sampled years.",
    ),
    "plan_stability": (
        "用样本的前后两半分别求出的方案，按物资种类有 {:.0%} 的资金相同（按物资和储备点 {:.0%}）。",
        "Plans solved on the two halves of the sample put {:.0%} of their money on the same "
        "items ({:.0%} on the same items in the same depots).",
    ),
    "sweep_missing": (
        "注意：扫描共 {} 个格子，只完成了 {} 个（缺 {}）；以下资金前沿只含已完成的格子。"
        "再次运行同一条 yingji sweep 命令可补齐。",
        "Note: the sweep has {} cells and only {} are finished ({} missing); the funding "
        "frontier below holds the finished ones only. Running the same yingji sweep command "
        "again runs the missing cells.",
    ),
    "sweep_finding": (
        "{}：预算从 {} 增加到 {}，每年减少未满足需求 {}（95%置信区间 {}）。",
        "{}: going from {} to {} cuts unmet demand by {} a year (95% CI {}).",
    ),
    "interval_to": ("至", "to"),
    "total": ("合计", "total"),
    "total_lines": ("合计（全部 {} 行）", "total (all {} lines)"),
    "budget_given": (
        "{}（本次优化所用；情景文件为 {}）",
        "{} (the budget optimised; the scenario's is {})",
    ),
    "compare_less": (
        "{0} 每年比 {1} 少 {2} 的加权未满足需求（95%置信区间 少 {3}–{4}），{0} 更好。",
        "{0} leaves {2} a year less weighted unmet demand than {1} (95% CI {3}–{4} less): "
        "{0} is better.",
    ),
    "compare_more": (
        "{0} 每年比 {1} 多 {2} 的加权未满足需求（95%置信区间 多 {3}–{4}），{1} 更好。",
        "{0} leaves {2} a year more weighted unmet demand than {1} (95% CI {3}–{4} more): "
        "{1} is better.",
    ),
    "compare_same": (
        "{0} 与 {1} 的加权未满足需求每年相差 {2}（95%置信区间 {3} 至 {4}），差别不显著。",
        "{0} and {1} differ by {2} a year in weighted unmet demand (95% CI {3} to {4}): the "
        "difference is not significant.",
    ),
    "figure_map": ("各乡镇每年加权未满足需求", "weighted unmet demand per township and year"),
    "figure_response": ("救援响应", "response"),
    "figure_timeline": ("典型的一年", "a typical year"),
    "figure_spending": ("采购方案的构成", "what the plan buys"),
    "figure_frontier": ("资金前沿", "funding frontier"),
    "figure_tornado": ("清单取决于哪些判断", "what the list rests on"),
    "table_sensitivity": (
        "各项估计减半、加倍后重新求解：资金在类别间的移动（同样的{}个抽样年份、预算与规则；"
        "求解间隙以内的移动是噪声）",
        "Each estimate halved and doubled, re-solved on the same {} sampled years, budget and "
        "rules: money moved between categories (moves within the solver's gap are noise)",
    ),
    "sensitivity_finding": (
        "清单最取决于“{}”：将其{}，有 {} 在类别间移动（{:.0%} 的资金仍用于相同物资）；"
        "关键性权重中影响最大的是“{}”（{}）。",
        "The list rests most on {}: {} it moves {} between categories ({:.0%} of the money "
        "stays on the same items); of the criticality weights, {} moves most ({}).",
    ),
    "halving": ("减半", "halving"),
    "doubling": ("加倍", "doubling"),
    "figure_compare": ("方案比较", "plan comparison"),
    "table_today": ("现状模拟结果", "Today, simulated"),
    "table_costs": ("方案费用（元）", "What the plan costs (yuan)"),
    "table_evaluation": ("各方案模拟结果（相同年份）", "Every plan, simulated on the same years"),
    "table_marginal": (
        "下一元钱最值得花在哪里（前10项）",
        "Where the next yuan does most (top 10)",
    ),
    "table_compliance": (
        "储备标准达标情况（全县，方案前后）",
        "Reserve norms met, county-wide, today and after the plan",
    ),
    "table_frontier": (
        "各预算水平下的加权未满足需求（求解：该格子的方案在其抽样模型内是否证明最优）",
        "Weighted unmet demand at each budget (solve: whether each cell's plan was proved "
        "optimal for its sampled model)",
    ),
    "table_compare": ("配对差值（后者减前者）", "Paired differences"),
    "table_province": (
        "各县各预算水平下的加权未满足需求（元当量/年，95%置信区间；求解：该格子的方案在其抽样模型内"
        "是否证明最优）",
        "Weighted unmet demand of each county at each budget (yuan-equivalent a year, 95% CI; "
        "solve: whether each cell's plan was proved optimal for its sampled model)",
    ),
    "figure_province": (
        "全省资金前沿（各县合计）",
        "the province's funding frontier (all counties)",
    ),
    "province_text": (
        "本次扫描覆盖 {} 个县，每个县按各自的县情文件和预算计算；"
        "上文的县情与参数是第一个县（{}）的。全省曲线把同一模拟年份的各县加权未满足需求相加，横轴是各县预算之和。",
        "This sweep covers {} counties, each run on its own county file and budget; the county "
        "and its parameters above are the first county's ({}). The province's curve adds the "
        "counties' weighted unmet demand in the same simulated year; its axis is the sum of "
        "their budgets.",
    ),
    "province_incomplete": (
        "注意：{} 个格子尚未完成，全省曲线只包括所有县都已完成的预算水平。",
        "Note: {} cells are not finished; the province's curve holds only the budgets every "
        "county has finished.",
    ),
    "province_finding": (
        "全省 {} 个县{}：各县预算合计从 {} 增加到 {}，每年减少未满足需求 {}（95%置信区间 {}）。",
        "The province's {} counties{}: going from {} to {} in all cuts unmet demand by {} a "
        "year (95% CI {}).",
    ),
    "table_assumptions": ("县情与参数", "The county and its parameters"),
    "table_procurement": (
        "采购清单（金额最大的{}项，完整清单见Excel）",
        "Procurement list (the {} largest lines; the full list is in the Excel workbook)",
    ),
    "penalty_unit": ("加权缺口（元当量）/年", "weighted shortfall, yuan-equivalent / year"),
    "not_found": ("（结果文件夹中没有此项结果）", "(no such results in the folder)"),
}


# A plan over several years, as the console and the report show it: field -> (zh, en).
YEAR_LABELS: dict[str, Pair] = {
    "year": ("年份", "year"),
    "budget_yuan": ("预算（元）", "budget (yuan)"),
    "replaced_yuan": ("更新（元）", "replaced (yuan)"),
    "bought_yuan": ("新购（元）", "new (yuan)"),
    "upkeep_yuan": ("维护费（元）", "upkeep (yuan)"),
    "stock_value_end_yuan": ("年末库存（元）", "stock at year end (yuan)"),
    "weighted_unmet_mean": (
        "加权缺口（元当量/年，95%置信区间）",
        "weighted shortfall (yuan-eq./yr, 95% CI)",
    ),
    "trapped_lost_per_year": ("延误死亡（人/年）", "lives lost to delay (a year)"),
    "people_without_relief_per_year": ("未得到初步救助（人/年）", "without relief (people a year)"),
    "proved_optimal": ("求解", "solve"),
}


# Two paths of budgets set against each other, as the console and the report show them:
# optimize.records.DIFFERENCE_COLUMNS (an outcome for its difference) -> (zh, en).
AGAINST_LABELS: dict[str, Pair] = {
    "year": ("年份", "year"),
    "budget_yuan": ("预算（元）", "budget (yuan)"),
    "against_budget_yuan": ("对照预算（元）", "against budget (yuan)"),
    "extra_yuan": ("多出（元）", "extra (yuan)"),
    "cumulative_extra_yuan": ("累计多出（元）", "extra so far (yuan)"),
    "weighted_unmet": (
        "加权缺口之差（元当量/年，95%置信区间）",
        "shortfall difference (yuan-eq./yr, 95% CI)",
    ),
    "people_without_relief": (
        "未得到初步救助之差（人/年，95%置信区间）",
        "without relief, difference (people a year, 95% CI)",
    ),
    "trapped_lost": (
        "延误死亡之差（人/年，95%置信区间）",
        "lives lost to delay, difference (a year, 95% CI)",
    ),
}


# The simulation's summary metrics (sim.metrics) by name.
METRIC_LABELS: dict[str, Pair] = {
    "weighted_unmet": ("加权未满足需求", "weighted unmet demand"),
    "events": ("事件数", "events"),
    "response_p50": ("首支队伍到场 中位数", "first team on scene, median"),
    "response_p90": ("首支队伍到场 90分位", "first team on scene, 90th pct"),
    "share_in_township": ("小灾不出乡", "handled inside the township"),
    "share_needing_outside_help": ("需县外支援", "needed help from outside the county"),
    "trapped_lost": ("被困人员未及时救出", "trapped people lost to delay"),
    "kit_saved_h": ("装备节省的救援人力", "rescue work saved by kit on scene"),
    "everyday_unanswered": ("日常警情无值班力量可出", "everyday calls with no duty crew free"),
    "evacuated_before_impact": ("灾前转移", "evacuated before impact"),
    "items_in_time": ("物资按时到位", "item units delivered in time"),
    "people_without_relief": ("未得到初步救助", "people still without relief"),
    "county_first_batch_in_time": ("县级首批物资按时到达", "first county batch on time"),
}


# The relief needs ([outcomes] relief_items).
NEED_LABELS: dict[str, Pair] = {
    "water": ("饮用水", "water"),
    "food": ("食品", "food"),
    "shelter": ("住所与被褥", "shelter and bedding"),
    "any": ("任一项（缺口最大者）", "any of them (the most short)"),
}


# Events by size ([outcomes] small_event_people).
SIZE_LABELS: dict[str, Pair] = {
    "small": ("小灾", "small events"),
    "large": ("较大灾害", "larger events"),
}


# Item categories, and the other parts of the shortfall and of the cost.
CATEGORY_LABELS: dict[str, Pair] = {
    "flood": ("防汛", "flood"),
    "forest_fire": ("森林灭火", "forest fire"),
    "fire_rescue": ("消防救援", "fire rescue"),
    "living": ("基本生活", "living"),
    "medical": ("医疗", "medical"),
    "general_equipment": ("通用装备", "general equipment"),
    "rescue_work": ("救援人力", "rescue work"),
    "everyday_calls": ("日常警情", "everyday calls"),
    "depot": ("储备库管理费", "depot upkeep"),
}


# Depot and team tiers.
TIER_LABELS: dict[str, Pair] = {
    "county": ("县级", "county"),
    "township": ("乡镇", "township"),
    "village": ("村级", "village"),
    "fire_station": ("专职消防站", "fire station"),
    "social": ("社会力量", "social"),
}


# The parts of a plan's cost.
PART_LABELS: dict[str, Pair] = {
    "purchase": ("采购", "purchase"),
    "upkeep": ("管理费", "upkeep"),
    "staffing": ("人员", "staffing"),
}


# The estimated judgements the list is re-solved with (optimize.sensitivity).
JUDGEMENT_LABELS: dict[str, Pair] = {
    "late_fraction": ("迟到折算", "how bad a late unit is"),
    "demand": ("需求定额", "demand per event and person"),
    "event_rate": ("灾害频率", "events a year"),
    "kit_savings": ("装备节省的人力", "rescue work kit saves"),
}


# A paired comparison's verdict on a plan against its reference (optimize.comparison).
VERDICT_LABELS: dict[str, Pair] = {
    "better": ("更好", "better"),
    "worse": ("更差", "worse"),
    "not significant": ("无显著差别", "not significant"),
    "identical": ("相同", "identical"),
}


# What a comparison row breaks the headline down by.
BREAKDOWN_LABELS: dict[str, Pair] = {
    "all": ("合计", "all"),
    "hazard": ("灾种", "hazard"),
    "category": ("类别", "category"),
    "township": ("乡镇", "township"),
}


# A planned year's purchase lines by kind (optimize.records.PurchaseRow).
PURCHASE_KIND_LABELS: dict[str, Pair] = {
    "replacement": ("更新", "replacement"),
    "new": ("新购", "new"),
}


# How units left the ledger (optimize.records.LEAVING_WAYS).
LEAVING_LABELS: dict[str, Pair] = {
    "used": ("消耗", "used"),
    "failed": ("损坏", "failed"),
    "rotated": ("轮换", "rotated"),
    "scrapped": ("报废", "scrapped"),
}


# The summary's units (sim.metrics), keyed by their English.
UNIT_LABELS: dict[str, Pair] = {
    "weighted shortfall, yuan-equivalent / year": (
        "加权缺口（元当量）/年",
        "weighted shortfall, yuan-equivalent / year",
    ),
    "h": ("小时", "h"),
    "share of events": ("占事件比例", "share of events"),
    "people / year": ("人/年", "people / year"),
    "person-hours / year": ("人·小时/年", "person-hours / year"),
    "events / year": ("起/年", "events / year"),
    "calls / year": ("起/年", "calls / year"),
    "share of people to evacuate": ("占需转移人数比例", "share of people to evacuate"),
    "share of item units": ("占物资数量比例", "share of item units"),
}


# The assumptions table's rows (the report's key assumptions).
ASSUMPTION_ROWS: dict[str, Pair] = {
    "townships": ("乡镇数", "townships"),
    "population": ("人口", "population"),
    "teams": ("救援队伍（支）/ 人数", "rescue teams / members"),
    "stock": ("现有储备价值（元）", "value of stock today (yuan)"),
    "budget": ("年度采购预算（元）", "yearly procurement budget (yuan)"),
    "items": ("物资品种", "item types"),
    "late": ("迟到物资按比例计", "late units count as"),
    "rescue": ("每人时未完成救援计（元）", "rescue work not done, per person-hour (yuan)"),
    "hazard": ("{}：年均次数 / 救援时限（小时）", "{}: events a year / rescue deadline (h)"),
}


# The columns of a province sweep's table in the report (one row per county and budget).
PROVINCE_COLUMNS: dict[str, Pair] = {
    "county": ("县", "county"),
    "budget": ("采购预算（元）", "procurement budget (yuan)"),
    "scenario": ("情景", "scenario"),
    "solve": ("求解", "solve"),
}


# A sweep's named axes (scenarios.sweep); an axis given as a path into the scenario keeps it.
AXIS_LABELS: dict[str, Pair] = {
    "budget_yuan": ("采购预算", "procurement budget"),
    "staff_budget_yuan": ("人员经费", "staffing budget"),
    "joint_budget_yuan": ("采购与人员合并预算", "one budget for purchases and members"),
    "hazard_intensity": ("灾害频率倍数", "hazard frequency multiplier"),
    "rain_intensity": ("降雨类灾害频率倍数", "rain-triggered hazard frequency multiplier"),
    "budget_factor": ("预算倍数（各县自身预算）", "budget factor (times each county's own)"),
    "county": ("县", "county"),
}


# The report workbook's data columns: each sheet's header shows "中文 key", the key kept
# so that a program still finds its column.
COLUMN_LABELS: dict[str, Pair] = {
    "plan": ("方案", "plan"),
    "plan_name": ("方案名称", "plan name"),
    "reference": ("对照方案", "reference plan"),
    "breakdown": ("分组方式", "broken down by"),
    "group": ("分组", "group"),
    "metric": ("指标", "metric"),
    "unit": ("单位", "unit"),
    "mean": ("均值", "mean"),
    "ci_low": ("95%置信区间下限", "95% CI, low"),
    "ci_high": ("95%置信区间上限", "95% CI, high"),
    "n": ("模拟年数", "simulated years"),
    "replications": ("模拟年数", "simulated years"),
    "cell": ("格子", "cell"),
    "year": ("年份", "year"),
    "budget_yuan": ("预算（元）", "budget (yuan)"),
    "procurement_budget_yuan": ("采购预算（元）", "procurement budget (yuan)"),
    "purchase_cost_yuan": ("采购费用（元）", "purchases (yuan)"),
    "staffing_cost_yuan": ("人员费用（元）", "staffing (yuan)"),
    "weighted_unmet_mean": ("加权缺口均值（元当量/年）", "weighted shortfall, mean"),
    "weighted_unmet_ci_low": ("加权缺口95%下限", "weighted shortfall, 95% CI low"),
    "weighted_unmet_ci_high": ("加权缺口95%上限", "weighted shortfall, 95% CI high"),
    "worst_share": ("最差年份比例", "share of worst years"),
    "worst_years_mean": ("最差年份加权缺口均值", "worst years, mean"),
    "worst_years_ci_low": ("最差年份95%下限", "worst years, 95% CI low"),
    "worst_years_ci_high": ("最差年份95%上限", "worst years, 95% CI high"),
    "share_in_township": ("乡镇内处置比例", "share handled in the township"),
    "trapped_lost_per_year": ("延误死亡（人/年）", "lives lost to delay a year"),
    "people_without_relief_per_year": ("未得到初步救助（人/年）", "people without relief a year"),
    "vs_status_quo_mean": ("与现状之差均值", "minus the status quo, mean"),
    "vs_status_quo_ci_low": ("与现状之差95%下限", "minus the status quo, 95% CI low"),
    "vs_status_quo_ci_high": ("与现状之差95%上限", "minus the status quo, 95% CI high"),
    "solver_solution": ("求解结果", "solver's result"),
    "proved_optimal": ("已证明最优", "proved optimal"),
    "solver_gap": ("求解间隙", "solver gap"),
    "gap": ("求解间隙", "solver gap"),
    "solve_s": ("求解用时（秒）", "solve time (s)"),
    "cell_s": ("格子用时（秒）", "cell time (s)"),
    "plan_mean": ("方案均值", "plan, mean"),
    "reference_mean": ("对照均值", "reference, mean"),
    "difference_mean": ("差值均值", "difference, mean"),
    "difference_ci_low": ("差值95%下限", "difference, 95% CI low"),
    "difference_ci_high": ("差值95%上限", "difference, 95% CI high"),
    "relative_difference": ("相对差", "relative difference"),
    "verdict": ("结论", "verdict"),
    "replaced_yuan": ("更新（元）", "replaced (yuan)"),
    "bought_yuan": ("新购（元）", "new purchases (yuan)"),
    "upkeep_yuan": ("维护费（元）", "upkeep (yuan)"),
    "stock_value_start_yuan": ("年初库存与当年采购（元）", "stock at the start and bought (yuan)"),
    "stock_value_end_yuan": ("年末库存（元）", "stock at year end (yuan)"),
    "floors_lowered": ("下调的比例下限", "share floors lowered"),
    "village_restocked_yuan": ("村级自补（元）", "restocked by the villages (yuan)"),
    "against_budget_yuan": ("对照预算（元）", "against budget (yuan)"),
    "extra_yuan": ("多出（元）", "extra (yuan)"),
    "cumulative_extra_yuan": ("累计多出（元）", "extra so far (yuan)"),
    "against_weighted_unmet_mean": ("对照路径加权缺口均值", "against path, weighted shortfall"),
    "weighted_unmet_difference_mean": ("加权缺口之差均值", "shortfall difference, mean"),
    "weighted_unmet_difference_ci_low": ("加权缺口之差95%下限", "shortfall difference, low"),
    "weighted_unmet_difference_ci_high": ("加权缺口之差95%上限", "shortfall difference, high"),
    "people_without_relief_difference_mean": ("未得到初步救助之差均值", "without relief, mean"),
    "people_without_relief_difference_ci_low": ("未得到初步救助之差95%下限", "relief, low"),
    "people_without_relief_difference_ci_high": (
        "未得到初步救助之差95%上限",
        "without relief, high",
    ),
    "trapped_lost_difference_mean": ("延误死亡之差均值", "lives lost, difference, mean"),
    "trapped_lost_difference_ci_low": ("延误死亡之差95%下限", "lives lost, difference, low"),
    "trapped_lost_difference_ci_high": ("延误死亡之差95%上限", "lives lost, difference, high"),
}


def column_title(key: str, hazards: dict[str, str]) -> str:
    """A data column's header, ``中文 key``: a hazard's or category's breakdown by its name.

    ``hazards`` maps hazard ids to their Chinese names (the scenario's). A key
    with no Chinese (a sweep's own axis path) stays as it is.
    """
    kind, _, value = key.partition("=")
    if key in COLUMN_LABELS:
        zh = COLUMN_LABELS[key][0]
    elif key in AXIS_LABELS:
        zh = AXIS_LABELS[key][0]
    elif key.endswith("_label") and key.removesuffix("_label") in AXIS_LABELS:
        zh = AXIS_LABELS[key.removesuffix("_label")][0] + "（标签）"
    elif kind == "hazard" and value in hazards:
        zh = f"{hazards[value]}加权缺口"
    elif kind == "category" and value in CATEGORY_LABELS:
        zh = f"{CATEGORY_LABELS[value][0]}加权缺口"
    else:
        return key
    return f"{zh} {key}"


def page_word(key: str, lang: str) -> str:
    """The browser page's wording ``key`` in ``lang`` (``yingji serve``)."""
    return in_lang(PAGE_WORDS[key], lang)


# Each language's own name, for the switch between them (a name is shown as its speakers write it).
LANGUAGE_NAMES = (("zh", "中文"), ("en", "English"))

# The browser pages of ``yingji serve``.
PAGE_WORDS: dict[str, Pair] = {
    "title": ("县应急物资规划", "County emergency supplies planner"),
    "county": ("县情", "The county"),
    "county_in_use": ("当前使用的县", "County in use"),
    "bundled": ("内置示例县", "the bundled county"),
    "uploaded": ("上传的工作簿", "uploaded workbook"),
    "use_bundled": ("改用内置示例县", "Use the bundled county"),
    "upload": (
        "上传县工作簿（yingji init 生成的 .xlsx，或 TOML 与 CSV 文件打成的 .zip，最大 {} MB）",
        "Upload a county workbook (the yingji init .xlsx, or the TOML and CSV files in a .zip; "
        "at most {} MB)",
    ),
    "upload_button": ("上传并使用", "Upload and use"),
    "upload_refused": ("未接受上传", "Upload refused"),
    "too_large": ("文件超过 {} MB，未接受", "the file is larger than {} MB: refused"),
    "not_xlsx": (
        "只接受 Excel 工作簿 (.xlsx) 或 TOML 与 CSV 文件的 .zip；启用宏的 .xlsm 或旧的 .xls "
        "文件请另存为 .xlsx",
        "only Excel workbooks (.xlsx) or a .zip of the TOML and CSV files are read: save an "
        ".xlsm or .xls file as .xlsx",
    ),
    "too_big_inside": (
        "工作簿解压后过大，未接受",
        "the workbook is too large once unpacked: refused",
    ),
    "no_file": ("请先选择一个文件", "choose a file first"),
    "map": ("乡镇分布图（圆面积为人口，颜色为人口）", "Townships (area and colour: population)"),
    "population": ("人口（人）", "population (people)"),
    "stock": (
        "现有储备价值（元），按层级和类别",
        "Value of today's stock (yuan), by tier and category",
    ),
    "col_tier": ("层级", "tier"),
    "col_category": ("类别", "category"),
    "col_total": ("合计", "total"),
    "simulate_today": ("模拟现状", "Simulate today"),
    "simulate_button": ("开始模拟", "Simulate"),
    "years_to_simulate": ("模拟年数", "Years to simulate"),
    "cli_default": ("命令行默认 {}", "the CLI's default: {}"),
    "today_results": ("现状：主要结果（95%置信区间）", "Today: headline outcomes (95% CI)"),
    "today_map": (
        "各乡镇加权缺口（元当量/年）",
        "Weighted shortfall by township (yuan-equivalent / year)",
    ),
    "optimize": ("这笔预算买什么？", "What do we buy with the budget?"),
    "budget": ("采购预算（元）", "Procurement budget (yuan)"),
    "budget_forms": (
        "可写作 2800000、2,800,000、280万 或 2.8M",
        "write it as 2800000, 2,800,000 or 2.8M",
    ),
    "budget_bad": ("预算：{}", "budget: {}"),
    "sampled_years": ("优化抽样年数", "Sampled years (optimiser)"),
    "judging_years": ("评估模拟年数", "Judging years (simulation)"),
    "whole_number": ("{}：请填写 {} 到 {} 之间的整数", "{}: give a whole number from {} to {}"),
    "left_out": (
        "网页版不运行贪心基线和模拟改进步骤（命令行默认运行）；计算完成后同时生成报告。",
        "The page leaves out the greedy baseline and the improvement step (the CLI runs "
        "them); the report is written when the plan is done.",
    ),
    "start": ("开始优化", "Optimise"),
    "jobs": ("计算任务", "Jobs"),
    "no_jobs": ("还没有计算任务", "No jobs yet"),
    "kind_simulate": ("现状模拟", "Simulation of today"),
    "kind_optimize": ("采购优化", "Purchase plan"),
    "state_queued": ("排队中", "queued"),
    "state_running": ("运行中", "running"),
    "state_done": ("已完成", "done"),
    "state_failed": ("失败", "failed"),
    "state_interrupted": ("已中断（服务器曾停止）", "interrupted (the server stopped)"),
    "run_again": ("重新运行", "Run again"),
    "open": ("查看", "open"),
    "started_at": ("创建时间", "created"),
    "time_left": ("预计还需 {}", "about {} left"),
    "no_estimate": ("正在计算，暂无剩余时间估计", "working: no estimate of the time left yet"),
    "elapsed": ("已用时 {}", "{} elapsed"),
    "step_of": ("第 {} 步，共 {} 步", "step {} of {}"),
    "refreshes": ("页面每几秒自动更新", "this page updates itself every few seconds"),
    "failed_because": ("失败原因", "why it failed"),
    "plan": ("采购清单", "What to buy"),
    "col_item": ("物资", "item"),
    "col_depot": ("储备点", "depot"),
    "col_quantity": ("数量", "quantity"),
    "col_unit": ("单位", "unit"),
    "col_price": ("单价（元）", "unit price (yuan)"),
    "col_amount": ("金额（元）", "amount (yuan)"),
    "judged": (
        "模拟评估：加权缺口（元当量/年，95%置信区间）",
        "Judged by simulation: weighted shortfall (yuan-equivalent / year, 95% CI)",
    ),
    "col_plan": ("方案", "plan"),
    "col_purchases": ("采购金额（元）", "purchases (yuan)"),
    "col_mean": ("均值", "mean"),
    "col_ci": ("95%置信区间", "95% CI"),
    "col_vs": ("比现状（配对差，95%置信区间）", "against today (paired difference, 95% CI)"),
    "downloads": ("下载", "Downloads"),
    "download_excel": (
        "采购清单 Excel（交采购科）",
        "Purchasing list, Excel (for the purchasing office)",
    ),
    "download_html": ("报告 HTML", "Report, HTML"),
    "download_pdf": ("报告 PDF", "Report, PDF"),
    "spending": ("计划支出", "What the plan spends"),
    "back": ("返回县情页", "Back to the county"),
    "login": ("请输入访问口令", "Enter the access token"),
    "login_button": ("进入", "Enter"),
    "login_wrong": ("口令不对", "wrong token"),
    "not_found": ("找不到这个页面或任务", "No such page or job"),
    "settings": ("设置", "settings"),
}

PAGE_WORDS |= {
    "minutes": ("{}分{}秒", "{} min {} s"),
    "seconds": ("{}秒", "{} s"),
    "no_length": ("上传缺少长度信息，未接受", "the upload did not say its length: refused"),
    "job_kind": ("任务", "job"),
    "state": ("状态", "state"),
    "map_caption": ("乡镇分布图", "Township map"),
}

# The page's questions beyond the first plan: what more money buys, plan A against plan B,
# a plan edited in a table; and cancelling, the form token, the time left in all.
PAGE_WORDS |= {
    "csrf_refused": (
        "表单已过期或来自其他网站，未接受：请刷新页面后重试",
        "the form is out of date or came from another site: refused; reload the page and try again",
    ),
    "kind_sweep": ("预算扫描", "Budget sweep"),
    "kind_compare": ("方案对比", "Plan A against plan B"),
    "kind_edit": ("修改后的方案", "Edited plan"),
    "state_cancelled": ("已取消", "cancelled"),
    "cancel": ("取消任务", "Cancel the job"),
    "cancelled_note": (
        "任务已取消，未完成的结果已删除；可以重新运行。",
        "The job was cancelled and its unfinished results removed; it can be run again.",
    ),
    "job_left": ("整个任务预计还需 {}", "about {} left for the whole job"),
    "step_left": (
        "本步预计还需 {}；其后 {} 步暂无估计",
        "about {} left in this step; no estimate yet for the {} steps after it",
    ),
    "sweep": ("多花的钱能买什么？（预算扫描）", "What does more money buy? (budget sweep)"),
    "budgets": ("预算（元）", "Budgets (yuan)"),
    "budgets_default": ("当前 +50万 +100万", "current +0.5M +1M"),
    "budgets_forms": (
        "2 到 {} 个预算，用空格或分号分开；可写 280万、2.8M、2,800,000，“当前”为本县预算，"
        "+50万 为比当前多 50万",
        "2 to {} budgets apart by spaces or semicolons, each as 2800000, 2,800,000 or 2.8M; "
        "current is the county's budget, +0.5M is that much more",
    ),
    "budgets_bad": ("预算：{}：{}", "budgets: {}: {}"),
    "budgets_count": (
        "预算：请给出 {} 到 {} 个不同的预算（现在是 {} 个）",
        "budgets: give {} to {} different budgets (got {})",
    ),
    "sweep_how": (
        "先对每个预算优化并在相同的模拟年份上评估（yingji sweep），再给出每个预算下的采购清单，"
        "以便逐项比较。",
        "Each budget is optimised and judged on the same simulated years (yingji sweep); "
        "then each budget's plan is made, to compare item by item.",
    ),
    "sweep_button": ("开始扫描", "Sweep"),
    "frontier": (
        "资金前沿：各预算下的加权缺口（元当量/年，95%置信区间）",
        "Funding frontier: weighted shortfall by budget (yuan-equivalent / year, 95% CI)",
    ),
    "frontier_note": (
        "每个预算模拟 {} 年，各预算用相同的模拟年份；“比上一档”是同年配对差（正数为缺口减少）。",
        "{} simulated years per budget, the same years for every budget; the step is the "
        "paired difference from the budget before (positive: less shortfall).",
    ),
    "frontier_caption": (
        "上：加权缺口与预算；下：每一档增加的预算带来的减少",
        "Top: weighted shortfall against budget; below: what each step of budget cuts",
    ),
    "col_budget": ("预算（元）", "budget (yuan)"),
    "col_spends": ("方案采购金额（元）", "the plan buys (yuan)"),
    "col_step": ("比上一档减少（元当量/年）", "cut from the budget before (yuan-eq. / year)"),
    "col_step_ci": ("减少量95%置信区间", "the cut's 95% CI"),
    "status_quo_level": (
        "现状（不采购）的加权缺口（95%置信区间）",
        "Status quo (buy nothing), weighted shortfall (95% CI)",
    ),
    "extra_buys": ("多出的钱逐项买什么", "What the extra money buys, item by item"),
    "from_budget": ("从预算", "from budget"),
    "to_budget": ("到预算", "to budget"),
    "show": ("显示", "Show"),
    "extra_money": ("从 {} 元到 {} 元（{} 元）：", "From {} to {} yuan ({} yuan):"),
    "col_before": ("前一方案数量", "quantity before"),
    "col_after": ("后一方案数量", "quantity after"),
    "col_change": ("变化", "change"),
    "col_change_yuan": ("变化金额（元）", "change (yuan)"),
    "plans_note": (
        "清单来自 yingji optimize 在各预算下用与扫描相同的抽样年份和种子求得的方案。",
        "The lists are the plans yingji optimize makes at each budget on the sweep's own "
        "sampled years and seed.",
    ),
    "pair_outcomes": (
        "这两个方案的模拟加权缺口（元当量/年，95%置信区间）：{} 元时 {}；{} 元时 {}",
        "These two plans' simulated weighted shortfall (yuan-equivalent / year, 95% CI): "
        "at {} yuan {}; at {} yuan {}",
    ),
    "plans_differ": (
        "注意：重新求得的方案与扫描中该预算的方案评估结果不同（目标值相同的另一个方案），"
        "以本段的数字为准。",
        "Note: a plan made again differs from the sweep cell's in its simulated outcome (another "
        "plan of the same objective); the figures in this part are its own.",
    ),
    "no_difference": (
        "请选择两个不同的预算（或该预算的方案未生成）。",
        "Choose two different budgets (or a budget's plan was not made).",
    ),
    "compare": ("方案甲对比方案乙", "Plan A against plan B"),
    "plan_side": ("方案 {}", "Plan {}"),
    "or_upload_plan": (
        "或上传方案文件（CSV、xlsx、JSON）",
        "or upload a plan file (CSV, xlsx, JSON)",
    ),
    "compare_how": (
        "两个方案在相同的模拟年份上模拟（yingji compare），给出配对差及其95%置信区间。",
        "Both plans are simulated on the same years (yingji compare): the paired difference "
        "with its 95% CI.",
    ),
    "compare_button": ("开始对比", "Compare"),
    "same_plan": (
        "方案甲和方案乙是同一个方案，请选两个不同的方案",
        "A and B are the same plan: pick two",
    ),
    "choose_plan": (
        "方案 {}：请从列表中选择一个方案或上传文件",
        "plan {}: pick one from the list or upload a file",
    ),
    "not_plan_file": (
        "方案文件只接受 CSV、xlsx 或 JSON",
        "a plan file must be CSV, xlsx or JSON",
    ),
    "compared": (
        "两个方案在相同的 {} 个模拟年份上的加权缺口（元当量/年，95%置信区间）",
        "Both plans on the same {} simulated years: weighted shortfall "
        "(yuan-equivalent / year, 95% CI)",
    ),
    "paired_difference": (
        "配对差（后者减前者，元当量/年，95%置信区间）",
        "Paired difference (second minus first, yuan-equivalent / year, 95% CI)",
    ),
    "paired_note": (
        "负数表示后一个方案缺口更小；置信区间不含 0 才算有显著差别。",
        "Negative: the second plan leaves less shortfall; only an interval without 0 is a "
        "difference.",
    ),
    "forest_caption": (
        "配对差及95%置信区间：合计、按灾种、按类别",
        "Paired differences with 95% CIs: total, by hazard, by category",
    ),
    "col_breakdown": ("分组方式", "breakdown"),
    "col_group": ("分组", "group"),
    "col_first": ("前者均值", "first, mean"),
    "col_second": ("后者均值", "second, mean"),
    "col_difference": ("配对差（95%置信区间）", "paired difference (95% CI)"),
    "col_verdict": ("结论", "verdict"),
    "over_budget": ("超出预算（仍按给定方案评估）：{}", "over the budget (judged as given): {}"),
    "original_plan": ("原方案", "original plan"),
    "edited_plan": ("修改后的方案", "edited plan"),
    "edit_link": ("在表格中修改这个方案并评估", "Edit this plan in a table and judge it"),
    "edit_again": ("继续修改", "Edit it further"),
    "edit_budget_plan": ("修改预算 {} 元的方案并评估", "Edit the plan at {} yuan and judge it"),
    "to_original": ("原方案的任务", "the original plan's job"),
    "back_to_job": ("返回任务", "Back to the job"),
    "edit_title": ("修改采购数量", "Edit the quantities"),
    "edit_how": (
        "改动数量（0 为不买），可加一行；方案的预算 {} 元，原方案采购 {} 元。",
        "Change the quantities (0: buy none), or add a line; the plan's budget is {} yuan, "
        "it buys {} yuan.",
    ),
    "add_line": ("（加一行：选物资）", "(add a line: pick an item)"),
    "edit_judged": (
        "提交后，修改后的方案与原方案在相同的模拟年份上评估（yingji compare）。",
        "Submitted, the edited plan is judged beside the original on the same simulated "
        "years (yingji compare).",
    ),
    "judge_button": ("评估修改后的方案", "Judge the edited plan"),
    "edit_row": ("第 {} 行（{} · {}）", "row {} ({} · {})"),
    "edit_added": ("新加的一行", "the added line"),
    "quantity_bad": (
        "{}：数量：请填写 0 到 {} 之间的整数（填的是“{}”）",
        "{}: quantity: give a whole number from 0 to {} (got '{}')",
    ),
    "add_pick": (
        "新加的一行：请选择物资和储备点",
        "the added line: pick an item and a depot",
    ),
    "changes": ("改动了哪些（原方案 → 修改后）", "What changed (original → edited)"),
    "edit_unchanged": (
        "表格中的数量与原方案相同：请先改动数量再评估",
        "the table holds the plan as it was: change a quantity first",
    ),
}

# A county uploaded as a zip of its TOML and CSV files: each refusal names the zip (and member).
PAGE_WORDS |= {
    "zip_not_zip": ("不是有效的 zip 文件", "not a zip file"),
    "zip_too_many": (
        "zip 内文件过多（最多 {} 个，实有 {} 个）",
        "too many files in the zip (at most {}, found {})",
    ),
    "zip_too_big": ("zip 解压后超过 {} MB，未接受", "the zip unpacks to more than {} MB: refused"),
    "zip_outside": (
        "{}：路径指向文件夹之外（绝对路径或 ..），未接受",
        "{}: a path outside the folder (absolute or ..): refused",
    ),
    "zip_link": ("{}：不接受链接文件", "{}: a link: refused"),
    "zip_encrypted": ("{}：不接受加密文件", "{}: encrypted: refused"),
    "zip_no_toml": (
        "zip 中没有县的 .toml 设置文件（格式同 scenarios/default_county.toml）",
        "no county .toml settings file in the zip (the form of scenarios/default_county.toml)",
    ),
    "zip_two_tomls": (
        "zip 顶层有不止一个 .toml 文件（{}）：只放一个县",
        "more than one .toml file at the top of the zip ({}): one county only",
    ),
    "zip_table_outside": (
        "{}：tables.{}：表格必须是 zip 内的文件（填的是“{}”）",
        "{}: tables.{}: a table must be a file in the zip (got '{}')",
    ),
}
