"""文件: each document's clause tree (indented by depth) and any clause read in its document."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from ..pipeline import Assistant
from . import render
from .theme import SCROLL_TO_MARK
from .viewer import ClauseViewer, row_of

INDENT = "\u3000"  # an ideographic space: browsers do not collapse it, so the tree keeps its shape
HEADERS = ["条款", "标题"]
PICK = "在左侧目录中点击一个条款，或在上方选择条款，阅读原文。"


def build(assistant: Assistant, viewer: ClauseViewer) -> None:
    doc_ids = list(viewer.docs)

    def tree(doc_id: str) -> list[tuple[str, str]]:
        """(label, path) for each clause in reading order, the label indented by depth."""
        return [(f"{INDENT * c.depth}{c.path} {c.heading}".rstrip(), c.path) for c in assistant.clauses(doc_id)]

    def pick_document(doc_id: str):
        if not viewer.has(doc_id):
            return (
                render.placeholder_html("未选择文件。"),
                gr.update(choices=[], value=None),
                pd.DataFrame(columns=HEADERS),
                render.placeholder_html(PICK),
            )
        entries = tree(doc_id)
        table = pd.DataFrame(
            [[INDENT * c.depth + c.path, c.heading] for c in assistant.clauses(doc_id)], columns=HEADERS
        )
        meta = render.document_meta_html(viewer.docs[doc_id], len(entries))
        opening = viewer.show(doc_id, entries[0][1]) if entries else render.placeholder_html(PICK)
        return meta, gr.update(choices=entries, value=None), table, opening

    def read(doc_id: str, path: str | None):
        return viewer.show(doc_id, path) if viewer.has(doc_id) and path else render.placeholder_html(PICK)

    def read_row(doc_id: str, evt: gr.SelectData):
        clauses = assistant.clauses(doc_id) if viewer.has(doc_id) else []
        at = row_of(evt.index, len(clauses))
        return render.placeholder_html(PICK) if at is None else viewer.show(doc_id, clauses[at].path)

    start = doc_ids[0] if doc_ids else ""
    meta0, _, outline0, view0 = pick_document(start)
    with gr.Tab("文件", id="documents"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=2):
                doc = gr.Dropdown(
                    [(viewer.label(d), d) for d in doc_ids], value=start or None, label="文件", elem_id="doc-pick"
                )
                meta = gr.HTML(meta0, elem_id="doc-meta")
                clause = gr.Dropdown(
                    tree(start) if start else [], value=None, label="条款（可输入筛选）", elem_id="doc-clause"
                )
                outline = gr.Dataframe(
                    outline0,
                    label="条款目录",
                    show_label=False,
                    buttons=[],
                    interactive=False,
                    wrap=True,
                    max_height=460,
                    elem_id="doc-tree",
                    column_widths=["35%", "65%"],
                )
            with gr.Column(scale=3):
                view = gr.HTML(view0, elem_id="doc-view", js_on_load=SCROLL_TO_MARK)
        doc.change(pick_document, [doc], [meta, clause, outline, view], api_visibility="private")
        clause.input(read, [doc, clause], view, api_visibility="private")
        outline.select(read_row, [doc], view, api_visibility="private")
