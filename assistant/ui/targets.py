"""目标指标: the quantified targets, filtered by deadline year, document and indicator, charted by
deadline and exportable; a row opens the sentence that states it, in its clause."""

from __future__ import annotations

import re

import gradio as gr
import pandas as pd

from .. import export
from ..pipeline import Assistant
from ..schema import Target
from ..targets import value_text
from . import render
from .theme import SCROLL_TO_MARK
from .viewer import ClauseViewer, Exports, row_of

ALL_YEARS, ALL_DOCS = "全部年份", "全部文件"
HEADERS = ["截止时间", "指标", "目标值", "基期", "范围", "原文", "条款", "文件"]
UNDATED = "未注明"
LEVEL_COLORS = {"市": "#2563eb", "省": "#16a34a", "国家": "#dc2626", "其他": "#94a3b8"}
PICK = "点击表格中的一行，查看该目标在条款中的原文。"
LEVEL_ORDER_CHART = {"市": 0, "省": 1, "国家": 2}
BAR_ROOM = 85  # the tallest column's share of the chart's height, in %: its count sits above it
PHONE_LABELS, WIDE_LABELS = 6, 16  # year labels that fit under the chart on a phone and on a wide screen
_YEAR = re.compile(r"20\d\d")
_PLAN_END = {"十四五": "2025", "十五五": "2030"}  # “十四五”末 is the end of 2025


def deadline_year(deadline: str) -> str:
    """The year a deadline falls in, for ordering the chart: 2023年底前 -> 2023, “十四五”末 -> 2025."""
    found = _YEAR.search(deadline)
    if found:
        return found.group()
    return next((year for plan, year in _PLAN_END.items() if plan in deadline), "")


def build(assistant: Assistant, viewer: ClauseViewer, exports: Exports) -> None:
    everything = assistant.targets()
    years = sorted({y for t in everything for y in _YEAR.findall(t.deadline)})
    undated = any(not deadline_year(t.deadline) for t in everything)
    doc_ids = [d for d in viewer.docs if any(t.doc_id == d for t in everything)]
    headings = {(t.doc_id, t.path): _heading(assistant, t) for t in everything}

    def refresh(year: str, doc: str, keyword: str):
        rows = assistant.targets(
            year=None if year in (ALL_YEARS, UNDATED) else year, doc=None if doc == ALL_DOCS else doc
        )
        rows = [t for t in rows if year != UNDATED or not deadline_year(t.deadline)]
        kw = (keyword or "").strip()
        rows = [t for t in rows if not kw or kw in t.indicator or kw in t.segment]
        table = pd.DataFrame([_row(t, viewer, headings) for t in rows], columns=HEADERS)
        csv_rows = [{**r, "doc_id": viewer.label(r["doc_id"])} for r in export.target_rows(rows)]
        csv = export.to_csv(csv_rows, export.TARGET_COLUMNS, export.CHINESE_COLUMNS)
        return (
            _summary(rows, year, doc, kw, viewer),
            exports.write("目标指标", csv),
            chart_html(_timeline(rows, viewer)),
            table,
            [t.model_dump() for t in rows],
            render.placeholder_html(PICK),
        )

    def open_target(shown: list[dict], evt: gr.SelectData):
        at = row_of(evt.index, len(shown or []))
        if at is None:
            return render.placeholder_html(PICK)
        t = Target(**shown[at])
        return viewer.show(t.doc_id, t.path, t.segment or t.sentence)

    summary0, csv0, chart0, table0, shown0, detail0 = refresh(ALL_YEARS, ALL_DOCS, "")
    with gr.Tab("目标指标", id="targets"):
        with gr.Row(equal_height=True):
            year = gr.Dropdown(
                [ALL_YEARS] + years + ([UNDATED] if undated else []),
                value=ALL_YEARS,
                label="截止年份",
                scale=2,
                elem_id="target-year",
            )
            doc = gr.Dropdown(
                [ALL_DOCS] + [(viewer.label(d), d) for d in doc_ids],
                value=ALL_DOCS,
                label="文件",
                scale=3,
                elem_id="target-doc",
            )
            keyword = gr.Textbox(
                label="指标关键词", placeholder="如：光伏、能耗、非化石能源", scale=3, elem_id="target-filter"
            )
        chart = gr.HTML(chart0, elem_id="target-chart")
        with gr.Row(equal_height=True):
            summary = gr.HTML(summary0, elem_id="target-summary")
            download = gr.DownloadButton(
                "导出 CSV", value=csv0, size="md", scale=0, min_width=120, elem_id="target-csv"
            )
        table = gr.Dataframe(
            table0,
            label="目标",
            show_label=False,
            buttons=[],
            interactive=False,
            wrap=True,
            max_height=420,
            elem_id="target-table",
            column_widths=["9%", "15%", "11%", "7%", "6%", "28%", "11%", "13%"],
            elem_classes="wide-table",
        )
        detail = gr.HTML(detail0, elem_id="target-clause", js_on_load=SCROLL_TO_MARK)
        shown = gr.State(shown0)
        gr.on(
            [year.change, doc.change, keyword.change],
            refresh,
            [year, doc, keyword],
            [summary, download, chart, table, shown, detail],
            api_visibility="private",
            trigger_mode="always_last",
            show_progress="hidden",
        )
        table.select(open_target, [shown], detail, api_visibility="private")


def _heading(assistant: Assistant, t: Target) -> str:
    clause = assistant.clause(t.doc_id, t.path)
    return clause.heading if clause else ""


def _summary(rows: list[Target], year: str, doc: str, keyword: str, viewer: ClauseViewer) -> str:
    if rows:
        return f'<div class="summary">共 {len(rows)} 项目标</div>'
    asked = [
        year if year != ALL_YEARS else "",
        viewer.label(doc) if doc != ALL_DOCS else "",
        f"关键词“{keyword}”" if keyword else "",
    ]
    said = "、".join(a for a in asked if a) or "当前条件"
    return f'<div class="summary empty-note">没有符合条件的目标：{render.esc(said)}。请换个年份或关键词，或清空筛选条件。</div>'


def _row(t: Target, viewer: ClauseViewer, headings: dict) -> list[str]:
    clause = f"{t.path}{headings.get((t.doc_id, t.path), '')}"  # 二、主要目标, not 二、 alone
    return [
        t.deadline or UNDATED,
        t.indicator,
        value_text(t),
        t.baseline,
        t.scope,
        t.segment or t.sentence,
        clause,
        viewer.label(t.doc_id),
    ]


def _timeline(rows: list[Target], viewer: ClauseViewer) -> list[tuple[str, dict[str, int]]]:
    """Targets counted by the year their deadline falls in (未注明 last), split by the level of their document."""
    counts: dict[str, dict[str, int]] = {}
    for t in rows:
        year = deadline_year(t.deadline)
        by_level = counts.setdefault(f"{year}年" if year else UNDATED, {})
        level = viewer.level(t.doc_id)
        by_level[level] = by_level.get(level, 0) + 1
    return sorted(counts.items(), key=lambda kv: (kv[0] == UNDATED, kv[0]))


def label_step(count: int, room: int) -> int:
    """Show every k-th label so that at most `room` labels show: 14 years in room for 6 -> every 3rd."""
    return max(1, -(-count // max(1, room)))


def chart_html(bars: list[tuple[str, dict[str, int]]]) -> str:
    """Columns of targets per year, stacked by level. Crowded labels are thinned, not rotated: every
    k-th shows (the first and last always), k chosen so at most PHONE_LABELS show on a phone and
    WIDE_LABELS on a wide screen (CSS hides the others by screen width)."""
    if not bars:
        return '<div class="chart"><div class="chart-empty">没有可显示的目标：图表为空。</div></div>'
    top = max(sum(v.values()) for _, v in bars)
    phone, wide = label_step(len(bars), PHONE_LABELS), label_step(len(bars), WIDE_LABELS)
    columns = [_column(year, by_level, top) for year, by_level in bars]
    labels = []
    for i, (year, _) in enumerate(bars):
        ends = i in (0, len(bars) - 1)
        thin = [c for c, step in (("thin-phone", phone), ("thin-wide", wide)) if not ends and i % step]
        labels.append(f'<span class="{" ".join(["chart-label", *thin])}">{render.esc(year)}</span>')
    legend = "".join(
        f'<span><i style="background:{c}"></i>{lv}{"级" if lv != "其他" else ""}</span>'
        for lv, c in LEVEL_COLORS.items()
        if any(lv in v for _, v in bars)
    )
    return (
        f'<div class="chart"><div class="chart-title">各年份到期的目标数</div><div class="chart-legend">{legend}</div>'
        f'<div class="chart-cols" style="--n:{len(bars)}">{"".join(columns)}</div>'
        f'<div class="chart-labels" style="--n:{len(bars)}">{"".join(labels)}</div></div>'
    )


def _column(year: str, by_level: dict[str, int], top: int) -> str:
    """One year's column: a segment per level (市 at the bottom), its count on top."""
    segments = []
    for level, n in sorted(by_level.items(), key=lambda kv: LEVEL_ORDER_CHART.get(kv[0], 9)):
        colour = LEVEL_COLORS.get(level, LEVEL_COLORS["其他"])
        segments.append(
            f'<div class="chart-seg" style="height:{BAR_ROOM * n / top:.1f}%;background:{colour}"'
            f' title="{render.esc(year)} · {render.esc(level)}级 {n} 项"></div>'
        )
    total = sum(by_level.values())
    return (
        f'<div class="chart-col" title="{render.esc(year)}：{total} 项"><div class="chart-bar">{"".join(segments)}'
        f'<span class="chart-n">{total}</span></div></div>'
    )
