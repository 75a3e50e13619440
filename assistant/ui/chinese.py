"""The page in Chinese whatever the browser's language: `<html lang="zh-CN">`, Gradio's own strings
in its zh-CN locale (it otherwise follows navigator.language), and the few strings that locale
lacks (the table menu's 筛选, the copy and fullscreen buttons) supplied as custom translations."""

from __future__ import annotations

import json

import gradio as gr

LOCALE = "zh-CN"
# Gradio picks its locale from navigator.language before anything else runs: the page says zh-CN
# first, so Gradio loads its Chinese strings and sets <html lang> to match.
FORCE_LOCALE = (
    "<script>(() => { const l = 'LOCALE';"
    " Object.defineProperty(Navigator.prototype, 'language', {get: () => l});"
    " Object.defineProperty(Navigator.prototype, 'languages', {get: () => [l]}); })();</script>"
).replace("LOCALE", LOCALE)

# Keys Gradio's English has and its zh-CN lacks, for the components this app shows.
MISSING = {
    "common": {
        "download_all": "全部下载",
        "runs": "运行记录",
        "runs_description": "查看本浏览器保存的运行记录",
        "back_to_app": "应用",
        "back_to_app_description": "返回应用",
        "progress": "进度",
        "record": "录制",
        "stop_recording": "停止录制",
        "run": "运行",
        "copy": "复制",
        "copied": "已复制",
        "fullscreen": "全屏",
        "exit_fullscreen": "退出全屏",
        "complete": "完成",
    },
    "dataframe": {
        "filter": "筛选",
        "clear_filter": "清除筛选",
        "import_empty_file": "文件为空。",
        "import_no_column_names": "文件没有列名。",
    },
    "chatbot": {"complete": "完成", "copy_message": "复制消息", "copied_message": "已复制消息"},
    "errors": {"use_via_api_or_mcp": "通过 API 或 MCP 使用"},
    "status": {"queue_position": "排队中：第 {position} 位，共 {size} 位"},
}


# Strings Gradio writes in English whatever the locale (aria-labels, tooltips, a few menu items): put
# into Chinese wherever they appear, now or later, by a watcher on the page; a checkbox's tooltip,
# which Gradio fills with its value (a document id), becomes its label.
ENGLISH = {
    "Open cell menu": "打开列菜单",
    "Table actions": "表格操作",
    "File upload": "上传文件",
    "Dataframe": "表格",
    "Copy table data": "复制表格",
    "Fullscreen": "全屏",
    "Exit fullscreen mode": "退出全屏",
    "Exit fullscreen": "退出全屏",
    "More tabs": "更多标签页",
    "Textbox": "文本框",
    "Sort ascending": "升序排序",
    "Sort descending": "降序排序",
    "Clear sort": "清除排序",
    "Filter": "筛选",
    "Clear filters": "清除筛选",
    "Clear filter": "清除筛选",
    "Copy message": "复制消息",
    "Clear": "清除",
    "Copy": "复制",
    "Copied": "已复制",
    "Loading": "加载中",
    "Error": "错误",
    "Close": "关闭",
    "Search": "搜索",
    "Dropdown": "下拉菜单",
    "Checkbox": "复选框",
    "Checkbox Group": "复选框组",
    "Radio": "单选框",
    "Download": "下载",
    "Select all": "全选",
    "Use via API": "通过 API 使用",
    "Settings": "设置",
    "Built with Gradio": "使用 Gradio 构建",
    "Remove": "移除",
    "Submit": "提交",
    "Filter by column": "按列筛选",
    "Apply": "应用",
    "Cancel": "取消",
    "Contains": "包含",
    "Does not contain": "不包含",
    "Starts with": "开头是",
    "Ends with": "结尾是",
    "Is": "等于",
    "Is not": "不等于",
    "Is empty": "为空",
    "Is not empty": "不为空",
    "Search...": "搜索……",
    "Type a value...": "输入值……",
    "Value": "值",
    "Condition": "条件",
}
TRANSLATE_LEFTOVERS = """<script>(() => {
  const words = WORDS; const attrs = ['title', 'aria-label', 'placeholder', 'alt'];
  const fix = (root) => {
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walk.nextNode()) { const n = walk.currentNode; const t = n.nodeValue.trim();
      if (t && words[t] && !n.parentElement.closest('.qa-conv, .clause-doc, .table-wrap td')) n.nodeValue = n.nodeValue.replace(t, words[t]); }
    const els = root.querySelectorAll ? root.querySelectorAll('[title],[aria-label],[placeholder],[alt]') : [];
    for (const el of [root, ...els]) for (const a of attrs) { const v = el.getAttribute && el.getAttribute(a); if (v && words[v.trim()]) el.setAttribute(a, words[v.trim()]); }
    // a checkbox's tooltip is its value (a document id): it says the label people read instead
    const boxes = root.querySelectorAll ? root.querySelectorAll('label input[type=checkbox][title]') : [];
    for (const box of boxes) { const text = box.closest('label').innerText.trim(); if (text && box.title !== text) box.title = text; }
  };
  const start = () => { fix(document.body); new MutationObserver((changes) => { for (const c of changes) {
      if (c.type === 'attributes') fix(c.target); else for (const n of c.addedNodes) fix(n.nodeType === 1 ? n : n.parentElement || document.body); }
    }).observe(document.body, {subtree: true, childList: true, characterData: false, attributes: true, attributeFilter: attrs}); };
  if (document.body) start(); else document.addEventListener('DOMContentLoaded', start);
})();</script>"""


def translations() -> gr.I18n:
    return gr.I18n(
        **{LOCALE: {f"{group}.{key}": text for group, keys in MISSING.items() for key, text in keys.items()}}
    )


class ChinesePage:
    """ASGI middleware: the app's HTML pages declare lang="zh-CN" and set the locale before Gradio's
    scripts run. Other responses pass through untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "GET":
            return await self.app(scope, receive, send)
        start, body = None, []

        async def capture(message):
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                if not _is_html(message):
                    start = None
                    await send(message)
                return
            if start is None:
                await send(message)
                return
            body.append(message.get("body", b""))
            if not message.get("more_body"):
                page = rewrite(b"".join(body).decode("utf-8"))
                data = page.encode("utf-8")
                headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                await send({**start, "headers": [*headers, (b"content-length", str(len(data)).encode())]})
                await send({"type": "http.response.body", "body": data})

        await self.app(scope, receive, capture)


def _is_html(start) -> bool:
    headers = {k.lower(): v for k, v in start["headers"]}
    return headers.get(b"content-type", b"").startswith(b"text/html") and b"content-encoding" not in headers


def rewrite(page: str) -> str:
    """lang="en" -> lang="zh-CN"; the locale script first thing in <head>."""
    page = page.replace('lang="en"', f'lang="{LOCALE}"', 1)
    watcher = TRANSLATE_LEFTOVERS.replace("WORDS", json.dumps(ENGLISH, ensure_ascii=False))
    return page.replace("<head>", f"<head>{FORCE_LOCALE}{watcher}", 1)
