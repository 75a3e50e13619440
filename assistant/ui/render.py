"""Answers, citations and clauses as HTML or Markdown for the app.

Every piece of document or user text passes through `esc` (HTML) or `md` (Markdown) on its way
out: a document or a question holding `<script>` or `<img onerror=…>` shows as text. Gradio's
HTML component also treats its value as a template, so braces, `$` and backticks are escaped too.
"""
from __future__ import annotations

import html
import re

from ..schema import Answer, Citation, Clause, Document

_TEMPLATE_CHARS = str.maketrans({"{": "&#123;", "}": "&#125;", "$": "&#36;", "`": "&#96;"})
_MD_CHARS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$])")
_MARKER = re.compile(r"\[(\d+)\]")
CONTEXT_BEFORE, CONTEXT_AFTER = 200, 360  # document text shown around a clause
QUESTION_ECHO = 80  # characters of an over-long question echoed back in the chat


def esc(text: str) -> str:
    """Text made safe for an HTML component: markup, entities and template syntax escaped."""
    return html.escape(str(text), quote=True).translate(_TEMPLATE_CHARS)


def md(text: str) -> str:
    """Text made safe for a Markdown component: HTML escaped, Markdown punctuation backslashed."""
    return _MD_CHARS.sub(r"\\\1", html.escape(str(text), quote=False))


def citation_label(n: int, c: Citation) -> str:
    """[1] 江阴市碳达峰实施方案 · 三、(三)2. 加快发展非化石能源 — plain text, for a choice list."""
    return f"[{n}] {c.doc_title} · {c.clause} {c.heading}".rstrip()


def leads(answer: Answer, limit: int = 5) -> list[Citation]:
    """The nearest clauses of a not-found answer, each clause once."""
    seen, out = set(), []
    for c in answer.retrieved:
        if (c.doc_id, c.clause) not in seen:
            seen.add((c.doc_id, c.clause))
            out.append(c)
    return out[:limit]


def sources(answer: Answer) -> list[Citation]:
    """What the citation list shows: the citations, or for a not-found answer the leads."""
    return list(answer.citations) if answer.found else leads(answer)


def answer_html(answer: Answer, notice: str = "", generated: bool = False) -> str:
    """The latest answer: a status line, the text with its [n] markers raised; a notice above it when
    the extractive answer stands in for a generative one."""
    text = _MARKER.sub(r'<sup class="qa-ref">[\1]</sup>', esc(answer.answer))
    if answer.found:
        kind = "生成式回答，已核对引用" if generated else f"{len(answer.citations)} 条引用"
        status = f'<span class="qa-badge ok">已找到</span>{kind} · {answer.latency_ms:.0f} 毫秒'
    else:
        status = '<span class="qa-badge none">未找到</span>文件中没有能回答这个问题的内容'
    warn = f'<div class="qa-notice">{esc(notice)}</div>' if notice else ""
    return f'<div class="qa-answer">{warn}<div class="qa-status">{status}</div><div class="qa-text">{text}</div></div>'


def streaming_html(text: str) -> str:
    """A generative reply as it arrives, before it is checked."""
    return (f'<div class="qa-answer"><div class="qa-status"><span class="qa-badge warn">生成中</span>'
            f'核对引用前仅供预览</div><div class="qa-text">{esc(text)}▍</div></div>')


def notice_html(message: str) -> str:
    """A problem with the question itself (empty, too long): said plainly, nothing retrieved."""
    return (f'<div class="qa-answer"><div class="qa-status"><span class="qa-badge warn">无法提问</span></div>'
            f'<div class="qa-text">{esc(message)}</div></div>')


def placeholder_html(text: str) -> str:
    return f'<div class="qa-placeholder">{esc(text)}</div>'


def chat_question(question: str) -> str:
    """The user's turn as shown in the conversation; an over-long question is shortened."""
    if len(question) > QUESTION_ECHO:
        question = f"{question[:QUESTION_ECHO]}…（共 {len(question)} 字）"
    return md(question)


def chat_reply(answer: Answer) -> str:
    """The assistant's turn: the answer, then its citations (or leads) beneath."""
    listed = sources(answer)
    if not listed:
        return md(answer.answer)
    title = "引用" if answer.found else "相近条款"
    lines = [md(answer.answer), "", f"**{title}**", ""]
    lines += [f"- {md(citation_label(n, c))}" for n, c in enumerate(listed, 1)]
    return "\n".join(lines)


def clause_html(doc: Document, clause: Clause, trail: list[str], cited: str = "") -> str:
    """The clause in its document: heading path above, the text around it, the clause highlighted.
    With `cited` (a citation's passage), that passage is the <mark> inside the clause."""
    crumbs = " › ".join(esc(t) for t in [doc.meta.title or doc.doc_id, *trail])
    return (f'<div class="clause-view"><div class="clause-trail">{crumbs}</div>'
            f'<div class="clause-doc">{_in_context(doc.text, clause.start, clause.end, cited)}</div></div>')


def _in_context(text: str, start: int, end: int, cited: str) -> str:
    before_at = _line_start(text, max(0, start - CONTEXT_BEFORE))
    after_at = _line_end(text, min(len(text), end + CONTEXT_AFTER))
    at = text.find(cited.strip(), start, end) if cited.strip() else -1
    if at < 0:
        mid = f'<mark class="clause-mark">{esc(text[start:end])}</mark>'
    else:
        stop = at + len(cited.strip())
        mid = (f'<span class="clause-span">{esc(text[start:at])}<mark class="clause-mark">{esc(text[at:stop])}</mark>'
               f'{esc(text[stop:end])}</span>')
    head = ("…" if before_at > 0 else "") + esc(text[before_at:start])
    tail = esc(text[end:after_at]) + ("…" if after_at < len(text) else "")
    return f'<span class="clause-around">{head}</span>{mid}<span class="clause-around">{tail}</span>'


def _line_start(text: str, at: int) -> int:
    cut = text.rfind("\n", 0, at)
    return at if cut < 0 else cut + 1


def _line_end(text: str, at: int) -> int:
    cut = text.find("\n", at)
    return len(text) if cut < 0 else cut


def clause_trail(clause: Clause, by_id: dict[str, Clause]) -> list[str]:
    """Labels and headings from the top clause down to this one: 三、重点任务 › (三)… › 2.…"""
    chain, node = [], clause
    while node is not None:
        chain.append(f"{node.label}{node.heading}".strip() or node.path)
        node = by_id.get(node.parent_id) if node.parent_id else None
    return chain[::-1]


def document_meta_html(doc: Document, clauses: int) -> str:
    m = doc.meta
    rows = [("发文机关", m.issuer), ("文号", m.doc_number), ("日期", m.date), ("层级", m.level),
            ("地区", m.place), ("状态", m.status), ("条款数", str(clauses))]
    cells = "".join(f"<dt>{k}</dt><dd>{esc(v)}</dd>" for k, v in rows if v)
    return f'<div class="doc-meta"><div class="doc-title">{esc(m.title or doc.doc_id)}</div><dl>{cells}</dl></div>'
