"""The app's look: system CJK fonts (nothing fetched from a font service), sober colours, and the
few styles the rendered answers and clauses need."""

from __future__ import annotations

import gradio as gr

# Installed fonts only: Gradio's stock fonts are Latin-only, and a web-font service is unreachable
# on an office network and would leak usage.
FONTS = [
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "PingFang SC",
    "Microsoft YaHei",
    "Hiragino Sans GB",
    "WenQuanYi Micro Hei",
    "system-ui",
    "sans-serif",
]
MONO = ["Noto Sans Mono CJK SC", "ui-monospace", "Consolas", "monospace"]


def theme() -> gr.themes.Base:
    return gr.themes.Default(
        primary_hue="blue",
        neutral_hue="slate",
        radius_size="sm",
        text_size="lg",
        font=FONTS,
        font_mono=MONO,
    ).set(body_text_size="16px", block_title_text_size="15px", block_label_text_size="14px")


# A clause view scrolls its highlighted passage into sight whenever it changes.
SCROLL_TO_MARK = (
    "const go = () => { const box = element.querySelector('.clause-doc');"
    " const m = box && box.querySelector('mark'); if (m) box.scrollTop = Math.max(0, m.offsetTop - 32); };"
    " go(); watch('value', go);"
)

CSS = """
.gradio-container { max-width: 1440px !important; margin: 0 auto; }
#app-title h1 { font-size: 24px; margin: 4px 0 0; }
#app-title p { color: var(--body-text-color-subdued); margin: 2px 0 6px; }
.qa-answer { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 12px 14px;
  background: var(--background-fill-primary); line-height: 1.8; }
.qa-status { font-size: 14px; color: var(--body-text-color-subdued); margin-bottom: 6px; }
.qa-badge { display: inline-block; font-size: 13px; padding: 0 8px; border-radius: 10px; margin-right: 8px;
  color: #fff; }
.qa-badge.ok { background: #2e7d32; } .qa-badge.none { background: #8d6e00; } .qa-badge.warn { background: #b3261e; }
.qa-notice { font-size: 14px; color: #8d3c00; background: #fff4e5; border-radius: 4px; padding: 4px 8px; margin-bottom: 6px; }
.qa-text { font-size: 17px; white-space: pre-wrap; word-break: break-word; }
.qa-ref { color: #1d4ed8; font-weight: 600; font-size: 12px; margin: 0 1px; }
.qa-placeholder { color: var(--body-text-color-subdued); padding: 12px 4px; }
.clause-view { border: 1px solid var(--border-color-primary); border-radius: 6px; background: var(--background-fill-primary); }
.clause-trail { font-size: 14px; padding: 8px 12px; border-bottom: 1px solid var(--border-color-primary);
  background: var(--background-fill-secondary); color: var(--body-text-color); }
.clause-doc { position: relative; padding: 10px 14px; white-space: pre-wrap; word-break: break-word; line-height: 1.9; font-size: 16px;
  max-height: 520px; overflow-y: auto; }
.clause-around { color: var(--body-text-color-subdued); }
.clause-span { background: #fff8d6; }
mark.clause-mark { background: #ffe17a; color: inherit; padding: 1px 0; }
.doc-meta { padding: 4px 2px; } .doc-title { font-size: 18px; font-weight: 600; margin-bottom: 6px; }
.doc-meta dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; font-size: 15px; }
.doc-meta dt { color: var(--body-text-color-subdued); } .doc-meta dd { margin: 0; }
.task-info { font-size: 15px; line-height: 1.8; padding: 6px 2px; }
.summary { font-size: 15px; color: var(--body-text-color-subdued); padding: 8px 2px; }
.task-info b { font-weight: 600; }
#citations label { font-size: 15px; }
.examples-row .label { font-size: 14px; }
footer { font-size: 13px; }
"""

# The conversation: the latest turn under the question box, each answer a card with its scope,
# [n] links, citations and a copy button. Phones: one column, tables scroll sideways.
CSS += """
#ask-row { flex-wrap: nowrap; gap: 6px; }
.qa-conv { display: flex; flex-direction: column; gap: 14px; }
.qa-turn { display: flex; flex-direction: column; gap: 6px; scroll-margin-top: 8px; }
.qa-q { align-self: flex-end; max-width: 88%; background: #e8f0fe; border-radius: 12px 12px 2px 12px; padding: 6px 12px;
  white-space: pre-wrap; word-break: break-word; }
.qa-scope { font-size: 13px; color: var(--body-text-color-subdued); margin-bottom: 4px; }
.qa-text p { margin: 0 0 6px; } .qa-text ol { margin: 4px 0 6px 1.4em; padding: 0; } .qa-text li { margin: 2px 0; }
a.qa-ref { color: #1d4ed8; font-weight: 600; font-size: 13px; margin: 0 0 0 1px; text-decoration: none; vertical-align: super; }
a.qa-ref:hover, a.qa-cite:hover { text-decoration: underline; }
.qa-cites { margin-top: 8px; border-top: 1px dashed var(--border-color-primary); padding-top: 6px; font-size: 14px; }
.qa-cites-title { color: var(--body-text-color-subdued); margin-bottom: 2px; }
.qa-cites ul { list-style: none; margin: 0; padding: 0; } .qa-cites li { margin: 3px 0; }
a.qa-cite { color: #1d4ed8; text-decoration: none; word-break: break-word; }
.qa-copy { margin-top: 8px; font-size: 13px; padding: 2px 12px; border: 1px solid var(--border-color-primary);
  border-radius: 4px; background: var(--background-fill-secondary); cursor: pointer; }
.qa-badge.wait { background: #64748b; }
.qa-earlier { font-size: 13px; color: var(--body-text-color-subdued); border-top: 1px solid var(--border-color-primary);
  padding-top: 6px; }
.examples-title { font-size: 14px; color: var(--body-text-color-subdued); margin-top: 6px; }
#examples button.example { font-size: 14px; white-space: normal; }
.empty-note { padding: 10px 4px; color: #8d3c00; }
@media (max-width: 640px) {
  .gradio-container { padding: 0 6px !important; }
  #app-title h1 { font-size: 20px; }
  .tab-wrapper button[role=tab], button[role=tab] { padding: 6px 8px !important; font-size: 15px; }
  .clause-doc { max-height: 360px; }
  .qa-q { max-width: 96%; }
  #ask-row { flex-wrap: wrap; }
  #ask-row > #question { flex: 1 1 100% !important; }
  #ask-row > button { flex: 1 1 40% !important; white-space: nowrap; }
}
"""

# Tables: on a phone they keep their column widths and scroll sideways. The targets chart: CSS
# columns; labels marked thin-phone / thin-wide are hidden on that screen so the rest never overlap.
CSS += """
.doc-status, .qa-status-tag { display: inline-block; font-size: 13px; font-weight: 500; color: #8d3c00; background: #fff4e5;
  border-radius: 10px; padding: 0 8px; margin-left: 6px; vertical-align: middle; }
@media (max-width: 640px) {
  .wide-table { min-width: 0 !important; max-width: 100% !important; contain: inline-size; }
  .wide-table .table-container { overflow-x: auto !important; max-width: 100%; }
  .wide-table .table-wrap { min-width: 860px; }
}
.chart { padding: 6px 4px 2px; }
.chart-title { font-size: 15px; font-weight: 600; }
.chart-legend { font-size: 13px; color: var(--body-text-color-subdued); display: flex; gap: 12px; margin: 2px 0 6px; }
.chart-legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
.chart-cols, .chart-labels { display: grid; grid-template-columns: repeat(var(--n), minmax(0, 1fr)); gap: 4px; }
.chart-cols { height: 150px; align-items: end; border-bottom: 1px solid var(--border-color-primary); }
.chart-col { display: flex; flex-direction: column; align-items: center; justify-content: flex-end; height: 100%; }
.chart-n { font-size: 12px; line-height: 16px; color: var(--body-text-color-subdued); }
.chart-bar { width: min(36px, 80%); height: 100%; display: flex; flex-direction: column-reverse; align-items: center; }
.chart-seg { width: 100%; }
.chart-labels { font-size: 13px; margin-top: 3px; }
.chart-label { text-align: center; white-space: nowrap; overflow: visible; }
.chart-empty { padding: 30px 8px; color: #8d3c00; text-align: center; }
@media (max-width: 640px) { .chart-label.thin-phone { visibility: hidden; } }
@media (min-width: 641px) { #clause { position: sticky; top: 8px; } }  /* the clause stays beside the answers read */
@media (min-width: 641px) { .chart-label.thin-wide { visibility: hidden; } }
"""
