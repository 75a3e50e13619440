"""The app: four tabs over one Assistant, and the `ask` API endpoint (the answer contract)."""

from __future__ import annotations

import gradio as gr

from ..pipeline import Assistant
from . import chat, chinese, departments, files, render, targets
from .slots import SLOTS
from .theme import CSS, theme
from .viewer import ClauseViewer, Exports

TITLE = "政策文件问答"


def build_app(assistant: Assistant, llm=None) -> gr.Blocks:
    """The app; `llm` (an assistant.llm.LLMAnswerer) adds the chat's switch for generative answers."""
    viewer, exports = ClauseViewer(assistant), Exports()
    names = [render.titled(viewer.title(d), viewer.status(d)) for d in viewer.docs]
    listed = "、".join(names[:3]) + (f"等 {len(names)} 份文件" if len(names) > 3 else "")
    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        gr.HTML(
            f"<h1>{TITLE}</h1><p>已收录 {len(names)} 份文件：{render.esc(listed)}。"
            "每个回答都注明出处条款；文件中没有的内容，直接说明未找到。</p>",
            elem_id="app-title",
        )
        with gr.Tabs(overflow_behavior="wrap"):  # never "问答 部门职责 ···" on a phone
            chat.build(assistant, viewer, llm)
            departments.build(assistant, viewer, exports)
            targets.build(assistant, viewer, exports)
            files.build(assistant, viewer)

        def ask(
            question: str,
            documents: list[str] | None = None,
            levels: list[str] | None = None,
            previous: str | None = None,
        ) -> dict:
            """Answer a question over the policy documents: the answer contract (id, question, found,
            answer, citations, retrieved, latency_ms). `documents` (doc ids) and `levels` (市/省/国家)
            limit the search; `previous`, the question before, lets a follow-up be understood."""
            with SLOTS.held():
                return chat.ask_contract(assistant, question, documents, levels, previous)

        # outside the queue: one POST answers (see slots.py); SLOTS bounds it with the chat
        gr.api(ask, api_name="ask", queue=False)
    return app


def launch(
    app: gr.Blocks, host: str, port: int, concurrency: int, auth: tuple[str, str] | None = None, block: bool = True
) -> None:
    """Serve until interrupted (or, with block=False, in the background until app.close()), at most
    `concurrency` answers at once, chat and API together; more wait in the queue. Nothing is fetched
    from outside: system fonts, no analytics. The page is Chinese whatever the browser's language
    (assistant.ui.chinese), with no footer. With `auth`, Gradio's login guards pages and API alike."""
    from starlette.middleware import Middleware

    SLOTS.resize(concurrency)
    app.queue(default_concurrency_limit=concurrency).launch(
        server_name=host,
        server_port=port,
        theme=theme(),
        css=CSS,
        footer_links=[],
        i18n=chinese.translations(),
        app_kwargs={"middleware": [Middleware(chinese.ChinesePage)]},
        ssr_mode=False,
        show_error=False,
        inbrowser=False,
        auth=auth,
        prevent_thread_lock=not block,
    )
