"""The page in Chinese whatever the browser's language: `<html lang="zh-CN">`, Gradio's own strings
in its zh-CN locale (it otherwise follows navigator.language), and the few strings that locale
lacks (the table menu's 筛选, the copy and fullscreen buttons) supplied as custom translations."""
from __future__ import annotations

import gradio as gr

LOCALE = "zh-CN"
# Gradio picks its locale from navigator.language before anything else runs: the page says zh-CN
# first, so Gradio loads its Chinese strings and sets <html lang> to match.
FORCE_LOCALE = ("<script>(() => { const l = 'LOCALE';"
                " Object.defineProperty(Navigator.prototype, 'language', {get: () => l});"
                " Object.defineProperty(Navigator.prototype, 'languages', {get: () => [l]}); })();</script>"
                ).replace("LOCALE", LOCALE)

# Keys Gradio's English has and its zh-CN lacks, for the components this app shows.
MISSING = {
    "common": {"download_all": "全部下载", "runs": "运行记录", "runs_description": "查看本浏览器保存的运行记录",
               "back_to_app": "应用", "back_to_app_description": "返回应用", "progress": "进度", "record": "录制",
               "stop_recording": "停止录制", "run": "运行", "copy": "复制", "copied": "已复制",
               "fullscreen": "全屏", "exit_fullscreen": "退出全屏"},
    "dataframe": {"filter": "筛选", "clear_filter": "清除筛选", "import_empty_file": "文件为空。",
                  "import_no_column_names": "文件没有列名。"},
    "chatbot": {"complete": "完成", "copy_message": "复制消息", "copied_message": "已复制消息"},
    "errors": {"use_via_api_or_mcp": "通过 API 或 MCP 使用"},
    "status": {"queue_position": "排队中：第 {position} 位，共 {size} 位"},
}


def translations() -> gr.I18n:
    return gr.I18n(**{LOCALE: {f"{group}.{key}": text for group, keys in MISSING.items() for key, text in keys.items()}})


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
    return (headers.get(b"content-type", b"").startswith(b"text/html") and b"content-encoding" not in headers)


def rewrite(page: str) -> str:
    """lang="en" -> lang="zh-CN"; the locale script first thing in <head>."""
    page = page.replace('lang="en"', f'lang="{LOCALE}"', 1)
    return page.replace("<head>", f"<head>{FORCE_LOCALE}", 1)
