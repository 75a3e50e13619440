"""目标指标: the quantified targets, filtered by deadline year, document and indicator, charted by
deadline and exportable; a row opens the sentence that states it, in its clause."""
from __future__ import annotations

import re

import gradio as gr
import pandas as pd

from .. import export
from ..pipeline import Assistant
from ..schema import Target
from . import render
from .theme import SCROLL_TO_MARK
from .viewer import ClauseViewer, Exports, row_of

ALL_YEARS, ALL_DOCS = "全部年份", "全部文件"
HEADERS = ["截止时间", "指标", "目标值", "基期", "范围", "原文", "条款", "文件"]
UNDATED = "未注明"
LEVEL_COLORS = {"市": "#2563eb", "省": "#16a34a", "国家": "#dc2626", "其他": "#94a3b8"}
PICK = "点击表格中的一行，查看该目标在条款中的原文。"
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
    doc_ids = [d for d in viewer.docs if any(t.doc_id == d for t in everything)]

    def refresh(year: str, doc: str, keyword: str):
        rows = assistant.targets(year=None if year == ALL_YEARS else year, doc=None if doc == ALL_DOCS else doc)
        kw = (keyword or "").strip()
        rows = [t for t in rows if not kw or kw in t.indicator or kw in t.segment]
        table = pd.DataFrame([_row(t, viewer) for t in rows], columns=HEADERS)
        csv = export.to_csv(export.target_rows(rows), export.TARGET_COLUMNS)
        summary = f'<div class="summary">共 {len(rows)} 项目标</div>'
        # only the data changes: an update that also sets other plot props keeps showing the old data
        return (summary, exports.write("目标指标", csv), _timeline(rows, viewer), table,
                [t.model_dump() for t in rows], render.placeholder_html(PICK))

    def open_target(shown: list[dict], evt: gr.SelectData):
        at = row_of(evt.index, len(shown or []))
        if at is None:
            return render.placeholder_html(PICK)
        t = Target(**shown[at])
        return viewer.show(t.doc_id, t.path, t.segment or t.sentence)

    summary0, csv0, chart0, table0, shown0, detail0 = refresh(ALL_YEARS, ALL_DOCS, "")
    with gr.Tab("目标指标", id="targets"):
        with gr.Row(equal_height=True):
            year = gr.Dropdown([ALL_YEARS] + years, value=ALL_YEARS, label="截止年份", scale=2, elem_id="target-year")
            doc = gr.Dropdown([ALL_DOCS] + [(viewer.title(d), d) for d in doc_ids], value=ALL_DOCS, label="文件",
                              scale=3, elem_id="target-doc")
            keyword = gr.Textbox(label="指标关键词", placeholder="如：光伏、能耗、非化石能源", scale=3, elem_id="target-filter")
        chart = gr.BarPlot(chart0, sort="x", x="年份", y="目标数", color="层级", title="各年份到期的目标数",
                           x_title="截止年份", y_title="目标数", color_map=LEVEL_COLORS, height=230, elem_id="target-chart")
        with gr.Row(equal_height=True):
            summary = gr.HTML(summary0, elem_id="target-summary")
            download = gr.DownloadButton("导出 CSV", value=csv0, size="md", scale=0, min_width=120, elem_id="target-csv")
        table = gr.Dataframe(table0, interactive=False, wrap=True, max_height=420, elem_id="target-table",
                             column_widths=["9%", "15%", "9%", "7%", "6%", "32%", "9%", "13%"])
        detail = gr.HTML(detail0, elem_id="target-clause", js_on_load=SCROLL_TO_MARK)
        shown = gr.State(shown0)
        for control in (year.change, doc.change, keyword.change):
            control(refresh, [year, doc, keyword], [summary, download, chart, table, shown, detail], api_visibility="private",
                    trigger_mode="always_last")
        table.select(open_target, [shown], detail, api_visibility="private")


def _row(t: Target, viewer: ClauseViewer) -> list[str]:
    value = f"{t.value}{t.unit}{t.qualifier}" if t.value else t.qualifier
    return [t.deadline or UNDATED, t.indicator, value, t.baseline, t.scope, t.segment or t.sentence, t.path,
            viewer.title(t.doc_id)]


def _timeline(rows: list[Target], viewer: ClauseViewer) -> pd.DataFrame:
    """Targets counted by the year their deadline falls in, stacked by the level of their document."""
    counts: dict[tuple[str, str], int] = {}
    for t in rows:
        year = deadline_year(t.deadline)
        key = (f"{year}年" if year else UNDATED, viewer.level(t.doc_id))
        counts[key] = counts.get(key, 0) + 1
    return pd.DataFrame([[y, level, n] for (y, level), n in counts.items()], columns=["年份", "层级", "目标数"])
