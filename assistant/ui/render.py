"""The conversation, citations and clauses as HTML for the app.

Every piece of document or user text passes through `esc` on its way out: a document or a question holding `<script>` or `<img onerror=…>` shows as text. Gradio's
HTML component also treats its value as a template, so braces, `$` and backticks are escaped too.
"""

from __future__ import annotations

import html
import re

from ..schema import Answer, Citation, Clause, Document

_TEMPLATE_CHARS = str.maketrans({"{": "&#123;", "}": "&#125;", "$": "&#36;", "`": "&#96;"})
_MARKER = re.compile(r"\[(\d+)\]")
CONTEXT_BEFORE, CONTEXT_AFTER = 200, 360  # document text shown around a clause
QUESTION_ECHO = 80  # characters of an over-long question echoed back in the chat
SHORT_TITLE = 20  # a title longer than this loses its issuer in citation labels
LIST_MIN = 3  # a paragraph of this many ；-separated items is shown as a list


def esc(text: str) -> str:
    """Text made safe for an HTML component: markup, entities and template syntax escaped."""
    return html.escape(str(text), quote=True).translate(_TEMPLATE_CHARS)


def short_title(title: str) -> str:
    """A long title without its issuer: 中共中央 国务院关于完整准确…的意见 -> 关于完整准确…的意见."""
    if len(title) > SHORT_TITLE:
        cut = title.find("关于")
        if 0 < cut and len(title) - cut >= 6:
            title = title[cut:]
    return title if len(title) <= SHORT_TITLE + 8 else title[: SHORT_TITLE + 7] + "…"


def titled(title: str, status: str = "") -> str:
    """《江阴市碳达峰实施方案》（征求意见稿）: a draft or trial says so beside its title."""
    return f"《{short_title(title)}》" + (f"（{status}）" if status else "")


def citation_label(n: int, c: Citation) -> str:
    """[1] 《江阴市碳达峰实施方案》（征求意见稿） 三、(三)2. 加快发展非化石能源 — plain text."""
    return f"[{n}] {titled(c.doc_title or c.doc_id, c.doc_status)} {c.clause} {c.heading}".rstrip()


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


def conversation_html(turns: list, empty: str) -> str:
    """The conversation, the latest turn first (right under the question box), earlier ones below it."""
    if not turns:
        return placeholder_html(empty)
    latest = len(turns) - 1
    shown = [turn_html(i, turns[i], i == latest) for i in range(latest, -1, -1)]
    earlier = '<div class="qa-earlier">之前的问答</div>' if len(turns) > 1 else ""
    return f'<div class="qa-conv">{shown[0]}{earlier}{"".join(shown[1:])}</div>'


def turn_html(i: int, turn, latest: bool) -> str:
    """One question and its answer card: status, scope, the text with [n] links, its citations, a copy button."""
    question = (
        turn.question
        if len(turn.question) <= QUESTION_ECHO
        else (f"{turn.question[:QUESTION_ECHO]}…（共 {len(turn.question)} 字）")
    )
    cls = "qa-turn latest" if latest else "qa-turn"
    return f'<div class="{cls}" data-turn="{i}"><div class="qa-q">{esc(question)}</div>{_card(i, turn)}</div>'


def _card(i: int, turn) -> str:
    scope = f'<div class="qa-scope">{esc(turn.scope)}</div>' if turn.scope else ""
    if turn.problem:
        status = '<span class="qa-badge warn">无法提问</span>'
        return _card_html("done", status, scope, f'<div class="qa-text">{esc(turn.problem)}</div>', "", turn.problem)
    if turn.answer is None:
        if turn.streaming is not None:
            status = '<span class="qa-badge warn">生成中</span>核对引用前仅供预览'
            return _card_html("pending", status, scope, f'<div class="qa-text">{esc(turn.streaming)}▍</div>', "", "")
        return _card_html("pending", '<span class="qa-badge wait">检索中</span>正在查找相关条款……', scope, "", "", "")
    answer = turn.answer
    if answer.found:
        kind = "生成式回答，已核对引用" if turn.generated else f"{len(answer.citations)} 条引用"
        status = f'<span class="qa-badge ok">已找到</span>{kind} · {answer.latency_ms:.0f} 毫秒'
    else:
        status = '<span class="qa-badge none">未找到</span>文件中没有能回答这个问题的内容'
    notice = f'<div class="qa-notice">{esc(turn.notice)}</div>' if turn.notice else ""
    text = with_status(answer.answer, turn.shown)
    body = f'{notice}<div class="qa-text">{answer_text_html(text, i, len(turn.shown))}</div>'
    return _card_html("done", status, scope, body, _citations_html(i, turn.shown, answer.found), plain_text(turn))


def _card_html(state: str, status: str, scope: str, body: str, cites: str, plain: str) -> str:
    copy = (
        (
            f'<button type="button" class="qa-copy" title="复制回答和引用">复制</button>'
            f'<textarea class="qa-plain" hidden readonly>{esc(plain)}</textarea>'
        )
        if plain
        else ""
    )
    return (
        f'<div class="qa-answer" data-state="{state}"><div class="qa-status">{status}</div>{scope}{body}{cites}'
        f"{copy}</div>"
    )


def _citations_html(i: int, shown: list[Citation], found: bool) -> str:
    if not shown:
        return ""
    title = "引用条款（点击查看原文）" if found else "相近条款（供查阅，点击查看原文）"
    items = "".join(
        f'<li><a href="#" class="qa-cite" data-turn="{i}" data-cite="{n}">{esc(citation_label(n, c))}</a></li>'
        for n, c in enumerate(shown, 1)
    )
    return f'<div class="qa-cites"><div class="qa-cites-title">{title}</div><ul>{items}</ul></div>'


def answer_text_html(text: str, turn: int, cited: int) -> str:
    """The answer's text: a paragraph of three or more ；-separated items is a list, each [n] a link to
    citation n of this turn (a number beyond the citations stays plain)."""
    return "".join(_paragraph_html(p, turn, cited) for p in text.split("\n") if p.strip())


def _paragraph_html(paragraph: str, turn: int, cited: int) -> str:
    items = [x for x in paragraph.split("；") if x.strip()]
    if len(items) < LIST_MIN:
        return f"<p>{_refs(esc(paragraph), turn, cited)}</p>"
    intro, colon, first = items[0].rpartition("：")
    items[0], items[-1] = first, items[-1].rstrip("。")
    lead = f"<p>{_refs(esc(intro + colon), turn, cited)}</p>" if colon else ""
    return lead + "<ol>" + "".join(f"<li>{_refs(esc(x), turn, cited)}</li>" for x in items) + "</ol>"


def _refs(escaped: str, turn: int, cited: int) -> str:
    def link(m: re.Match) -> str:
        n = int(m.group(1))
        if not 1 <= n <= cited:
            return f'<sup class="qa-ref">[{n}]</sup>'
        return (
            f'<a href="#" class="qa-ref" data-turn="{turn}" data-cite="{n}" title="查看引用条款 [{n}] 原文">[{n}]</a>'
        )

    return _MARKER.sub(link, escaped)


def with_status(text: str, cited: list[Citation]) -> str:
    """《江阴市碳达峰实施方案》 named in an answer -> 《江阴市碳达峰实施方案》（征求意见稿）, for each cited
    document whose status the text does not already say beside its title."""
    for title, status in {c.doc_title: c.doc_status for c in cited if c.doc_status and c.doc_title}.items():
        named, said = f"《{title}》", f"《{title}》（{status}）"
        text = text.replace(said, named).replace(named, said)
    return text


def plain_text(turn) -> str:
    """What 复制 copies: the answer, then its citations as [1] 《title》（status） clause heading."""
    if turn.problem or turn.answer is None:
        return turn.problem
    lines = [with_status(turn.answer.answer, turn.shown)]
    if turn.shown:
        lines += ["", "引用：" if turn.answer.found else "相近条款："]
        lines += [citation_label(n, c) for n, c in enumerate(turn.shown, 1)]
    return "\n".join(lines)


def placeholder_html(text: str) -> str:
    return f'<div class="qa-placeholder">{esc(text)}</div>'


def clause_html(doc: Document, clause: Clause, trail: list[str], cited: str = "") -> str:
    """The clause in its document: heading path above, the text around it, the clause highlighted.
    With `cited` (a citation's passage), that passage is the <mark> inside the clause."""
    title = (doc.meta.title or doc.doc_id) + (f"（{doc.meta.status}）" if doc.meta.status else "")
    crumbs = " › ".join(esc(t) for t in [title, *trail])
    return (
        f'<div class="clause-view"><div class="clause-trail">{crumbs}</div>'
        f'<div class="clause-doc">{_in_context(doc.text, clause.start, clause.end, cited)}</div></div>'
    )


def _in_context(text: str, start: int, end: int, cited: str) -> str:
    before_at = _line_start(text, max(0, start - CONTEXT_BEFORE))
    after_at = _line_end(text, min(len(text), end + CONTEXT_AFTER))
    at = text.find(cited.strip(), start, end) if cited.strip() else -1
    if at < 0:
        mid = f'<mark class="clause-mark">{esc(text[start:end])}</mark>'
    else:
        stop = at + len(cited.strip())
        mid = (
            f'<span class="clause-span">{esc(text[start:at])}<mark class="clause-mark">{esc(text[at:stop])}</mark>'
            f"{esc(text[stop:end])}</span>"
        )
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
    chain: list[str] = []
    node: Clause | None = clause
    while node is not None:
        chain.append(f"{node.label}{node.heading}".strip() or node.path)
        node = by_id.get(node.parent_id) if node.parent_id else None
    return chain[::-1]


def document_meta_html(doc: Document, clauses: int) -> str:
    m = doc.meta
    rows = [
        ("发文机关", m.issuer),
        ("文号", m.doc_number),
        ("日期", m.date),
        ("层级", m.level),
        ("地区", m.place),
        ("状态", m.status),
        ("条款数", str(clauses)),
    ]
    cells = "".join(f"<dt>{k}</dt><dd>{esc(v)}</dd>" for k, v in rows if v)
    status = f' <span class="doc-status">{esc(m.status)}</span>' if m.status else ""
    return (
        f'<div class="doc-meta"><div class="doc-title">{esc(m.title or doc.doc_id)}{status}</div><dl>{cells}</dl></div>'
    )
