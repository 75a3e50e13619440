"""Answers from what retrieval found: a registered strategy (strategies.py) picks what answers, the
calibrated decision (decision.py) says whether anything does, render.py writes the reply.

question (Question) + hits -> Ask -> the first strategy that applies -> Reply (found, text, citations,
the strategy's name, or `not_found:<rule>`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ..knowledge import department_registry
from ..schema import Chunk, Citation, Hit, Responsibility, Target, Task
from ..store import IndexData
from ..text import Tokenizer, fold, split_sentences, tag
from . import decision as decisions
from . import render
from .abstain import RULES, SENTENCE_RULES
from .candidates import Candidate, Scorer, is_heading, strip_label, strip_notes
from .render import Reply
from .strategies import STRATEGIES, Ask

if TYPE_CHECKING:
    from ..question import Question

__all__ = ["Answerer", "Ask", "Reply", "STRATEGIES", "RULES"]


class Answerer:
    def __init__(
        self,
        data: IndexData,
        tokenizer: Tokenizer,
        max_chars: int = 300,
        max_list_chars: int = 600,
        home_place: str = "",
        decision: decisions.Decision | None = None,
        rules_off: frozenset[str] = frozenset(),
    ):
        """`decision` defaults to the one fitted for the index's embedder (decision.for_embedder);
        `rules_off` names abstention rules left out (to measure what each adds)."""
        self.data = data
        self.scorer = Scorer(data, tokenizer, home_place)
        self.decision = decision or decisions.for_embedder(data.manifest.get("embedder", {}).get("id", ""))
        self.max_chars, self.max_list_chars = max_chars, max_list_chars
        self.home_place = home_place
        self.rules_off = rules_off
        self.titles = {d.doc_id: d.meta.title for d in data.documents}
        self.many = len(self.titles) > 1
        self.clauses = {c.clause_id: c for c in data.clauses}
        self.clause_chunks: dict[str, list[Chunk]] = {}
        for c in data.chunks:
            if c.kind == "text":
                self.clause_chunks.setdefault(c.clause_id, []).append(c)
        self.outlines = {c.clause_id: c for c in data.chunks if c.kind == "outline"}
        self.outlines_of: dict[str, list[Chunk]] = {}
        for c in self.outlines.values():
            self.outlines_of.setdefault(c.doc_id, []).append(c)
        self.notes_of: dict[str, list[Responsibility]] = {}
        for n in data.notes:
            self.notes_of.setdefault(n.clause_id, []).append(n)
        self.targets: dict[str, list[Target]] = {}
        for t in data.targets:
            self.targets.setdefault(t.clause_id, []).append(t)
        self.registry = department_registry(data.notes, {d.doc_id: d for d in data.documents}, self.clauses)
        self.doc_scope = {d.doc_id: (d.doc_id, d.meta.level) for d in data.documents}
        self.levels = {d.meta.level for d in data.documents if d.meta.level}
        # every title and document text, folded and lower-cased, once: what "the corpus uses a word" reads
        self.folded_texts = [fold(d.text).lower() for d in data.documents]  # in the documents' order
        self.corpus_text = "\n".join(
            [*(fold(t).lower() for t in self.titles.values() if t), *filter(None, self.folded_texts)]
        )

    def in_corpus(self, word: str) -> bool:
        """Whether the (folded) word occurs anywhere in the documents: a title or the text."""
        return word in self.corpus_text

    # ---- the decision ---------------------------------------------------------------------------

    def answer(self, ask: Ask) -> Reply:
        for name, rule in RULES:
            if name in self.rules_off:
                continue
            why = rule(self, ask)
            if why:
                return Reply(False, why, [], f"not_found:{name}")
        for name, fn in STRATEGIES:
            reply = fn(self, ask)
            if reply is not None:
                reply.strategy = reply.strategy or name
                return reply
        return Reply(False, render.not_found(ask.hits, self.titles, ask.scope_label), [], "not_found:none")

    def ranked(self, ask: Ask) -> list[Candidate]:
        """The question's candidate sentences, scored by the decision, best first (computed once)."""
        if ask._cands is None:
            cands = self.scorer.candidates(ask.q, ask.hits, ask.query, ask.preferred)
            self.decision.score(cands)
            cands.sort(key=lambda c: (-c.p, c.rank))
            self.decision.rerank(cands, ask.q.english, ask.q.intent.kind)
            _runs_first(cands, ask.q, self.in_corpus)
            _definition_first(cands, ask.q, self.decision.threshold)
            ask._cands = cands
        return ask._cands

    def answers(self, ask: Ask, ranked: list[Candidate]) -> bool:
        """Whether the first of the ranked candidates answers the question: the calibrated decision, and
        no sentence rule (abstain.SENTENCE_RULES) against it."""
        if not ranked:
            return False
        # a later part (…有奖励吗？每吨奖多少？) whose best sentence is one a part before it was answered with
        # goes on about what that sentence says: the question around it has already found it
        again = ask.quoted(ranked[0].text)
        if not again and self.decision.answerable(ranked, ask.q.english, ask.q.intent.kind) < self.decision.threshold:
            ask.declined_by = ask.declined_by or "calibrated"
            return False
        refused = self.refused(ranked[0], ask)
        ask.declined_by = ask.declined_by or refused
        return not refused

    def refused(self, cand: Candidate, ask: Ask) -> str:
        """The first sentence rule (abstain.SENTENCE_RULES) against the candidate, or ""."""
        return next((n for n, rule in SENTENCE_RULES if n not in self.rules_off and rule(cand, ask)), "")

    def in_scope_doc(self, doc_id: str, ask: Ask) -> bool:
        scope = ask.scope
        if scope is None:
            return True
        doc, level = self.doc_scope.get(doc_id, (doc_id, ""))
        return (not scope.doc_ids or doc in scope.doc_ids) and (not scope.levels or level in scope.levels)

    # ---- notes, tasks, targets --------------------------------------------------------------------

    def note_for(self, chunk: Chunk, sentence: str = "") -> Responsibility | None:
        """The note that closes the text of this chunk (after the sentence, when given): the first note
        of its clause that ends after it."""
        at = chunk.start + max(0, chunk.text.find(sentence[:12])) if sentence else chunk.start
        notes = [n for n in self.notes_of.get(chunk.clause_id, []) if n.end >= at + 1 and n.span_start <= chunk.end]
        return min(notes, key=lambda n: n.end) if notes else None

    def note_chunk(self, task: Task) -> Chunk | None:
        note = next((n for n in self.notes_of.get(task.clause_id, []) if n.note == task.note), None)
        if note is None:
            return None
        return next((c for c in self.clause_chunks.get(task.clause_id, []) if c.start <= note.start < c.end), None)

    def task_detail(self, task: Task, department: str) -> str:
        """For a department with few tasks: the sentence of the task that names its field
        (税务局 -> 税收优惠政策), else the task's first sentence."""
        stem = re.sub(r"(管理)?(局|委|厅|部|办|公司|中心|委员会)$", "", department)
        sentences = [t for c in self.clause_chunks.get(task.clause_id, []) for t in plain_sentences(c)]
        if not sentences:
            return ""
        best = max(
            sentences,
            key=lambda t: (2 * (stem in t) + sum(ch in t for ch in stem) / max(1, len(stem)), -sentences.index(t)),
        )
        return "：" + render.window(best, list(stem), lambda q, t: sum(ch in t for ch in q), 80).rstrip("。；;，, ")

    def target_chunk(self, row: Target) -> Chunk | None:
        return next(
            (c for c in self.clause_chunks.get(row.clause_id, []) if row.segment and row.segment in c.text), None
        )

    def target_of(self, cand: Candidate, q: Question) -> Target | None:
        """The target row the chosen sentence states about what the question asks (its indicator)."""
        rows = [t for t in self.targets.get(cand.chunk.clause_id, []) if render.same_sentence(t.sentence, cand.text)]
        if not rows:
            return None
        cov = self.scorer.coverage
        # an indicator the question writes out whole (农作物秸秆综合利用率 names 秸秆综合利用率) is the one asked
        written = [t for t in rows if len(t.indicator) >= 4 and fold(t.indicator) in q.text]
        rows = [max(written, key=lambda t: len(t.indicator))] if written else rows
        best = max(rows, key=lambda t: (cov(q.content, t.indicator) + cov(q.content, t.segment), -rows.index(t)))
        fit = max(cov(q.content, best.indicator), cov(q.content, best.segment))
        return best if fit >= ROW_FIT else None

    def also_asked(self, cand: Candidate, row: Target, q: Question) -> list[Target]:
        """The row, and the other rows of its sentence whose indicator the question also names
        (森林覆盖率和森林蓄积量), in the sentence's order."""
        rows = [t for t in self.targets.get(cand.chunk.clause_id, []) if t.sentence == row.sentence]
        asked = "".join(q.content)
        named = [
            t
            for t in rows
            if t is row
            or (
                t.indicator != row.indicator
                and t.indicator in asked
                or self.scorer.coverage(q.content, t.indicator) >= 0.9
            )
        ]
        return [t for t in named if t.deadline == row.deadline][:3] or [row]

    # ---- writing ---------------------------------------------------------------------------------

    def render_sentences(self, picked: list[Candidate], ask: Ask, limit: int) -> Reply:
        q = ask.q
        cov = self.scorer.coverage
        citations: list[Citation] = []
        parts = []
        for cand in picked:
            n = render.cite(citations, cand.chunk, cand.hit.score)
            row = self.target_of(cand, q) if q.intent.kind == "target" else None
            if row is not None:
                # (the rows of one clause naming several indicators, 化学需氧量、氨氮…分别下降, state it once)
                rows: list[Target] = []
                for r in self.also_asked(cand, row, q):
                    if all(r.segment != kept.segment for kept in rows):
                        rows.append(r)
                text = "，".join(render.target_text(r, with_deadline=i == 0) for i, r in enumerate(rows))
                whole = render.target_text(
                    row.model_copy(update={"segment": render.shorten(cand.text, q.content, cov, q.intent)})
                )
                unstated = [u for u in q.intent.units if not render.states_unit(text, u)]
                if not q.intent.yes_no and (
                    cov(q.content, whole) - cov(q.content, text) >= render.MORE_ASKED
                    or any(render.states_unit(whole, u) for u in unstated)
                ):
                    text = whole  # the question asks more than the rows state (几个项目?总投资多少? 补几年?)
            elif q.intent.kind == "target":
                text = render.shorten(cand.text, q.content, cov, q.intent)
            else:
                text = render.window(cand.text, q.content, cov)
            text = strip_label(strip_notes(text)).rstrip("。；;，, ")  # the numbering is in the citation
            verdict = render.premise_verdict(q.intent, q.years, row) if row is not None else ""
            parts.append(f"{verdict}{render.doc_prefix(cand.chunk.doc_title, self.many)}{text}[{n}]。")
        text = render.clip("".join(parts), limit)
        return Reply(True, text, citations, quoted=render.shown([(c.text, p) for c, p in zip(picked, parts)], text))

    def compare(self, q: Question, per_place: dict[str, list[Hit]], query: np.ndarray) -> Reply:
        """One sentence from each place's documents, each naming its document."""
        citations: list[Citation] = []
        parts, quoted = [], []
        for hits in per_place.values():
            ask = Ask(q, hits, query, {h.chunk.doc_id for h in hits})
            cands = self.ranked(ask)
            if not cands or not self.answers(ask, cands):
                continue
            c = cands[0]
            n = render.cite(citations, c.chunk, c.hit.score)
            row = self.target_of(c, q)
            text = (
                render.target_text(row)
                if row is not None
                else render.shorten(c.text, q.content, self.scorer.coverage, q.intent)
            )
            parts.append(f"《{c.chunk.doc_title}》：{strip_label(strip_notes(text)).rstrip('。；;，, ')}[{n}]。")
            quoted.append((c.text, parts[-1]))
        if not parts:
            every = sorted((h for hits in per_place.values() for h in hits), key=lambda h: -h.score)
            return Reply(False, render.not_found(every, self.titles), [], "not_found:calibrated")
        text = render.clip("".join(parts), self.max_chars)
        return Reply(True, text, citations, "compare", render.shown(quoted, text))


ROW_FIT = 0.3  # share of the question's weight a target row must carry to state the answer


def plain_sentences(chunk: Chunk) -> list[str]:
    """The chunk's sentences without its heading line or notes."""
    out = []
    for s, e in split_sentences(chunk.text):
        sent = strip_notes(chunk.text[s:e])
        if len(sent) >= 10 and not is_heading(sent, chunk):
            out.append(sent)
    return out


RUN_TIE = 0.03  # how close the first two candidates' probabilities are for the asked word runs to decide


def asked_runs(q, in_corpus: Callable[[str], bool]) -> list[str]:
    """Two asked words the question writes together and the documents use together (建设单位: 建设 and 单位),
    as one run: a sentence holding the words apart (设计单位…城乡建设部门) holds them, but not the thing they
    name together."""
    words = [t for t in dict.fromkeys(q.content) if len(t) >= 2]
    said = fold(q.search).lower()
    return [a + b for a in words for b in words if a != b and a + b in said and a + b not in words and in_corpus(a + b)]


def _runs_first(cands: list, q, in_corpus: Callable[[str], bool]) -> None:
    """Of the first two candidates, of one document and rated within RUN_TIE of each other, the one holding
    more of the asked runs whole goes first (in place)."""
    if len(cands) < 2 or abs(cands[0].p - cands[1].p) > RUN_TIE or cands[0].chunk.doc_id != cands[1].chunk.doc_id:
        return
    runs = asked_runs(q, in_corpus) if len(q.each) < 2 else []  # (asked of several things: each has its own runs)
    if not runs:
        return
    held = [sum(r in fold(c.text).lower() for r in runs) for c in cands[:2]]
    if held[1] > held[0]:
        cands[0], cands[1] = cands[1], cands[0]


# a sentence that defines a term (（一）温室气体：是指…; 本办法所称重点排放单位，是指…; “双碳”是指…): the term
# it is about, after a list marker and a lead such as 本办法所称, 其中, 所谓
DEFINES = re.compile(
    r"^\s*(?:[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十\d]+[.、．])?\s*"
    r"(?:本(?:办法|条例|规定|方案|意见)(?:中)?所称|前款所称|其中|所谓|上述)?\s*[“\"]?"
    r"([\u4e00-\u9fffA-Za-z0-9]{2,16}?)[”\"]?\s*[，,：:]?\s*是指"
)
# what a question asking what a term covers or means says (温室气体包括哪几种, 什么是碳汇, 重点排放单位指什么)
DEFINITION_ASKED = re.compile(r"包括|包含|是什么|什么是|指什么|指的是|含义|意思|定义|范围|哪几种|哪些种类")
DEFINITION_LOOK = 5  # how far down the ranking a definition is looked for (hand-set: the sentences shown at most)


def defined_term(text: str) -> str:
    """The term a sentence defines, "" when it defines none: 是指 read as 是 + 指 (refers to), not 是 + 指导,
    指定, 指标… (jieba's tagger tells them apart)."""
    m = DEFINES.match(text)
    if not m or [w for w, _ in tag(text[m.end() - 2 : m.end() + 6])][:2] != ["是", "指"]:
        return ""
    return fold(m.group(1)).lower()


def _definition_first(cands: list, q, threshold: float) -> None:
    """Asked what a term covers or means (温室气体具体包括哪几种), the sentence defining the longest term the
    question names goes first, ahead of one defining another (碳排放：是指…温室气体排放), if the decision rates it
    answerable. Not for an amount, a time or who is responsible: a definition states none of them (in place)."""
    intent = q.intent
    if len(cands) < 2 or intent.asks_amount or intent.asks_time or intent.kind in ("dept", "dept_tasks", "target"):
        return
    asked = fold(q.untitled).lower()
    if not DEFINITION_ASKED.search(asked):
        return
    named = [
        (len(t), -i, i) for i, c in enumerate(cands[:DEFINITION_LOOK]) if (t := defined_term(c.text)) and t in asked
    ]
    if not named:
        return
    i = max(named)[2]
    if i and cands[i].p >= threshold:
        cands.insert(0, cands.pop(i))
