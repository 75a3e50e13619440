"""问答: the question box, the scope, and the conversation — the latest answer right under the box,
each answer with its scope, its [n] links and citations (every answer's stay clickable) and a copy
button; beside it (below it on a phone) the cited clause in its document. 新对话 starts over."""

from __future__ import annotations

import re
from typing import Any

import gradio as gr

from ..pipeline import Assistant, QuestionError
from ..schema import Answer, Citation, Scope
from . import render
from .conversation import Conversation, Turn
from .slots import SLOTS
from .theme import SCROLL_TO_MARK
from .viewer import ClauseViewer

LEVELS = ["市", "省", "国家"]
EXAMPLES = {
    "政府工作人员": ["谁负责散煤治理?", "供电公司负责哪些工作?", "江阴2025年有哪些目标?"],
    "企业": ["对“两高一低”项目有什么要求?", "新建厂房屋顶光伏覆盖率要达到多少?", "企业节能改造有什么支持?"],
    "市民": ["2025年非化石能源消费比重目标是多少?", "那2030年呢?", "垃圾分类有什么要求?"],
}
NO_CLAUSE = "原文：点击回答中的 [1]、[2] 或引用条款，这里显示该条款在文件中的原文（高亮）和位置。"
NO_ANSWER = "在上方输入问题，或点击下方的示例问题。每个回答都注明检索范围和出处条款；点击 [1]、[2] 查看原文。"
ASK_HINT, EMPTY_HINT = "输入问题，按回车发送", "请先输入问题，再按回车或点击“提问”"
ASK_QUEUE = "ask"  # the chat's queue; the API answers outside it, and both take a slot (slots.py) to answer
_ENGLISH_ASIDE = re.compile(r"\s*\([^()]*[A-Za-z][^()]*\)\s*$")  # the library's message ends with an English gloss

# Clicks on an [n] or a citation ask for its clause; 复制 copies the answer as plain text; when the
# conversation changes, the page scrolls to the start of the latest turn unless it is in view already.
CONVERSATION_JS = """
const copyText = async (text) => {
  try { await navigator.clipboard.writeText(text); return true; } catch (e) {}
  const area = document.createElement('textarea'); area.value = text; document.body.appendChild(area);
  area.select(); const ok = document.execCommand('copy'); area.remove(); return ok;
};
element.addEventListener('click', async (event) => {
  const ref = event.target.closest('[data-cite]');
  if (ref) {
    event.preventDefault(); window.__qaShowClause = true;
    trigger('cite', {turn: Number(ref.dataset.turn), cite: Number(ref.dataset.cite)}); return;
  }
  const copy = event.target.closest('.qa-copy');
  if (copy) {
    const ok = await copyText(copy.parentElement.querySelector('.qa-plain').value);
    copy.textContent = ok ? '已复制' : '复制失败'; setTimeout(() => { copy.textContent = '复制'; }, 1500);
  }
});
const toLatest = () => {
  const turn = element.querySelector('.qa-turn.latest'); if (!turn) return;
  const top = turn.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight * 0.6) turn.scrollIntoView({block: 'start'});
};
watch('value', toLatest);
"""
# The clause view comes into sight when a citation was clicked (on a phone it is below the conversation).
SHOW_CLAUSE = (
    "watch('value', () => { if (window.__qaShowClause) { window.__qaShowClause = false;"
    " const top = element.getBoundingClientRect().top;"
    " if (top < 0 || top > window.innerHeight * 0.5) element.scrollIntoView({block: 'start'}); } });"
)


def _names(values) -> set[str]:
    """Doc ids or levels as the client sent them (a lone string is one name). They are only ever
    compared with the indexed documents', never opened: an unknown one matches nothing."""
    if isinstance(values, str):
        values = [values]
    return {str(v) for v in values or []}


def scope_of(doc_ids: list[str] | None, levels: list[str] | None) -> Scope | None:
    """The scope chosen in the selector; nothing chosen means every document. An id no document has
    limits the search to nothing, so the answer is "not found"."""
    if not doc_ids and not levels:
        return None
    return Scope(doc_ids=_names(doc_ids), levels=_names(levels))


def scope_text(doc_ids: list[str] | None, levels: list[str] | None) -> str:
    """检索范围：省级文件 — said on the scope's header and on every answer."""
    scope = scope_of(doc_ids, levels)
    return f"检索范围：{scope.label if scope else '全部文件'}"


def ask_contract(
    assistant: Assistant,
    question: str,
    documents: list[str] | None = None,
    levels: list[str] | None = None,
    previous: str | None = None,
) -> dict:
    """The answer contract as JSON; a question that cannot be asked (empty, too long) is a
    not-found answer whose text says why, as in `policyqa ask --batch`."""
    try:
        answer = assistant.ask(question, scope=scope_of(documents, levels), previous=previous or None)
    except QuestionError as exc:
        answer = Answer(question=question, found=False, answer=str(exc))
    return answer.model_dump()


def build(assistant: Assistant, viewer: ClauseViewer, llm=None) -> None:
    """The chat tab; with `llm` (an assistant.llm.LLMAnswerer), a switch for generative answers."""
    with gr.Tab("问答", id="chat"):
        with gr.Row(equal_height=False, elem_id="chat-row"):
            with gr.Column(scale=5, min_width=300):
                with gr.Row(equal_height=True, elem_id="ask-row"):
                    question = gr.Textbox(
                        label="问题",
                        show_label=False,
                        container=False,
                        lines=1,
                        max_lines=5,
                        scale=6,
                        autofocus=True,
                        placeholder=ASK_HINT,
                        elem_id="question",
                    )
                    ask = gr.Button("提问", variant="primary", scale=1, min_width=64, elem_id="ask")
                    clear = gr.Button("新对话", scale=1, min_width=72, elem_id="new-chat")
                with gr.Accordion(_scope_header([], []), open=False, elem_id="scope") as scope_box:
                    docs = gr.CheckboxGroup(
                        [(viewer.label(d), d) for d in viewer.docs], label="文件", elem_id="scope-docs"
                    )
                    levels = gr.CheckboxGroup(LEVELS, label="层级", elem_id="scope-levels")
                generative = gr.Checkbox(
                    value=bool(llm is not None and assistant.settings.llm),
                    visible=llm is not None,
                    label="生成式回答（大模型撰写，逐句核对引用；未通过核对时显示原文摘录）",
                    elem_id="generative",
                )
                conversation = gr.HTML(
                    render.placeholder_html(NO_ANSWER), elem_id="conversation", js_on_load=CONVERSATION_JS
                )
                examples = []
                with gr.Column(elem_id="examples"):
                    for who, questions in EXAMPLES.items():
                        gr.HTML(f'<div class="examples-title">示例问题 · {render.esc(who)}</div>')
                        with gr.Row(equal_height=True):
                            examples += [
                                (q, gr.Button(q, size="sm", min_width=80, elem_classes="example")) for q in questions
                            ]
            with gr.Column(scale=4, min_width=300):
                clause = gr.HTML(
                    render.placeholder_html(NO_CLAUSE), elem_id="clause", js_on_load=SCROLL_TO_MARK + SHOW_CLAUSE
                )
        conv = gr.State(Conversation())  # each session gets a copy of its own: a new conversation

        def pending(q: str, talk: Conversation, doc_ids: list[str], lvls: list[str]):
            """The question shows at once, marked 检索中; an empty one adds nothing and asks for a question."""
            if not (q or "").strip():
                return gr.skip(), gr.update(placeholder=EMPTY_HINT)
            talk.add(q, scope_text(doc_ids, lvls))
            return render.conversation_html(talk.turns, NO_ANSWER), gr.update(value="", placeholder=ASK_HINT)

        def respond(talk: Conversation, doc_ids: list[str], lvls: list[str], use_llm: bool = False):
            """Answers the oldest question waiting, after the one before it (a follow-up reads that one)."""
            with talk.order:
                turn = talk.next_pending()
                if turn is None:
                    yield gr.skip(), gr.skip()
                    return
                yield from _answer(turn, talk, scope_of(doc_ids, lvls), use_llm)

        def _answer(turn: Turn, talk: Conversation, scope: Scope | None, use_llm: bool):
            def page():
                return render.conversation_html(talk.turns, NO_ANSWER)

            try:
                if use_llm and llm is not None:
                    for text, done in llm.stream(turn.question, scope=scope, previous=talk.previous or None):
                        if done is None:  # tokens as they come; the checked reply replaces them
                            turn.streaming = text
                            yield page(), gr.skip()
                        else:
                            reply, turn.notice, turn.generated = done.answer, done.notice, done.used_llm
                else:
                    with SLOTS.held():  # one limit on answers at once, with the API (slots.py)
                        reply = assistant.ask(turn.question, scope=scope, previous=talk.previous or None)
            except QuestionError as exc:
                turn.problem = f"无法提问：{_ENGLISH_ASIDE.sub('', str(exc))}"
                yield page(), gr.skip()
                return
            turn.shown = [viewer.complete(c) for c in render.sources(reply)]
            turn.answer, turn.streaming = reply, None
            if turn not in talk.turns:  # 新对话 was pressed meanwhile: the answer goes nowhere
                yield page(), gr.skip()
                return
            talk.previous = assistant.understood(turn.question, talk.previous or None)
            yield page(), _first(viewer, turn.shown)

        def open_citation(talk: Conversation, evt: gr.EventData):
            c = talk.citation(_int(getattr(evt, "_data", {}).get("turn")), _int(getattr(evt, "_data", {}).get("cite")))
            return render.placeholder_html(NO_CLAUSE) if c is None else viewer.show(c.doc_id, c.clause, c.text)

        def reset(talk: Conversation):
            talk.reset()
            return (
                render.conversation_html([], NO_ANSWER),
                render.placeholder_html(NO_CLAUSE),
                gr.update(value="", placeholder=ASK_HINT),
            )

        def rescope(doc_ids: list[str], lvls: list[str]):
            return gr.update(label=_scope_header(doc_ids, lvls))

        asking = [conv, docs, levels]
        # "multiple" at both steps: a question asked while another is answered is queued, not dropped
        shows: dict[str, Any] = {
            "queue": False,
            "trigger_mode": "multiple",
            "api_visibility": "private",
            "show_progress": "hidden",
        }
        answers: dict[str, Any] = {
            "fn": respond,
            "inputs": [*asking, generative],
            "outputs": [conversation, clause],
            "trigger_mode": "multiple",
            "api_visibility": "private",
            "concurrency_id": ASK_QUEUE,
            "show_progress": "hidden",
        }
        for trigger in (ask.click, question.submit):
            trigger(pending, [question, *asking], [conversation, question], **shows).then(**answers)
        for text, button in examples:
            button.click(_asking(pending, text), asking, [conversation, question], **shows).then(**answers)
        conversation.cite(open_citation, [conv], clause, api_visibility="private", show_progress="hidden")
        clear.click(reset, [conv], [conversation, clause, question], api_visibility="private", queue=False)
        for box in (docs, levels):
            box.change(rescope, [docs, levels], scope_box, api_visibility="private", queue=False)


def _asking(pending, text: str):
    """An example's button asks its question (the question box is left as it is)."""

    def ask_example(talk: Conversation, doc_ids: list[str], lvls: list[str]):
        shown, _ = pending(text, talk, doc_ids, lvls)
        return shown, gr.skip()

    return ask_example


def _scope_header(doc_ids: list[str] | None, lvls: list[str] | None) -> str:
    return f"{scope_text(doc_ids, lvls)}（点击选择文件或层级）"


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _first(viewer: ClauseViewer, shown: list[Citation]) -> str:
    if not shown:
        return render.placeholder_html(NO_CLAUSE)
    return viewer.show(shown[0].doc_id, shown[0].clause, shown[0].text)
