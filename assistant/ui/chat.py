"""问答: the conversation; beside it the latest answer, its citations, and the cited clause in its
document. Follow-ups carry the previous question; a scope limits the documents or levels searched."""
from __future__ import annotations

import gradio as gr

from ..pipeline import Assistant, QuestionError
from ..schema import Scope
from ..schema import Answer, Citation
from . import render
from .theme import SCROLL_TO_MARK
from .viewer import ClauseViewer, row_of

LEVELS = ["市", "省", "国家"]
EXAMPLES = {
    "政府工作人员": ["谁负责散煤治理?", "供电公司负责哪些工作?", "江阴2025年有哪些目标?"],
    "企业": ["对“两高一低”项目有什么要求?", "新建厂房屋顶光伏覆盖率要达到多少?", "企业节能改造有什么支持?"],
    "市民": ["2025年非化石能源消费比重目标是多少?", "那2030年呢?", "垃圾分类有什么要求?"],
}
CITED = "引用条款（点击查看原文）"
NO_CLAUSE = "提问后，这里显示所引用条款的原文（高亮），并注明它在文件中的位置。"
NO_ANSWER = "在左侧输入问题，或点击下方的示例问题。回答中的 [1]、[2] 对应下面列出的引用条款。"
ASK_QUEUE = "ask"  # the chat and the API answer in one queue, so the limit on answers at once is shared


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


def ask_contract(assistant: Assistant, question: str, documents: list[str] | None = None,
                 levels: list[str] | None = None, previous: str | None = None) -> dict:
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
        with gr.Row(equal_height=False):
            with gr.Column(scale=5):
                chat = gr.Chatbot(label="对话", show_label=False, height=440, layout="bubble", latex_delimiters=[], buttons=["copy"],
                                  feedback_options=None, elem_id="conversation",
                                  placeholder="向政策文件提问：目标、任务、牵头部门、时间节点……")
                with gr.Row(equal_height=True):
                    question = gr.Textbox(show_label=False, container=False, lines=1, max_lines=5, scale=6, autofocus=True,
                                          placeholder="输入问题，按回车发送",
                                          elem_id="question")
                    ask = gr.Button("提问", variant="primary", scale=1, min_width=90, elem_id="ask")
                    clear = gr.Button("新对话", scale=1, min_width=90, elem_id="new-chat")
                with gr.Accordion("检索范围（不选即全部文件）", open=False, elem_id="scope"):
                    docs = gr.CheckboxGroup([(viewer.title(d), d) for d in viewer.docs], label="文件", elem_id="scope-docs")
                    levels = gr.CheckboxGroup(LEVELS, label="层级", elem_id="scope-levels")
                generative = gr.Checkbox(value=bool(llm is not None and assistant.settings.llm), visible=llm is not None,
                                         label="生成式回答（大模型撰写，逐句核对引用；未通过核对时显示原文摘录）",
                                         elem_id="generative")
                for who, questions in EXAMPLES.items():
                    gr.Examples([[q] for q in questions], inputs=[question], label=f"示例问题 · {who}")
            with gr.Column(scale=4):
                answer = gr.HTML(render.placeholder_html(NO_ANSWER), elem_id="answer")
                citations = gr.Radio([], label=CITED, elem_id="citations")
                clause = gr.HTML(render.placeholder_html(NO_CLAUSE), elem_id="clause", js_on_load=SCROLL_TO_MARK)
        previous = gr.State("")
        listed = gr.State([])

        def respond(q: str, history: list, prev: str, doc_ids: list[str], lvls: list[str], use_llm: bool = False):
            history = list(history or [])
            scope, notice, generated = scope_of(doc_ids, lvls), "", False
            try:
                if use_llm and llm is not None:
                    for text, done in llm.stream(q, scope=scope, previous=prev or None):
                        if done is None:  # tokens as they come; the checked reply replaces them
                            turns = [_turn("user", render.chat_question(q)), _turn("assistant", render.md(text + "▍"))]
                            yield (history + turns, render.streaming_html(text), gr.skip(), gr.skip(), gr.skip(), "", gr.skip())
                        else:
                            reply, notice, generated = done.answer, done.notice, done.used_llm
                else:
                    reply = assistant.ask(q, scope=scope, previous=prev or None)
            except QuestionError as exc:
                history += [_turn("user", render.chat_question(q)), _turn("assistant", render.md(f"无法提问：{exc}"))]
                yield (history, render.notice_html(str(exc)), gr.update(choices=[], value=None, label=CITED),
                       render.placeholder_html(NO_CLAUSE), prev, q, [])
                return
            shown = render.sources(reply)
            history += [_turn("user", render.chat_question(q)), _turn("assistant", render.chat_reply(reply))]
            yield (history, render.answer_html(reply, notice, generated), _choices(reply, shown), _first(viewer, shown),
                   assistant.understood(q, prev or None), "", [c.model_dump() for c in shown])

        def open_citation(choice: str | None, shown: list[dict]):
            at = row_of(choice, len(shown or []))
            if at is None:
                return render.placeholder_html(NO_CLAUSE)
            c = shown[at]
            return viewer.show(c["doc_id"], c["clause"], c["text"])

        def reset():
            return ([], render.placeholder_html(NO_ANSWER), gr.update(choices=[], value=None, label=CITED),
                    render.placeholder_html(NO_CLAUSE), "", "", [])

        outputs = [chat, answer, citations, clause, previous, question, listed]
        inputs = [question, chat, previous, docs, levels, generative]
        for trigger in (ask.click, question.submit):
            trigger(respond, inputs, outputs, api_visibility="private", concurrency_id=ASK_QUEUE)
        citations.input(open_citation, [citations, listed], clause, api_visibility="private")
        clear.click(reset, None, outputs, api_visibility="private")


def _turn(role: str, content: str) -> dict:
    return {"role": role, "content": content}


def _choices(reply: Answer, shown: list[Citation]):
    label = CITED if reply.found else "相近条款（供查阅，点击查看原文）"
    choices = [(render.citation_label(n, c), str(n - 1)) for n, c in enumerate(shown, 1)]
    return gr.update(choices=choices, value="0" if choices else None, label=label)


def _first(viewer: ClauseViewer, shown: list[Citation]) -> str:
    if not shown:
        return render.placeholder_html(NO_CLAUSE)
    return viewer.show(shown[0].doc_id, shown[0].clause, shown[0].text)
