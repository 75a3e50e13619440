"""The answer strategies, each a named, registered unit: given the question and what was found, a strategy
returns a Reply or None (it does not apply). `STRATEGIES` lists them in the order they are tried.

    quote        a clause pasted whole: where it comes from
    dept_tasks   发改委负责哪些工作?  the tasks the responsibility notes give a department
    duties       财政局承担什么职责?  where no note names the body: the sentences in which it acts
    year_targets 2025年有哪些目标?    the targets due that year, from the document asked about
    outline      有哪几项?            the items of the list the question names
    premise      …1400兆瓦对吗?       the sentence stating the claimed figure, with the verdict
    department   谁负责…?             the note that closes the sentence about what is asked
    sentence     anything else       the sentence(s) the calibrated decision picks, or not found
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..knowledge import find_departments, related_departments
from ..schema import Chunk, Citation, Hit, Scope, Target
from ..text import fold, split_sentences, years
from . import render
from .candidates import AMOUNT, Candidate, strip_label
from .render import Reply

if TYPE_CHECKING:
    from ..question import Question
    from . import Answerer

OUTLINE_FIT = 0.5  # share of the question's weight an outline's heading must carry to be the list asked for
ROW_FIT = 0.3  # share a target row's indicator must carry to state the answer rather than the sentence
QUOTE_MIN = 40  # characters: shorter text is a question even when a clause holds it verbatim
QUOTE_SLACK = 8  # letters or digits of its own a quotation may add (请问, 出处?)
MAX_SENTENCES = 2
FURTHER_LOOK = 4  # how far down the ranking a later part looks past the sentence a part before it cited
HEADING_QUOTE = 6  # characters of a quoted task name that name its clause (a shorter one is a term)
PREMISE_CANDIDATES = 8  # best-ranked sentences searched for the figure a yes/no question claims
OTHER_LEVELS = 2  # other levels' figures an answer to a question naming no level adds


@dataclass
class Ask:
    """One question (or part) being answered: what every strategy reads."""

    q: Question
    hits: list[Hit]
    query: np.ndarray
    preferred: set[str]
    scope: Scope | None = None
    scope_label: str = ""
    declined_by: str = ""  # the first rule (or "calibrated") that found a candidate does not answer
    cited: frozenset[str] = frozenset()  # sentences an earlier part of the question was answered with
    _cands: list[Candidate] | None = field(default=None, repr=False)

    def quoted(self, text: str) -> bool:
        """Whether a part before was answered with this sentence."""
        return any(render.same_sentence(text, s) for s in self.cited)


Strategy = Callable[["Answerer", Ask], "Reply | None"]
STRATEGIES: list[tuple[str, Strategy]] = []


def strategy(name: str) -> Callable[[Strategy], Strategy]:
    def register(fn: Strategy) -> Strategy:
        STRATEGIES.append((name, fn))
        return fn

    return register


# ---- quote --------------------------------------------------------------------------------------


@strategy("quote")
def quote(kb: Answerer, ask: Ask) -> Reply | None:
    """A question that is nothing but a clause pasted whole (or part of one): answered by where the
    text comes from. Read as a question, a pasted clause's note would make it a department question."""
    q = _bare(ask.q.asked)
    if len(q) < QUOTE_MIN:
        return None
    quoted, rest = [], q
    for clause_id in dict.fromkeys(h.chunk.clause_id for h in ask.hits if h.chunk.clause_id in kb.clauses):
        clause = kb.clauses[clause_id]
        text = _bare(clause.text)
        if q in text:
            quoted = [clause]
            rest = ""
            break
        if len(text) >= QUOTE_MIN // 4 and text in rest:
            quoted.append(clause)
            rest = rest.replace(text, "")
    if not quoted:
        return None
    if sum(ch.isalnum() for ch in rest) > QUOTE_SLACK:
        return _quoted_duty(kb, ask, quoted)  # a pasted clause with a question of its own: 这项工作由谁负责?
    citations: list[Citation] = []
    where = []
    for clause in quoted:
        chunk = kb.clause_chunks.get(clause.clause_id, [None])[0]
        marker = f"[{render.cite(citations, chunk)}]" if chunk is not None else ""
        where.append(
            f"《{kb.titles.get(clause.doc_id, '')}》{clause.path}「{clause.heading}」{marker}".replace("「」", "")
        )
    return Reply(True, f"这段文字出自{'、'.join(where)}。", citations)


def _quoted_duty(kb: Answerer, ask: Ask, quoted: list) -> Reply | None:
    """Who is responsible for the clause the question quotes: the notes the clause itself holds."""
    if ask.q.intent.kind != "dept":
        return None
    citations: list[Citation] = []
    parts = []
    for clause in quoted:
        for note in kb.notes_of.get(clause.clause_id, []):
            chunk = next((c for c in kb.clause_chunks.get(clause.clause_id, []) if c.start <= note.start < c.end), None)
            marker = f"[{render.cite(citations, chunk)}]" if chunk is not None else ""
            lead = "" if note.lead_marked or len(note.departments) < 2 else f"，{note.lead}列首位"
            parts.append(
                f"「{clause.heading or clause.path}」（{clause.path}）：{note.note[1:-1].split('。')[0]}{lead}{marker}。"
            )
    return Reply(True, "".join(parts), citations) if parts else None


def _bare(text: str) -> str:
    return "".join(fold(text).split())


# ---- a department's tasks --------------------------------------------------------------------------


@strategy("dept_tasks")
def dept_tasks(kb: Answerer, ask: Ask) -> Reply | None:
    """A department's tasks from the notes that name it (in the scope and the place asked about), lead
    tasks first, each with its clause."""
    intent = ask.q.intent
    if intent.kind != "dept_tasks":
        return None
    depts = [d for d in find_departments(kb.registry, intent.department) if kb.in_scope_doc(d.tasks[0].doc_id, ask)]
    if not depts:  # 发改委 asked of provincial documents: the province's 省发展改革委
        depts = [
            d for d in related_departments(kb.registry, intent.department) if kb.in_scope_doc(d.tasks[0].doc_id, ask)
        ]
    places = set(ask.q.places) or {kb.home_place}
    depts = [d for d in depts if d.place in places] or depts
    if not depts:
        return None
    dept = max(depts, key=lambda d: len(d.tasks))
    tasks = sorted(dept.tasks, key=lambda t: t.role != "牵头")
    lead = sum(t.role == "牵头" for t in tasks)
    head = (
        f"{intent.department}（{dept.place}）在{len(tasks)}项任务的责任单位之列"
        + (f"，其中牵头{lead}项" if lead else "")
        + "："
    )
    citations: list[Citation] = []
    items: list[str] = []
    for task in tasks:
        detail = kb.task_detail(task, dept.name) if len(tasks) <= 3 else ""
        item = f"{task.path}{task.heading}" + ("（牵头）" if task.role == "牵头" else "") + detail
        chunk = kb.note_chunk(task)
        if chunk is not None:
            item += f"[{render.cite(citations, chunk)}]"
        if len(head) + len("；".join([*items, item])) + 8 > kb.max_list_chars:
            items.append(f"等{len(tasks)}项")
            break
        items.append(item)
    return Reply(True, head + "；".join(items) + "。", citations)


# ---- duties a document's text gives a body ----------------------------------------------------------

# a public body as named: …局, …委员会, …厅, …部门 (财政局, 区发展改革委, 省生态环境厅, 发展改革部门)
_BODY_END = r"(?:委员会|办公室|部门|局|委|厅|办|署|部(?!门)|中心)"
BODY = re.compile(rf"[\u4e00-\u9fff]{{1,10}}?{_BODY_END}")
_LEVEL = r"(?:(?:省|市|区|县)级?)"
_ANOTHER = rf"{_LEVEL}?[\u4e00-\u9fff]{{0,12}}?{_BODY_END}"  # a body acting beside it
MAX_DUTIES = 3  # sentences quoted
DUTY_HITS = 8  # passages searched


def asked_body(q: Question) -> str:
    """The body whose part a question asks about (徐汇区财政局承担什么职责 -> 财政局): the body named before
    the question's duty words, less the place and level words that open it."""
    from .intent import WHAT_WORK

    m = WHAT_WORK.search(q.asked)
    body = BODY.search(q.asked[: m.start()]) if m else None
    if body is None:
        return ""
    name = body.group(0)
    for place in sorted(q.places, key=len, reverse=True):
        name = re.sub(rf"^{re.escape(place)}(省|市|区|县)?", "", name)
    name = re.sub(rf"^{_LEVEL}", "", name)
    return name if len(name) >= 3 else ""


@strategy("duties")
def duties(kb: Answerer, ask: Ask) -> Reply | None:
    """财政局承担什么职责? where no responsibility note names the body (a regulation or 管理办法 states
    each body's part in its articles): the sentences among the passages found in which the body is the
    subject of its clause (区财政局负责专项资金的预算管理…; 区发展改革委、区财政局按程序落实…;
    第四条生态环境部按照…建设…), in the order found."""
    from .intent import WHO

    q = ask.q
    # 主管部门承担什么职责 reads as a who-question to the intent (主管): what the body does is asked all the same
    if (
        q.intent.kind not in ("dept_tasks", "dept", "general", "list")
        or WHO.search(q.asked)
        or not (body := asked_body(q))
    ):
        return None
    if q.foreign_areas:  # 南京市财政局: another place's body is not the one the documents name
        return None
    # the body opens its clause (after an article's or item's number), alone or in a list of bodies, and
    # what follows is what they do (负责…, 按照…建设, 会同…), not what is theirs (…的工作人员)
    acting = re.compile(
        rf"(?:^|[，；：])\s*(?:第[一二三四五六七八九十百零\d]+条|[（(][一二三四五六七八九十\d]+[）)]|\d+[.．、])?\s*"
        rf"(?:{_ANOTHER}[、和及与])*"
        rf"{_LEVEL}?{re.escape(body)}(?:[、和及与]{_ANOTHER})*(?![的之、和及与])[\u4e00-\u9fff]"
    )
    citations: list[Citation] = []
    parts: list[str] = []
    quoted: list[tuple[str, str]] = []
    for hit in ask.hits[:DUTY_HITS]:
        chunk = hit.chunk
        if chunk.kind != "text" or (q.names_scope and chunk.doc_id not in ask.preferred):
            continue
        for start, end in split_sentences(chunk.text):
            sentence = chunk.text[start:end].strip()
            if acting.search(sentence) and len(parts) < MAX_DUTIES:
                n = render.cite(citations, chunk, hit.score)
                text = strip_label(sentence).rstrip("。；;，, ")
                parts.append(f"{render.doc_prefix(chunk.doc_title, kb.many)}{text}[{n}]。")
                quoted.append((sentence, parts[-1]))
    if not parts:
        return None
    text = render.clip("".join(parts), kb.max_list_chars)
    return Reply(True, text, citations, quoted=render.shown(quoted, text))


# ---- targets of a year ------------------------------------------------------------------------------


@strategy("year_targets")
def year_targets(kb: Answerer, ask: Ask) -> Reply | None:
    """2025年有哪些目标: the targets due that year in the document the question points to (by title,
    place, or else the home plan), else in the best-ranked document that has some; within the scope."""
    q = ask.q
    if (
        q.intent.kind != "list"
        or len(q.years) != 1
        or not re.search(r"目标|指标|target", q.asked, re.I)
        or not ask.hits
    ):
        return None
    year = q.years[0]
    due: dict[str, list[Target]] = {}
    for rows in kb.targets.values():
        for t in rows:
            if year in years(t.deadline) and kb.in_scope_doc(t.doc_id, ask):  # 2025年, “十四五”末
                due.setdefault(t.doc_id, []).append(t)
    ranked = list(dict.fromkeys(h.chunk.doc_id for h in ask.hits))
    choices = (
        [d for d in ranked if d in ask.preferred and d in due]
        or sorted(d for d in ask.preferred if d in due)
        or [d for d in ranked if d in due]
    )
    if not choices:
        return None
    rows = due[choices[0]]
    head = f"{render.doc_prefix(kb.titles.get(choices[0], ''), kb.many)}到{year}年的目标有{len(rows)}项："
    citations: list[Citation] = []
    items: list[str] = []
    for row in rows:
        chunk = kb.target_chunk(row)
        item = render.target_text(row, with_deadline=False)
        if len(head) + len("；".join([*items, item])) + 12 > kb.max_list_chars:
            items.append(f"等{len(rows)}项")
            break
        items.append(item + (f"[{render.cite(citations, chunk)}]" if chunk else ""))
    return Reply(True, head + "；".join(items) + "。", citations)


# ---- outline ----------------------------------------------------------------------------------------


@strategy("outline")
def outline(kb: Answerer, ask: Ask) -> Reply | None:
    """The entries of the list the question names: an outline among the best passages (the documents it
    points to first) whose heading carries what is asked. Asked of a named document, any of that
    document's outlines whose heading names what is asked for (《某方案》的基本原则有哪几条 -> 原则) is one
    too, wherever the search ranked it; and where the named document has such a list, no other
    document's list is the one asked."""
    q = ask.q
    if q.intent.kind != "list":
        return None
    ranked = kb.ranked(ask)
    if ranked and ranked[0].features.get("quoted_match") and "、" in ranked[0].text and kb.answers(ask, ranked):
        return None  # a sentence that names the quoted list and enumerates it: the sentence strategy quotes it
    asked = asked_count(q.asked)
    found = [
        (hit.chunk if hit.chunk.kind == "outline" else kb.outlines.get(hit.chunk.clause_id), hit.score)
        for hit in sorted(ask.hits[:5], key=lambda h: h.chunk.doc_id not in ask.preferred)
    ]
    if asked:  # 七大重点任务: any list of that many items in the documents asked about
        found += [(c, 0.0) for d in ask.preferred for c in kb.outlines_of.get(d, []) if len(c.items) == asked]
    elif q.which:
        found += [
            (c, 0.0)
            for d in q.title_docs
            for c in kb.outlines_of.get(d, [])
            if all(w in c.text.split("\n")[0] for w in q.which)
        ]
    fitting: list[tuple[float, Chunk, float]] = []
    for chunk, score in found:
        if chunk is None or len(chunk.items) < 2:
            continue
        header = chunk.text.split("\n")[: len(chunk.text.split("\n")) - len(chunk.items)]
        fit = kb.scorer.coverage(q.content, " ".join([chunk.doc_title, *header, *entries_of(kb, chunk, q)]))
        if asked and asked == len(chunk.items):
            fit += 1.0  # 七大行动 and a list of seven
        elif asked:
            fit -= 1.0
        if fit >= OUTLINE_FIT:
            fitting.append((fit, chunk, score))
    fitting = [f for f in fitting if f[1].doc_id in q.title_docs] or fitting
    if not fitting:
        return None  # the list asked for is none of these clauses' lists of items
    best = max(fitting, key=lambda f: f[0])  # (the first of equals: the search's order)
    _, chunk, score = best
    citations: list[Citation] = []
    n = render.cite(citations, chunk, score)
    title = strip_label(chunk.text.split("\n")[0]).split("。")[0]
    text = (
        f"{render.doc_prefix(chunk.doc_title, kb.many)}{title}共{len(chunk.items)}项："
        + "；".join(item.rstrip("；;，,。") for item in chunk.items)
        + f"[{n}]。"
    )
    return Reply(True, render.clip(text, kb.max_list_chars), citations)


def entries_of(kb: Answerer, chunk: Chunk, q: Question) -> list[str]:
    """The asked words that most of an outline's entries hold (哪些项目不予支持 and a list whose entries are
    each a …项目): what the list enumerates, so its heading need not name it."""
    items = [fold(i).lower() for i in chunk.items]
    return [w for w in dict.fromkeys(q.content) if len(w) >= 2 and 2 * sum(w in i for i in items) > len(items)]


_CN_COUNT = {c: i for i, c in enumerate("零一二三四五六七八九十", 0)} | {"两": 2}
_COUNT = re.compile(r"(?:哪|这)?([一二两三四五六七八九十]|\d{1,2})\s*(?:大|条|项|个|类|种|方面|点|件)")


def asked_count(text: str) -> int:
    """七大行动 / 哪五条 / 三个角色 -> 7 / 5 / 3: how many items the question expects, or 0."""
    m = _COUNT.search(text)
    if not m:
        return 0
    word = m.group(1)
    return int(word) if word.isdigit() else _CN_COUNT.get(word, 0)


# ---- a premise to check ---------------------------------------------------------------------------


@strategy("premise")
def premise(kb: Answerer, ask: Ask) -> Reply | None:
    """到2025年光伏装机1400兆瓦对吗: the sentence that states the figure claimed, as a target the question
    asks about, answers with the verdict (是的, or 不对 and what holds: another year or another figure)."""
    q = ask.q
    if not (q.intent.yes_no and q.intent.claims):
        return None
    for cand in kb.ranked(ask)[:PREMISE_CANDIDATES]:
        if q.title_docs and cand.chunk.doc_id not in q.title_docs:
            continue  # 省政府…意见说…是不是: the claim is checked against the document it is said of
        if cand.features.get("claim_match") and kb.target_of(cand, q) is not None:
            return kb.render_sentences([cand], ask, kb.max_chars)
    return None


# ---- who is responsible ----------------------------------------------------------------------------


@strategy("department")
def department(kb: Answerer, ask: Ask) -> Reply | None:
    """The note that closes the sentence the question is about: the task named by that sentence (the
    one that carries the asked term), then the departments as the note lists them."""
    if ask.q.intent.kind != "dept":
        return None
    cands = kb.ranked(ask)
    noted = [c for c in cands if kb.note_for(c.chunk, c.text) is not None]
    # a task the question quotes by its heading (“大力发展可再生能源”这项由谁负责) is that clause's
    named = [c for c in noted if names_heading(ask.q.quoted, c.chunk.heading)]
    noted = named + [c for c in noted if c not in named]
    if not noted or not kb.answers(ask, noted):
        return None  # nothing fits well enough: the sentence strategy decides, or says not found
    best = noted[0]
    note = kb.note_for(best.chunk, best.text)
    assert note is not None
    citations: list[Citation] = []
    markers = f"[{render.cite(citations, best.chunk, best.hit.score)}]"
    if not (best.chunk.start <= note.start < best.chunk.end):
        markers += f"[{render.cite_note(citations, note, kb.titles.get(note.doc_id, ''))}]"
    task = render.window(best.text, ask.q.content, kb.scorer.coverage, 60).rstrip("。；;，, ")
    duty = note.note[1:-1].split("。")[0]
    lead = "" if note.lead_marked or len(note.departments) < 2 else f"，{note.lead}列首位"
    text = f"{render.doc_prefix(best.chunk.doc_title, kb.many)}「{task}」（{best.chunk.path}）：{duty}{lead}{markers}。"
    return Reply(True, text, citations)


def names_heading(quoted: list[str], heading: str) -> bool:
    """Whether a quoted term is the clause's heading, or a part of it that names it (HEADING_QUOTE
    characters at least: “两高”, a term, names no one clause)."""
    heading = fold(heading).rstrip("。；;，, ")
    return any(len(t) >= HEADING_QUOTE and fold(t) in heading for t in quoted) if heading else False


# ---- the sentence ------------------------------------------------------------------------------------


@strategy("sentence")
def sentence(kb: Answerer, ask: Ask) -> Reply | None:
    """The sentence the calibrated decision ranks first, if it clears the threshold, and a second one
    that clears it too; targets stated through their rows. Below the threshold: not found."""
    cands = kb.ranked(ask)
    if not cands or not kb.answers(ask, cands):
        if bound := cap_of_cited(kb, ask, cands):
            return kb.render_sentences(bound, ask, kb.max_chars)
        return Reply(False, render.not_found(ask.hits, kb.titles, ask.scope_label), [], f"not_found:{ask.declined_by}")
    picked = [further(kb, ask, cands) or cands[0]]
    if ask.q.intent.kind != "target":
        for c in cands[1:]:
            others = cands[len(picked) + 1 :]
            if c.p > cands[0].p:  # put second by the answer step: judged against the one it put first
                others = [cands[0], *others]
            if len(picked) >= MAX_SENTENCES or not kb.answers(ask, [c, *others]):
                break
            if not any(render.same_sentence(c.text, p.text) for p in picked):
                picked.append(c)
    else:
        picked += other_levels(kb, ask, cands)
    picked[1:1] = cap_after(kb, ask, picked, cands)  # (beside the sentence it bounds)
    limit = kb.max_list_chars if ask.q.intent.kind in ("list", "general") else kb.max_chars
    return kb.render_sentences(picked, ask, limit)


# a sentence bounding an amount from above: 最高不超过200万元, 以上扶持上限为…, 以100万元为限
CAP_STATED = re.compile(
    rf"(?:最高|最多|不超过|不高于|上限为?|封顶)[^，,。；;]{{0,8}}?{AMOUNT}|{AMOUNT}[^，,。；;]{{0,4}}为限"
)


def cap_after(kb: Answerer, ask: Ask, picked: list[Candidate], cands: list[Candidate]) -> list[Candidate]:
    """Asked the most an amount can be (最多能补多少, 封顶多少) and answered by a sentence stating no bound
    (按…给予1000元/千瓦的扶持): the first sentence after it in its clause that bounds an amount (以上扶持最高
    不超过200万元: a bound before it is an earlier item's), put after it; none when a picked sentence bounds
    one already."""
    if not ask.q.intent.asks_cap or any(CAP_STATED.search(c.text) for c in picked):
        return []
    first = picked[0]
    end = first.chunk.start + first.span[1]
    bounds = [
        c
        for c in cands
        if c.chunk.clause_id == first.chunk.clause_id
        and c.chunk.start + c.span[0] >= end
        and CAP_STATED.search(c.text)
        and not kb.refused(c, ask)
    ]
    return [min(bounds, key=lambda c: c.chunk.start + c.span[0])] if bounds else []


def cap_of_cited(kb: Answerer, ask: Ask, cands: list[Candidate]) -> list[Candidate]:
    """A later part asking the most an amount can be (…每吨能拿多少扶持？封顶多少？), read in the context of the
    question around it (it names nothing of its own), where nothing answers it alone: the bound that follows
    the sentence a part before was answered with, in its clause (以上扶持最高不超过300万元), as cap_after finds
    it; the question around it has already found that sentence."""
    if not ask.q.intent.asks_cap or not ask.cited or not ask.q.in_context:
        return []
    for c in cands:
        if ask.quoted(c.text) and (bound := cap_after(kb, ask, [c], cands)):
            return bound
    return []


def further(kb: Answerer, ask: Ask, cands: list[Candidate]) -> Candidate | None:
    """A later part whose best sentence a part before it was answered with, asking what that sentence does
    not say (…按什么标准补？最多能补多少？): the next-ranked sentence of the same clause that holds more of
    the part's own words (以上扶持最高不超过200万元), if the sentence model rates it at least as likely as the
    answer threshold and no sentence rule is against it; None to keep the best."""
    if not ask.q.own or not ask.quoted(cands[0].text):
        return None
    cov = kb.scorer.coverage
    held = cov(ask.q.own, cands[0].text)
    for c in cands[1:FURTHER_LOOK]:
        if (
            c.chunk.clause_id == cands[0].chunk.clause_id
            and not ask.quoted(c.text)
            and cov(ask.q.own, c.text) > held
            and c.p >= kb.decision.threshold
            and not kb.refused(c, ask)
        ):
            return c
    return None


def other_levels(kb: Answerer, ask: Ask, cands: list[Candidate]) -> list[Candidate]:
    """A figure asked without naming a place, level or document, over documents of several levels:
    beside the answer, the best answering sentence of each other level the search found, each citing
    its document (the home plan, or the best, first)."""
    if ask.q.names_scope or len(kb.levels) < 2:
        return []
    seen = {kb.doc_scope[cands[0].chunk.doc_id][1]}
    out = []
    for i, c in enumerate(cands[1:], 1):
        level = kb.doc_scope[c.chunk.doc_id][1]
        if level in seen or c.features.get("figure_wanted", 0) <= 0 or not kb.answers(ask, cands[i:]):
            continue
        seen.add(level)
        out.append(c)
    return out[:OTHER_LEVELS]
