"""部门职责: a department's tasks (lead or participant), filterable and exportable; a task's row
opens its clause and every department its responsibility note names."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from .. import export
from ..pipeline import Assistant
from ..schema import Department, Task
from . import render
from .theme import SCROLL_TO_MARK
from .viewer import ClauseViewer, Exports, row_of

ROLES = ["全部", "牵头", "列首位", "参与"]
HEADERS = ["部门", "角色", "条款", "任务", "文件", "分工说明"]
PICK = "点击表格中的一行：显示该任务的牵头（或列首位）和参与部门，以及条款原文。"
NAMED_SHOWN = 8  # departments a typed name matches, listed in the summary


def build(assistant: Assistant, viewer: ClauseViewer, exports: Exports) -> None:
    home = assistant.settings.home_place
    # the home place's departments first, the busiest first: 发改委 before 邮政管理局
    departments = sorted(assistant.departments(), key=lambda d: (d.place != home, -len(d.tasks)))
    # where a department belongs, for people: a document with no place stands for itself, by its title
    places = {
        d.place: render.short_title(viewer.title(d.place)) if viewer.has(d.place) else d.place for d in departments
    }
    # a task's keyword is looked for in its whole clause: 光伏 is in the text, seldom in the heading
    texts = {t.clause_id: _clause_text(assistant, t) for d in departments for t in d.tasks}

    def matching(name: str) -> list[Department]:
        typed = (name or "").strip()
        return [d for d in departments if not typed or any(typed in n for n in [_label(d, places), d.name, *d.names])]

    def filtered(name: str, role: str, keyword: str) -> list[tuple[Department, Task]]:
        kw = (keyword or "").strip()
        return [
            (d, t)
            for d in matching(name)
            for t in d.tasks
            if role in (None, "全部", t.role) and (not kw or kw in f"{t.path}{t.heading}{t.note}{texts[t.clause_id]}")
        ]

    def refresh(name: str, role: str, keyword: str):
        rows = filtered(name, role, keyword)
        table = pd.DataFrame(
            [[_label(d, places), t.role, t.path, t.heading, viewer.label(t.doc_id), t.note] for d, t in rows],
            columns=HEADERS,
        )
        kept = [d.model_copy(update={"tasks": [t for e, t in rows if e is d]}) for d in departments]
        csv_rows = [{**r, "doc_id": viewer.label(r["doc_id"])} for r in export.task_rows([d for d in kept if d.tasks])]
        csv = export.to_csv(csv_rows, export.TASK_COLUMNS, export.CHINESE_COLUMNS)
        return (
            _summary(rows, matching(name), name, role, keyword, places),
            exports.write("部门职责", csv),
            table,
            [t.model_dump() for _, t in rows],
            render.placeholder_html(PICK),
        )

    def open_task(shown: list[dict], evt: gr.SelectData):
        at = row_of(evt.index, len(shown or []))
        if at is None:
            return render.placeholder_html(PICK)
        task = Task(**shown[at])
        return _sharing_html(task, departments, places) + viewer.show(task.doc_id, task.path, "")

    summary0, csv0, table0, shown0, detail0 = refresh("", "全部", "")
    with gr.Tab("部门职责", id="departments"):
        with gr.Row(equal_height=True):
            dept = gr.Textbox(
                label="部门（输入名称筛选）", placeholder="如：供电、发改委、住建", scale=3, elem_id="dept-pick"
            )
            role = gr.Radio(ROLES, value="全部", label="角色", scale=3, min_width=280, elem_id="dept-role")
            keyword = gr.Textbox(label="任务关键词", placeholder="如：光伏、交通、建筑", scale=3, elem_id="dept-filter")
        with gr.Row(equal_height=True):
            summary = gr.HTML(summary0, elem_id="dept-summary")
            download = gr.DownloadButton("导出 CSV", value=csv0, size="md", scale=0, min_width=120, elem_id="dept-csv")
        table = gr.Dataframe(
            table0,
            label="部门任务",
            show_label=False,
            buttons=[],
            interactive=False,
            wrap=True,
            max_height=430,
            elem_id="dept-tasks",
            column_widths=["11%", "8%", "10%", "19%", "14%", "38%"],
            elem_classes="wide-table",
        )
        detail = gr.HTML(detail0, elem_id="dept-task", js_on_load=SCROLL_TO_MARK)
        shown = gr.State(shown0)
        # as typed: every keystroke filters, not only on Enter or leaving the box; one listener for all three
        # boxes, so the latest state wins across boxes (a listener per box let an older result land last)
        gr.on(
            [dept.change, role.change, keyword.change],
            refresh,
            [dept, role, keyword],
            [summary, download, table, shown, detail],
            api_visibility="private",
            trigger_mode="always_last",
            show_progress="hidden",
        )
        table.select(open_task, [shown], detail, api_visibility="private")


def _clause_text(assistant: Assistant, task: Task) -> str:
    clause = assistant.clause(task.doc_id, task.path)
    return clause.text if clause else ""


def _summary(rows, named: list[Department], name: str, role: str, keyword: str, places: dict[str, str]) -> str:
    if not rows:
        asked = "、".join(
            f"{k}“{v.strip()}”" for k, v in (("部门", name or ""), ("关键词", keyword or "")) if v.strip()
        )
        asked += f"（角色：{role}）" if role not in (None, "全部") else ""
        return f'<div class="summary empty-note">没有符合条件的任务：{render.esc(asked or "当前条件")}。请换个说法或清空筛选条件。</div>'
    lead = sum(t.role == "牵头" for _, t in rows)
    first = sum(t.role == "列首位" for _, t in rows)
    text = f"共 {len(rows)} 项任务，其中牵头 {lead} 项、列首位 {first} 项"
    if (name or "").strip():
        listed = "、".join(_label(d, places) for d in named[:NAMED_SHOWN]) + ("等" if len(named) > NAMED_SHOWN else "")
        text += f"；匹配部门 {len(named)} 个：{listed}"
    return f'<div class="summary">{render.esc(text)}</div>'


def _label(d: Department, places: dict[str, str]) -> str:
    return f"{d.name}（{places[d.place]}）" if len(places) > 1 and d.place else d.name


def _sharing_html(task: Task, departments: list[Department], places: dict[str, str]) -> str:
    """The departments one responsibility note names, in the note's order, lead first."""
    named = [(d, t) for d in departments for t in d.tasks if t.clause_id == task.clause_id and t.note == task.note]
    named.sort(
        key=lambda dt: (
            dt[1].role == "参与",
            min((task.note.find(n) for n in dt[0].names if n in task.note), default=999),
        )
    )
    first = [(d, t) for d, t in named if t.role != "参与"]
    head = "牵头" if any(t.role == "牵头" for _, t in first) else "列首位"  # 列首位: the note names no lead
    lead = "、".join(render.esc(_label(d, places)) for d, _ in first) or "—"
    rest = "、".join(render.esc(_label(d, places)) for d, t in named if t.role == "参与") or "—"
    return (
        f'<div class="task-info"><b>任务</b>：{render.esc(task.path)} {render.esc(task.heading)}<br>'
        f"<b>{head}</b>：{lead}<br><b>参与</b>：{rest}<br><b>分工说明</b>：{render.esc(task.note)}</div>"
    )
