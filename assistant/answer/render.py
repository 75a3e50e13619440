"""Answer text: sentences cut to what is asked, targets stated with their deadline, [n] markers pointing
at citations, the not-found reply with its nearest clauses."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..schema import Chunk, Citation, Hit, Responsibility, Target
from ..text import CONDITION, TITLED
from ..text import years as years_named
from .candidates import AMOUNT, DATE, FIGURE, YEAR_DATE
from .intent import Intent

NOT_FOUND = "所检索的文件中没有找到能回答这个问题的内容，不作推测。"
NOT_IN_SCOPE = "所选范围（{scope}）内没有找到能回答这个问题的内容，不作推测。"
NOT_MENTIONED = "文件未提及"
LONG_SENTENCE = 150  # characters of a sentence an answer quotes whole; a longer one keeps the clauses asked about
SHORT_TARGET = 70  # a target sentence longer than this keeps its time phrase and the clauses with the figure
MORE_ASKED = 0.1  # share of the question's weight a further comma-clause must add to be kept
TIME_PREFIX = re.compile(r"^(到|至|在)?\s*(20\d\d年(底|前|末)?(前|以前)?|“?十[四五]五”?(期间|末|时期)?)[,，]?")


@dataclass
class Reply:
    """What a strategy returns: the answer text with [n] markers, its citations, and which strategy (or
    which abstention rule) produced it."""

    found: bool
    text: str
    citations: list[Citation] = field(default_factory=list)
    strategy: str = ""
    quoted: frozenset[str] = frozenset()  # the candidate sentences it quotes, whole (the text may shorten them)


def citation_of(chunk: Chunk, score: float) -> Citation:
    return Citation(
        doc_id=chunk.doc_id,
        doc_title=chunk.doc_title,
        clause=chunk.path,
        heading=chunk.heading,
        text=chunk.text,
        score=round(float(score), 4),
        page=chunk.page or None,
        doc_status=chunk.doc_status,
    )


def cite(citations: list[Citation], chunk: Chunk, score: float = 1.0) -> int:
    """The [n] of the chunk among the citations, adding it when new."""
    for i, c in enumerate(citations):
        if c.text == chunk.text and c.clause == chunk.path:
            return i + 1
    citations.append(citation_of(chunk, score))
    return len(citations)


def cite_note(citations: list[Citation], note: Responsibility, title: str) -> int:
    citations.append(
        Citation(
            doc_id=note.doc_id,
            doc_title=title,
            clause=note.clause_id.split("#", 1)[1],
            heading="",
            text=note.note,
            score=1.0,
        )
    )
    return len(citations)


def not_found(hits: list[Hit], titles: dict[str, str], scope_label: str = "") -> str:
    """The not-found reply, with the nearest clauses (each once, best first) to look at."""
    leads: list[tuple[str, str]] = []
    for h in hits:
        label = f"{h.chunk.path}「{h.chunk.heading}」"
        if h.chunk.heading and (h.chunk.doc_id, label) not in leads:
            leads.append((h.chunk.doc_id, label))
        if len(leads) == 3:
            break
    named, last = [], None
    for doc_id, label in leads:  # the document's title once, before its first clause
        prefix = f"《{titles.get(doc_id, '')}》" if len(titles) > 1 and doc_id != last else ""
        named.append(prefix + label)
        last = doc_id
    head = NOT_IN_SCOPE.format(scope=scope_label) if scope_label else NOT_FOUND
    return head + (f"可参考的相近条款：{'；'.join(named)}。" if named else "")


def doc_prefix(title: str, many: bool) -> str:
    return f"《{title}》：" if many and title else ""


# ---- targets ---------------------------------------------------------------------------------------


def target_text(row: Target, with_deadline: bool = True) -> str:
    """The verbatim clause that states a target, with its deadline in front when the clause lacks it."""
    seg = row.segment.rstrip("。；;，, ")
    if not with_deadline:
        return re.sub(
            r"^(力争)?(到|至|在)?\s*(20\d\d年(底前|底|前|末)?|“?十[四五]五”?(末|期间|时期))\s*[,，]?", "", seg
        )
    if not row.deadline or row.deadline.split("年")[0] in seg:
        return seg
    lead = row.deadline if row.deadline.endswith(("前", "底前")) else f"到{row.deadline}"
    return f"{lead}，{seg}"


def premise_verdict(intent: Intent, years: list[str], row: Target) -> str:
    """A yes/no question's premise checked against the row: 到2025年光伏装机1400兆瓦对吗, where
    1400兆瓦 is the 2030 target -> 不对."""
    if not intent.yes_no:
        return ""
    figure = f"{row.value}{row.unit}"
    if intent.claims and row.value and row.value not in intent.claims:
        return f"不对，不是{intent.claims[0]}{row.unit}，而是{figure}{_qualifier_tail(row)}："
    if years and row.deadline and not set(years) & set(years_named(row.deadline)):  # “十四五”末 is 2025
        return f"不对，{figure}是{row.deadline}的目标，不是{years[0]}年的："
    return "是的：" if intent.claims else ""


def _qualifier_tail(row: Target) -> str:
    return "".join(q for q in ("以上", "左右", "以内", "以下") if q in row.qualifier)


def same_sentence(a: str, b: str) -> bool:
    a, b = a.rstrip("。"), b.rstrip("。")
    return a == b or a in b or b in a


# ---- cutting long sentences ----------------------------------------------------------------------

Coverage = Callable[[list[str], str], float]


def shorten(sentence: str, tokens: list[str], coverage: Coverage, intent: Intent | None = None) -> str:
    """A long target sentence keeps its time phrase and the comma-clauses that carry the asked value:
    the best-covered clause among those holding a figure (or a date, when the question asks when), and
    the clause that best meets the question if it adds to it."""
    if len(sentence) <= SHORT_TARGET:
        return sentence
    segs = [s for s in re.split(r"(?<=[,，;；])", sentence) if s.strip()]
    if len(segs) < 2:
        return sentence
    prefix = ""
    m = TIME_PREFIX.match(segs[0].strip())
    if m and len(segs[0].strip()) <= 14:
        prefix, segs = segs[0].strip().rstrip(",，") + "，", segs[1:]
    asks_time = intent is not None and intent.asks_time

    def carries(seg: str) -> bool:
        # (到2025年 is when, not how much: a year carries no figure)
        return bool(FIGURE.search(YEAR_DATE.sub(" ", seg)) or (asks_time and DATE.search(seg)))

    order = sorted(range(len(segs)), key=lambda i: (-coverage(tokens, segs[i]), i))
    words = [t for t in tokens if years_named(t) != [t.removesuffix("年")]]  # (the year stays in any case)
    if not any(coverage(words, seg) for seg in segs):  # no clause says anything asked: none is the one to keep
        return sentence
    best = next((i for i in order if carries(segs[i])), order[0])
    keep = {best}
    if not carries(segs[best]) and best + 1 < len(segs) and carries(segs[best + 1]):
        keep.add(best + 1)
    # the clause that best meets the question, and (几个项目?总投资多少?) one with a second figure
    for i in order:
        if i in keep or len(keep) >= 3 or (i != order[0] and not carries(segs[i])):
            continue
        before = coverage(tokens, "".join(segs[j] for j in keep))
        if coverage(tokens, "".join(segs[j] for j in keep | {i})) - before >= MORE_ASKED:
            keep.add(i)
    # each unit asked (每度电补多少钱，补几年) is stated by the first clause that carries it
    for unit in intent.units if intent is not None else []:
        if not states_unit("".join(segs[i] for i in keep), unit):
            keep.update([i for i in range(len(segs)) if states_unit(segs[i], unit)][:1])
    # a clause ending in 的 (对…自发自用的，) is a condition: it and what it leads to go together
    for i in sorted(keep):
        j = i
        while CONDITION.search(segs[j]) and j + 1 < len(segs):
            j += 1
            keep.add(j)
        while i > 0 and CONDITION.search(segs[i - 1]):
            i -= 1
            keep.add(i)
    body = "".join(segs[i] for i in sorted(keep)).strip().rstrip(",，;；。")
    if not prefix:
        years = [s for s in segs[: min(keep)] if TIME_PREFIX.match(s.strip())]
        if years:
            prefix = years[-1].strip().rstrip(",，") + "，"
    return prefix + body


def states_unit(text: str, unit: str) -> bool:
    """Whether text states a figure in unit (连续补贴2年, 保存五年; a year such as 2025年 is not one)."""
    text = DATE.sub(" ", TITLED.sub(" ", text))  # 《三年行动计划》, 2025年, 3月31日 are no durations
    return bool(re.search(rf"(?<!第){AMOUNT}\s*[万亿千百]?\s*个?{re.escape(unit)}", text))


def window(sentence: str, tokens: list[str], coverage: Coverage, limit: int = LONG_SENTENCE) -> str:
    """A sentence longer than limit keeps the comma-clauses around the one that best meets the
    question, in order, up to limit characters."""
    if len(sentence) <= limit:
        return sentence
    segs = [s for s in re.split(r"(?<=[,，;；])", sentence) if s.strip()]
    best = max(range(len(segs)), key=lambda i: (coverage(tokens, segs[i]), -i))
    lo = hi = best
    size = len(segs[best])
    while True:
        grown = False
        for j in (hi + 1, lo - 1):
            if 0 <= j < len(segs) and size + len(segs[j]) <= limit and (j > hi or j < lo):
                size += len(segs[j])
                lo, hi = min(lo, j), max(hi, j)
                grown = True
        if not grown:
            break
    return "".join(segs[lo : hi + 1]).strip().rstrip(",，;；")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(quoted: list[tuple[str, str]], text: str) -> frozenset[str]:
    """Of (sentence, the part of a reply that quotes it), the sentences whose part the reply's text,
    once clipped, still holds whole: what the reader was shown."""
    return frozenset(sentence for sentence, part in quoted if part in text)


REPLY_UNIT = re.compile(r"[^。]*?\[\d+\]。")  # one quoted sentence of a reply, with its citation: 《题》：句[1]。
_MARKER = re.compile(r"\[\d+\]")


def _cite_into(citations: list[Citation], c: Citation) -> int:
    """The number of citation c among `citations`: that of one with its text and clause, or a new one."""
    same = next((j for j, d in enumerate(citations, 1) if d.text == c.text and d.clause == c.clause), None)
    if same is None:
        citations.append(c)
        same = len(citations)
    return same


def _renumbered(text: str, mapping: dict[int, int]) -> str:
    """The text with its [n] markers numbered by `mapping` (a number it lacks stays)."""

    def renumber(m: re.Match[str]) -> str:
        return f"[{mapping.get(int(m.group(1)), m.group(1))}]"

    return re.sub(r"\[(\d+)\]", renumber, text)


def said(text: str) -> list[str]:
    """The sentences a reply's text gives, as it gives them (a document's title before each, its citation
    marker dropped), in order."""
    return [_MARKER.sub("", u) for u in REPLY_UNIT.findall(text)]


def extend(reply: Reply, added: list[tuple[Reply, list[str]]], limit: int) -> Reply:
    """A reply with sentences of further replies after its own (what a question asks of each thing it
    names, 光伏和风电…各是多少, where its own sentences say nothing of one): of each further reply, the
    sentences `added` names (as `said` gives them), with the citations they use, numbered on."""
    citations = list(reply.citations)
    text = reply.text
    for other, keep in added:
        mapping: dict[int, int] = {}
        for unit in REPLY_UNIT.findall(other.text):
            if _MARKER.sub("", unit) not in keep:
                continue
            for n in (int(x) for x in re.findall(r"\[(\d+)\]", unit)):
                if n not in mapping and 0 < n <= len(other.citations):
                    mapping[n] = _cite_into(citations, other.citations[n - 1])
            text += _renumbered(unit, mapping)
    return Reply(
        reply.found,
        clip(text, limit),
        citations,
        "+".join([reply.strategy, *(r.strategy for r, _ in added)]),
        reply.quoted.union(*(r.quoted for r, _ in added)),
    )


def join_parts(parts: list[tuple[str, Reply]], limit: int) -> Reply:
    """The replies to the parts of a question, numbered, their citations renumbered; found only when
    every part is answered."""
    citations: list[Citation] = []
    texts = []
    given: dict[str, int] = {}  # each sentence said, and the part that said it first
    for n, (part, reply) in enumerate(parts, 1):
        if not reply.found:
            texts.append(f"（{n}）{NOT_MENTIONED}“{part.rstrip('？?。')}”。")
            continue
        mapping = {i: _cite_into(citations, c) for i, c in enumerate(reply.citations, 1)}
        text = _renumbered(reply.text, mapping)
        # a sentence an earlier part already gave is not said again: 见（1）, with its citation
        units = REPLY_UNIT.findall(text)
        if units and "".join(units) == text:
            said = [u for u in units if u in given]
            if said:
                parts_said = "".join(f"（{p}）" for p in sorted({given[u] for u in said}))
                markers = "".join(dict.fromkeys(m for u in said for m in re.findall(r"\[\d+\]", u)))
                text = f"见{parts_said}{markers}。" + "".join(u for u in units if u not in given)
            for u in units:
                given.setdefault(u, n)
        texts.append(f"（{n}）" + text)
    found = all(r.found for _, r in parts)
    return Reply(
        found,
        clip("".join(texts), limit),
        citations if found or citations else [],
        "parts:" + ",".join(r.strategy for _, r in parts),
        frozenset().union(*(r.quoted for _, r in parts)),
    )
