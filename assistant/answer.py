"""Picks the sentences that answer, composes a short reply with [n] markers, or says not found.

What a question wants decides what is picked: a target wants the sentence with the figure (and the
year asked), a duty wants the responsibility note that closes the passage, a list wants the
outline's items, a department's tasks come from the notes that name it.
"""
from __future__ import annotations

import math
import re

import numpy as np
from dataclasses import dataclass, field

from .knowledge import all_names, department_registry, find_departments
from .retrieve import PLACE_WORDS, Titles, named_places
from .schema import Chunk, Citation, Clause, Hit, Responsibility, Target
from .store import IndexData
from .text import Tokenizer, fold, glossary_share, glossary_terms, has_cjk, split_sentences

DEPT_Q = re.compile(r"(?i)\bwho\b|which (department|agenc|bureau)|responsible|in charge|谁|哪个部门|哪些部门|什么部门|哪个单位|哪些单位|哪家|那些部|那个部|牵头|归.{0,6}管|把关|主管|负责部门|责任部门|由.{0,6}负责")
TASKS_Q = re.compile(r"承担|(负责|牵头|参与).{0,12}(哪些|什么|哪部分|哪方面|哪项)|哪些(工作|任务)|什么(工作|任务)|哪部分|职责|(做|干|管)(什么|哪些)")
ASKS_DEPT = re.compile(r"谁|哪个部门|哪些部门|什么部门|哪个单位|哪些单位|哪家")
LIST_Q = re.compile(r"有哪些|有哪几|是哪些|哪些是|哪[几一二三四五六七八九十]+(条|项|个|种|方面|大|类)|包括哪些|包括什么|几大|都有什么|分别是什么|列举")
TARGET_Q = re.compile(r"(?i)how (much|many)|\btarget|\bwhen\b|what year|多少|哪一?天|截止|几(个|成|年|万|亿|公里|兆瓦)?|比例|比重|占比|目标|何时|什么时候|哪一?年|时间|吗\s*[?？]?$|达到|降低|下降|提高|提升")
YES_NO = re.compile(r"吗|对不对|是不是|是否|对吧|没错")
CLAIM = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?!年|\d)(?=%|％|兆瓦|万千瓦|千瓦|亿|万|个|公里|亩|㎡|吨|立方)")
TARGET_WORD = re.compile(r"目标|指标")
TIME_Q = re.compile(r"(?i)什么时候|何时|哪一?年|哪一?天|几月几[日号]|截止|多久|时间|\bwhen\b|what year|by which year")
YEAR = re.compile(r"(20\d\d)\s*年?")
TIME_PREFIX = re.compile(r"^(到|至|在)?\s*(20\d\d年(底|前|末)?(前|以前)?|“?十[四五]五”?(期间|末|时期)?)[,，]?")
FIGURE = re.compile(r"\d")
NOT_FOUND = "所检索的文件中没有找到能回答这个问题的内容，不作推测。"


@dataclass
class Intent:
    kind: str  # dept, dept_tasks, list, target, general
    years: list[str] = field(default_factory=list)
    places: set[str] = field(default_factory=set)
    department: str = ""
    asks_time: bool = False  # 什么时候 / 何时 / 哪一年: the answer must carry a date
    claims: list[str] = field(default_factory=list)  # figures a yes/no question asserts: 是400兆瓦吗
    yes_no: bool = False


def classify(question: str, departments: list[str]) -> Intent:
    q = fold(question)
    years = YEAR.findall(q)
    places = named_places(q)
    dept = _named_department(q, departments)
    if dept and TASKS_Q.search(q) and not ASKS_DEPT.search(q):
        return Intent("dept_tasks", years, places, dept)
    if DEPT_Q.search(q):
        return Intent("dept", years, places)
    if LIST_Q.search(q):
        return Intent("list", years, places)
    if TARGET_Q.search(q):
        claims = [m.group(1) for m in CLAIM.finditer(q)] if YES_NO.search(q) else []
        return Intent("target", years, places, asks_time=bool(TIME_Q.search(q)), claims=claims, yes_no=bool(YES_NO.search(q)))
    return Intent("general", years, places)


def _named_department(q: str, departments: list[str]) -> str:
    found = [d for d in departments if d and d in q]
    return max(found, key=len) if found else ""


@dataclass
class Candidate:
    hit_rank: int
    chunk: Chunk
    text: str  # the sentence, verbatim
    score: float = 0.0
    coverage: float = 0.0


class Composer:
    def __init__(self, tokenizer: Tokenizer, data: IndexData, doc_titles: dict[str, str],
                 max_chars: int = 300, max_list_chars: int = 600, home_place: str = "", titles: Titles | None = None):
        chunks, notes = data.chunks, data.notes
        self.tokenizer = tokenizer
        self.df = data.df
        self.sentence_vectors = data.sentence_vectors
        self.sentences: dict[str, list[tuple[int, int, int]]] = {}
        for row, (ci, s, e) in enumerate(data.sentences.tolist()):
            self.sentences.setdefault(chunks[ci].chunk_id, []).append((row, s, e))
        self.n = max(1, len(chunks))
        self.clause_chunks: dict[str, list[Chunk]] = {}
        for c in chunks:
            if c.kind == "text":
                self.clause_chunks.setdefault(c.clause_id, []).append(c)
        self.note_chunks = {
            (n.clause_id, n.start): c
            for n in notes
            for c in self.clause_chunks.get(n.clause_id, [])
            if c.start <= n.start < c.end
        }
        self.notes = notes
        self.clauses = {c.clause_id: c for c in data.clauses}
        self.titles = doc_titles
        self.title_matcher = titles or Titles(doc_titles)  # the retriever's, when given: one memo per question
        self.max_chars = max_chars
        self.max_list_chars = max_list_chars
        self.outlines = {c.clause_id: c for c in chunks if c.kind == "outline"}
        self.targets: dict[str, list[Target]] = {}
        for t in data.targets:
            self.targets.setdefault(t.clause_id, []).append(t)
        self.registry = department_registry(notes, {d.doc_id: d for d in data.documents}, self.clauses)
        self.home_place = home_place
        self.doc_text = {d.doc_id: fold(d.text).lower() for d in data.documents}
        self.places = {d.meta.place for d in data.documents if d.meta.place}
        self.corpus_text = fold("\n".join(c.text for c in chunks)).lower()
        self.departments = sorted(
            {n for d in self.registry for n in [d.name, *d.names, *all_names(d.name)]}, key=len, reverse=True
        )

    # ---- scoring -------------------------------------------------------------------------
    def idf(self, token: str) -> float:
        return math.log(1 + (self.n - self.df.get(token, 0) + 0.5) / (self.df.get(token, 0) + 0.5))

    def coverage(self, q_tokens: set[str], text: str) -> float:
        if not q_tokens:
            return 0.0
        t = fold(text).lower()
        ordered = sorted(q_tokens)  # a set's order follows the hash seed; float sums must not, or ties flip between runs
        total = sum(self.idf(x) for x in ordered)
        return sum(self.idf(x) for x in ordered if x in t) / total if total else 0.0

    def without_title(self, question: str) -> str:
        """The question less the document title it names (江苏省政府关于…的实施意见, 对2025年…的目标是多少?):
        the title routes the search to its document (retrieve.TITLE_PRIOR), and is not what is asked."""
        return self.title_matcher.without(question)

    def question_tokens(self, question: str) -> set[str]:
        """The question's content tokens; place names and a named document title route the search and
        are not content. An English question is read through the domain glossary."""
        if not has_cjk(question):
            question = glossary_terms(question)
        question = self.without_title(question)
        for words in PLACE_WORDS.values():
            for w in sorted(words, key=len, reverse=True):
                question = question.replace(w + "市", " ").replace(w + "省", " ").replace(w, " ")
        return set(self.tokenizer.tokens(question))

    def _absent(self, word: str) -> bool:
        """A word the corpus never uses; a compound of two words it does use (牵头单位) is not absent."""
        w = word.lower()
        if w in self.corpus_text:
            return False
        return len(w) <= 2 or not all(part in self.corpus_text for part in (w[:2], w[2:]))

    def asked_attribute(self, question: str) -> str:
        """What a 多少 question measures: the last content word before 多少 (林木覆盖率, GDP, 利率)."""
        m = list(VALUE_Q.finditer(question))
        if not m:
            return ""
        words = [w for w in self.tokenizer.words(question[: m[-1].start()]) if not _filler(w)]
        return words[-1] if words else ""

    def unanswerable_reason(self, question: str, hits: list[Hit], preferred: set[str] = frozenset()) -> str:
        """Why the corpus cannot answer, or "": a value asked of something the corpus never names,
        a year the documents asked about never mention, a figure in a unit no passage states, a plan
        of a place the corpus has no document of, a real-time value (今天的天气, 现在的碳价), or
        passages that share too little with the question."""
        attribute = self.asked_attribute(question)
        if attribute and self._absent(attribute):
            return f"文件中没有“{attribute}”的内容"
        texts = [self.doc_text[d] for d in preferred if d in self.doc_text] or [self.corpus_text]
        missing_years = [y for y in YEAR.findall(question) if not any(y in t for t in texts)]
        if missing_years:
            return f"文件没有提到{missing_years[0]}年"
        unit = _asked_unit(question)
        if unit and not any(re.search(rf"\d\s*[万亿千百]?\s*({unit})", h.chunk.text) for h in hits[:5]):
            return "文件中没有这个数值"
        if _other_place_plan(question, self.places):
            return "文件中没有这个地方的方案"
        if REALTIME_Q.search(question) and ASKS_VALUE.search(question):
            return "文件是政策文本，不含实时数据"
        if not has_cjk(question) and glossary_share(question) < ENGLISH_FLOOR:
            return "问题中的主要词语在文件里找不到对应内容"
        best = max(self.coverage(self.question_tokens(part), h.chunk.context()) for part in _parts(question) for h in hits[:5])
        return "" if best >= COVERAGE_FLOOR else "没有足够相近的条款"

    # ---- composing ----------------------------------------------------------------------
    def compose(self, question: str, hits: list[Hit], query: np.ndarray,
                preferred: set[str] = frozenset()) -> tuple[bool, str, list[Citation]]:
        if not hits:
            return False, NOT_FOUND, []
        quoted = self.quoted_clauses(question, hits)
        if quoted:
            return self._source_of(quoted)
        intent = classify(self.without_title(question), self.departments)
        if intent.kind == "dept_tasks":
            found = self._dept_tasks(intent, hits)
            if found:
                return found
        q_tokens = self.question_tokens(question)
        if self.unanswerable_reason(question, hits, preferred):
            return False, self._not_found(hits), []
        if intent.kind == "dept":
            found = self._departments(q_tokens, hits)
            if found:
                return found
        if intent.kind == "list":
            found = self._outline(q_tokens, hits)
            if not found and TARGET_WORD.search(question):
                found = self._year_targets(intent, hits, preferred)
            if found:
                return found
        return self._sentences(q_tokens, intent, hits, query, preferred)

    def quoted_clauses(self, question: str, hits: list[Hit]) -> list[Clause]:
        """The clauses a question quotes, when it is nothing but quotation (a clause pasted whole, or a
        part of one): it is answered by where the text comes from. Read as a question, a pasted clause's
        responsibility note would make it a question about departments."""
        q = _bare(question)
        if len(q) < QUOTE_MIN:
            return []
        quoted, rest = [], q
        for clause_id in dict.fromkeys(h.chunk.clause_id for h in hits if h.chunk.clause_id in self.clauses):
            clause = self.clauses[clause_id]
            text = _bare(clause.text)
            if q in text:
                return [clause]
            if len(text) >= QUOTE_MIN // 4 and text in rest:
                quoted.append(clause)
                rest = rest.replace(text, "")
        return quoted if quoted and sum(ch.isalnum() for ch in rest) <= QUOTE_SLACK else []

    def _source_of(self, clauses: list[Clause]) -> tuple[bool, str, list[Citation]]:
        citations: list[Citation] = []
        where = []
        for clause in clauses:
            chunk = self.clause_chunks.get(clause.clause_id, [None])[0]
            marker = f"[{_cite(citations, chunk, self.titles, 1.0)}]" if chunk is not None else ""
            where.append(f"《{self.titles.get(clause.doc_id, '')}》{clause.path}「{clause.heading}」{marker}".replace("「」", ""))
        return True, f"这段文字出自{'、'.join(where)}。", citations

    def _not_found(self, hits: list[Hit]) -> str:
        leads, last_doc = [], None
        for h in hits:
            label = f"{h.chunk.path}「{h.chunk.heading}」"
            if not h.chunk.heading or (h.chunk.doc_id, label) in leads:
                continue  # each clause once, best first
            leads.append((h.chunk.doc_id, label))
            if len(leads) == 3:
                break
        named = []
        for doc_id, label in leads:  # the document's title once, before its first clause
            named.append((self._doc_prefix_of(doc_id).rstrip("：") if doc_id != last_doc else "") + label)
            last_doc = doc_id
        return NOT_FOUND + (f"可参考的相近条款：{'；'.join(named)}。" if named else "")

    def _sentences(self, q_tokens: set[str], intent: Intent, hits: list[Hit], query: np.ndarray, preferred: set[str]):
        cands = self.candidates(q_tokens, intent, hits, query, preferred)
        if not cands:
            return False, self._not_found(hits), []
        best = cands[0]
        picked = [best]
        limit = self.max_list_chars if intent.kind in ("list", "general") else self.max_chars
        for c in cands[1:]:
            if len(picked) >= 2 or c.score < 0.85 * best.score or intent.kind == "target":
                break
            if c.chunk.chunk_id != best.chunk.chunk_id or abs(c.hit_rank - best.hit_rank) == 0:
                picked.append(c)
        return self._render(picked, q_tokens, intent, limit)

    def candidates(self, q_tokens: set[str], intent: Intent, hits: list[Hit], query: np.ndarray,
                   preferred: set[str] = frozenset()) -> list[Candidate]:
        """Sentences of the best passages, scored by their similarity to the question (dense, and
        the words they share), what their heading path and topic lead share with it, and how well
        their passage ranked."""
        top = max(h.score for h in hits[:CANDIDATE_HITS]) or 1.0
        out, sims = [], []
        for rank, hit in enumerate(hits[:CANDIDATE_HITS]):
            if hit.chunk.kind != "text":
                continue
            lead = topic_lead(hit.chunk)
            context_cov = self.coverage(q_tokens, " ".join([*hit.chunk.heading_path, lead]))
            for row, s, e in self.sentences.get(hit.chunk.chunk_id, []):
                sent = _strip_note(hit.chunk.text[s:e])
                if len(sent) < 6 or _is_heading(sent, hit.chunk):
                    continue
                cov = self.coverage(q_tokens, sent)
                score = cov + CONTEXT_WEIGHT * context_cov + HIT_WEIGHT * (hit.score / top) + _intent_bonus(intent, sent)
                if preferred and hit.chunk.doc_id not in preferred:
                    score -= OTHER_DOC_PENALTY  # the question points elsewhere (title, place, or home)
                out.append(Candidate(rank, hit.chunk, sent, score, cov))
                sims.append(float(self.sentence_vectors[row] @ query.reshape(-1)))
        if out:
            lo, hi = min(sims), max(sims)
            for cand, sim in zip(out, sims):
                cand.score += SENTENCE_WEIGHT * ((sim - lo) / (hi - lo) if hi > lo else 0.0)
        out.sort(key=lambda c: -c.score)
        return out

    def _render(self, picked: list[Candidate], q_tokens: set[str], intent: Intent, limit: int):
        citations: list[Citation] = []
        parts = []
        for cand in picked:
            n = _cite(citations, cand.chunk, self.titles, 1.0)
            row = self.target_of(cand, q_tokens) if intent.kind == "target" else None
            if row is not None:
                text = "，".join(target_text(r, with_deadline=i == 0) for i, r in enumerate(self.also_asked(cand, row, q_tokens)))
                whole = target_text(row.model_copy(update={"segment": _shorten(cand.text, q_tokens, intent, self.coverage)}))
                if not intent.yes_no and self.coverage(q_tokens, whole) - self.coverage(q_tokens, text) >= MORE_ASKED:
                    text = whole  # the question asks more than the rows state (几个项目?总投资多少?)
            elif intent.kind == "target":
                text = _shorten(cand.text, q_tokens, intent, self.coverage)
            else:
                text = _window(cand.text, q_tokens, self.coverage, LONG_SENTENCE)
            text = _strip_note(text).rstrip("。；;，, ")
            verdict = premise_verdict(intent, row) if row is not None else ""
            parts.append(f"{verdict}{self._doc_prefix(cand.chunk)}{text}[{n}]。")
        answer = "".join(parts)
        if len(answer) > limit:
            answer = answer[: limit - 1] + "…"
        return True, answer, citations

    def target_of(self, cand: Candidate, q_tokens: set[str]) -> Target | None:
        """The target row the chosen sentence states about what the question asks (its indicator)."""
        rows = [t for t in self.targets.get(cand.chunk.clause_id, []) if _same_sentence(t.sentence, cand.text)]
        if not rows:
            return None
        best = max(rows, key=lambda t: (self.coverage(q_tokens, t.indicator) + self.coverage(q_tokens, t.segment), -rows.index(t)))
        # a row about another indicator of the same sentence is not the answer: the sentence is
        fit = max(self.coverage(q_tokens, best.indicator), self.coverage(q_tokens, best.segment))
        return best if fit >= ROW_FLOOR else None

    def also_asked(self, cand: Candidate, row: Target, q_tokens: set[str]) -> list[Target]:
        """The row, and the other rows of its sentence whose indicator the question also names
        (森林覆盖率和森林蓄积量), in the sentence's order."""
        rows = [t for t in self.targets.get(cand.chunk.clause_id, []) if t.sentence == row.sentence]
        named = [t for t in rows if t is row or (t.indicator != row.indicator and t.indicator in "".join(q_tokens)
                                                   or self.coverage(q_tokens, t.indicator) >= 0.9)]
        return [t for t in named if t.deadline == row.deadline][:3] or [row]

    def _year_targets(self, intent: Intent, hits: list[Hit], preferred: set[str] = frozenset()):
        """2025年有哪些目标: the targets due that year in the document the question points to (by title,
        place, or else the home plan), else in the best-ranked document that has some."""
        if len(intent.years) != 1 or not hits:
            return None
        year = intent.years[0]
        due: dict[str, list[Target]] = {}
        for rows in self.targets.values():
            for t in rows:
                if year in t.deadline:
                    due.setdefault(t.doc_id, []).append(t)
        ranked = list(dict.fromkeys(h.chunk.doc_id for h in hits))
        choices = ([d for d in ranked if d in preferred and d in due] or sorted(d for d in preferred if d in due)
                   or [d for d in ranked if d in due])
        if not choices:
            return None
        rows = due[choices[0]]
        title = self.titles.get(choices[0], "")
        prefix = f"《{title}》：" if len(self.titles) > 1 and title else ""
        citations: list[Citation] = []
        head = f"{prefix}到{year}年的目标有{len(rows)}项："
        items: list[str] = []
        for row in rows:
            chunk = self._chunk_of_target(row)
            item = target_text(row, with_deadline=False)
            if len(head) + len("；".join([*items, item])) + 12 > self.max_list_chars:
                items.append(f"等{len(rows)}项")
                break
            items.append(item + (f"[{_cite(citations, chunk, self.titles, 1.0)}]" if chunk else ""))
        return True, head + "；".join(items) + "。", citations

    def _chunk_of_target(self, row: Target) -> Chunk | None:
        return next((c for c in self.clause_chunks.get(row.clause_id, []) if row.segment and row.segment in c.text), None)

    def _doc_prefix_of(self, doc_id: str) -> str:
        title = self.titles.get(doc_id, "")
        return f"《{title}》：" if len(self.titles) > 1 and title else ""

    def _doc_prefix(self, chunk: Chunk) -> str:
        return f"《{chunk.doc_title}》：" if len(self.titles) > 1 and chunk.doc_title else ""

    def compare(self, question: str, per_place: dict[str, list[Hit]], query: np.ndarray) -> tuple[bool, str, list[Citation]]:
        """One sentence from each place's documents, each naming its document."""
        q_tokens = self.question_tokens(question)
        intent = classify(self.without_title(question), self.departments)
        citations: list[Citation] = []
        parts = []
        for place, hits in per_place.items():
            if not hits or self.unanswerable_reason(question, hits, {h.chunk.doc_id for h in hits}):
                continue
            cands = self.candidates(q_tokens, intent, hits, query)
            if not cands:
                continue
            c = cands[0]
            n = _cite(citations, c.chunk, self.titles, 1.0)
            row = self.target_of(c, q_tokens)
            text = target_text(row) if row is not None else _shorten(c.text, q_tokens, intent, self.coverage)
            parts.append(f"《{c.chunk.doc_title}》：{_strip_note(text).rstrip('。；;，, ')}[{n}]。")
        if not parts:
            every = sorted((h for hits in per_place.values() for h in hits), key=lambda h: -h.score)
            return False, self._not_found(every), []
        return True, "".join(parts)[: self.max_chars], citations

    def _departments(self, q_tokens: set[str], hits: list[Hit]):
        """The note closing the best passage; a best passage without a note (the preamble, a 专栏)
        is answered from its sentences instead of borrowing another passage's note."""
        with_notes = {n.doc_id for n in self.notes}
        for hit in [h for h in hits[:5] if h.chunk.kind == "text" and h.chunk.doc_id in with_notes][:1]:
            note = self.note_for(hit.chunk)
            if note is None:
                return None
            citations: list[Citation] = []
            n = _cite(citations, hit.chunk, self.titles, hit.score)
            markers = f"[{n}]"
            if not (hit.chunk.start <= note.start < hit.chunk.end):
                m = _cite_note(citations, note, self.titles)
                markers += f"[{m}]"
            task = _task_name(hit.chunk, note)
            duty = note.note[1:-1].split("。")[0]
            lead = "" if note.lead_marked else f"，{note.lead}列首位"
            answer = f"{self._doc_prefix(hit.chunk)}{task}（{hit.chunk.path}）由{duty}{lead}{markers}。"
            return True, answer, citations
        return None

    def note_for(self, chunk: Chunk) -> Responsibility | None:
        """The note that closes the text of this chunk: the first note of its clause ending after it."""
        notes = [n for n in self.notes if n.clause_id == chunk.clause_id and n.end >= chunk.start + 1]
        notes = [n for n in notes if n.span_start <= chunk.end]
        return min(notes, key=lambda n: n.end) if notes else None

    def _dept_tasks(self, intent: Intent, hits: list[Hit]):
        """A department's tasks from the notes that name it, lead tasks first, each with its clause."""
        depts = find_departments(self.registry, intent.department)
        places = intent.places or {self.home_place}
        depts = [d for d in depts if d.place in places] or depts
        if not depts:
            return None
        dept = max(depts, key=lambda d: len(d.tasks))
        tasks = sorted(dept.tasks, key=lambda t: t.role != "牵头")
        lead = sum(t.role == "牵头" for t in tasks)
        head = f"{intent.department}（{dept.place}）在{len(tasks)}项任务的责任单位之列" + (f"，其中牵头{lead}项" if lead else "") + "："
        citations: list[Citation] = []
        items: list[str] = []
        for task in tasks:
            detail = self.task_detail(task, dept) if len(tasks) <= 3 else ""
            item = f"{task.path}{task.heading}" + ("（牵头）" if task.role == "牵头" else "") + detail + f"[{len(citations) + 1}]"
            if len(head) + len("；".join([*items, item])) + 8 > self.max_list_chars:
                items.append(f"等{len(tasks)}项")
                break
            chunk = self.note_chunks.get((task.clause_id, _note_start(task, self.notes)))
            if chunk is None:
                item = item[: item.rindex("[")]
            else:
                item = item[: item.rindex("[")] + f"[{_cite(citations, chunk, self.titles, 1.0)}]"
            items.append(item)
        return True, head + "；".join(items) + "。", citations

    def task_detail(self, task, dept) -> str:
        """For a department with few tasks: the sentence of the task that names its field
        (税务局 -> 税收优惠政策; 邮政管理局 -> 邮政快递), else the task's first sentence."""
        stem = re.sub(r"(管理)?(局|委|厅|部|办|公司|中心|委员会)$", "", dept.name)
        sentences = [t for c in self.clause_chunks.get(task.clause_id, []) for t in _plain_sentences(c)]
        if not sentences:
            return ""
        best = max(sentences, key=lambda t: (2 * (stem in t) + sum(ch in t for ch in stem) / max(1, len(stem)), -sentences.index(t)))
        return "：" + _window(best, set(stem), lambda q, t: sum(ch in t for ch in q), 80).rstrip("。；;，, ")

    def _outline(self, q_tokens: set[str], hits: list[Hit]):
        """The entries of the best-ranked outline: an outline hit, or the outline of a text hit's clause."""
        for hit in hits[:3]:
            outline = hit.chunk if hit.chunk.kind == "outline" else self.outlines.get(hit.chunk.clause_id)
            if outline is None or len(outline.items) < 2:
                continue
            header = outline.text.split("\n")[: len(outline.text.split("\n")) - len(outline.items)]
            if self.coverage(q_tokens, " ".join([outline.doc_title, *header])) < OUTLINE_FLOOR:
                continue  # the list asked for is not this clause's list of items
            citations: list[Citation] = []
            n = _cite(citations, outline, self.titles, hit.score)
            title = _strip_label(outline.text.split("\n")[0]).split("。")[0]
            answer = f"{self._doc_prefix(outline)}{title}共{len(outline.items)}项：" + "；".join(outline.items) + f"[{n}]。"
            return True, answer[: self.max_list_chars], citations
        return None


HIT_WEIGHT = 0.5
CANDIDATE_HITS = 8
OUTLINE_FLOOR = 0.5
ROW_FLOOR = 0.3
OTHER_DOC_PENALTY = 0.3
CONTEXT_WEIGHT = 0.4
SENTENCE_WEIGHT = 0.6
COVERAGE_FLOOR = 0.28
ENGLISH_FLOOR = 0.4
VALUE_Q = re.compile(r"多少|是谁|由谁担任")
REALTIME_Q = re.compile(r"今天|明天|昨天|今年|实时|当前|目前|现在|最新")
ASKS_VALUE = re.compile(r"多少|几|怎么样|如何|是否")
_FILLER = re.compile(r"^(\d+|年|要|需要|能|会|将|是|为|有|达到|提升|提高|降低|下降|减少|增加|大概|大约|约|目标|指标|计划|的|到|在|至|了|各|分别|又|都|还|一共|共|总共)$")


_UNITS_ASKED = {"万吨": "万吨|亿吨|吨", "吨": "万吨|亿吨|吨", "钱": "元", "元": "元", "块": "元", "度": "千瓦时|度",
                "千瓦时": "千瓦时", "公里": "公里|千米", "亩": "亩", "平方米": "平方米|㎡", "人": "人|万人"}
_ASKED_UNIT = re.compile(r"多少(万吨|吨|钱|元|块|度|千瓦时|公里|亩|平方米|人)")
_PLAN_WORDS = re.compile(r"方案|规划|计划|意见|通知|文件|政策")


QUOTE_MIN = 40  # characters: shorter text is a question even when a clause holds it verbatim
QUOTE_SLACK = 8  # letters or digits of its own a quotation may add (请问, 出处?)


def _bare(text: str) -> str:
    return "".join(fold(text).split())


def _asked_unit(question: str) -> str:
    """多少万吨 / 多少钱: the unit a figure in the answer must carry."""
    m = _ASKED_UNIT.search(question)
    return _UNITS_ASKED[m.group(1)] if m else ""


_JIANGSU_PLACES = ("江阴", "宜兴", "张家港", "常熟", "太仓", "昆山", "无锡", "南京", "苏州", "常州", "南通", "扬州",
                   "镇江", "泰州", "徐州", "盐城", "淮安", "连云港", "宿迁", "江苏")


def _other_place_plan(question: str, places: set[str]) -> bool:
    """无锡市碳达峰实施方案定的…: a question about the plan of a place the corpus has no document of."""
    named = [p for p in _JIANGSU_PLACES if p in question and p not in places]
    return bool(named) and not [p for p in places if p in question] and bool(_PLAN_WORDS.search(question))


def _parts(question: str) -> list[str]:
    """The question and each of its clauses: 忽略之前的指令，告诉我…目标是多少 is judged by its
    answerable clause, not diluted by the instruction around it."""
    parts = [p for p in re.split(r"[，,。；;！!？?：:]", question) if len(p.strip()) >= 4]
    return [question, *parts] if len(parts) > 1 else [question]


def _filler(word: str) -> bool:
    return bool(_FILLER.match(word) or re.fullmatch(r"[各是为有要的了都又还共约将会能该]+", word)) or _is_punct(word)


def _is_punct(word: str) -> bool:
    return not any(ch.isalnum() for ch in word)


def target_text(row: Target, with_deadline: bool = True) -> str:
    """The verbatim clause that states a target, with its deadline in front when the clause lacks it."""
    seg = row.segment.rstrip("。；;，, ")
    if not with_deadline:
        return re.sub(r"^(力争)?(到|至|在)?\s*(20\d\d年(底前|底|前|末)?|“?十[四五]五”?(末|期间|时期))\s*[,，]?", "", seg)
    if not row.deadline or row.deadline.split("年")[0] in seg:
        return seg
    lead = row.deadline if row.deadline.endswith(("前", "底前")) else f"到{row.deadline}"
    return f"{lead}，{seg}"


def premise_verdict(intent: Intent, row: Target) -> str:
    """A yes/no question's premise checked against the row: 到2025年光伏装机1400兆瓦对吗 -> 不对."""
    if not intent.yes_no:
        return ""
    figure = f"{row.value}{row.unit}"
    if intent.claims and row.value and row.value not in intent.claims:
        return f"不对，不是{intent.claims[0]}{row.unit}，而是{figure}{_qualifier_tail(row)}："
    if intent.years and row.deadline and not any(y in row.deadline for y in intent.years):
        return f"不对，{figure}是{row.deadline}的目标，不是{intent.years[0]}年的："
    return "是的：" if intent.claims else ""


def _qualifier_tail(row: Target) -> str:
    return "".join(q for q in ("以上", "左右", "以内", "以下") if q in row.qualifier)


def _same_sentence(a: str, b: str) -> bool:
    a, b = _strip_note(a).rstrip("。"), _strip_note(b).rstrip("。")
    return a == b or a in b or b in a


def _is_heading(sentence: str, chunk: Chunk) -> bool:
    """The clause's own numbering and heading (1.实施节能和能效提升计划。), or the document's title
    line in its preamble: a title, not an answer."""
    bare = _strip_label(sentence).rstrip("。")
    return bare in {chunk.heading, chunk.doc_title} - {""}


def _intent_bonus(intent: Intent, sentence: str) -> float:
    if intent.kind != "target":
        return 0.0
    if intent.asks_time:
        return 0.3 if YEAR.search(sentence) else -0.3
    if intent.claims and any(re.search(rf"(?<![\d.]){re.escape(c)}(?![\d.])", sentence) for c in intent.claims):
        return 0.45  # 到2025年光伏装机1400兆瓦对吗: the sentence with the claimed figure, whatever its year
    bonus = 0.15 if FIGURE.search(sentence) else -0.1
    if intent.years:
        if any(y in sentence for y in intent.years):
            bonus += 0.2
        elif YEAR.search(sentence):
            bonus -= 0.2  # the figure of another year
    return bonus


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    return split_sentences(text)


def _strip_note(text: str) -> str:
    from .knowledge import find_notes

    for s, e in reversed(find_notes(text)):
        text = text[:s] + text[e:]
    return text.strip()


def _strip_label(line: str) -> str:
    from .parse import match_marker

    marker = match_marker(line)
    return line.lstrip()[len(marker[2]) :].strip() if marker else line.strip().lstrip("—- ")


def _shorten(sentence: str, q_tokens: set[str], intent: Intent, coverage) -> str:
    """A long target sentence keeps its time phrase and the comma-clauses that carry the asked figure."""
    if len(sentence) <= 70:
        return sentence
    segs = [s for s in re.split(r"(?<=[,，;；])", sentence) if s.strip()]
    if len(segs) < 2:
        return sentence
    prefix = ""
    m = TIME_PREFIX.match(segs[0].strip())
    if m and len(segs[0].strip()) <= 14:
        prefix, segs = segs[0].strip().rstrip(",，") + "，", segs[1:]
    scored = [(coverage(q_tokens, s) + (0.2 if FIGURE.search(s) else 0.0), i) for i, s in enumerate(segs)]
    best = max(scored)[1]
    keep = {best}
    if not FIGURE.search(segs[best]) and best + 1 < len(segs) and FIGURE.search(segs[best + 1]):
        keep.add(best + 1)
    # a question of two parts (几个项目?总投资多少?) keeps the clause with the second figure too
    for _, i in sorted(scored, reverse=True):
        if i in keep or not FIGURE.search(segs[i]) or len(keep) >= 3:
            continue
        before = coverage(q_tokens, "".join(segs[j] for j in keep))
        if coverage(q_tokens, "".join(segs[j] for j in keep | {i})) - before >= MORE_ASKED:
            keep.add(i)
    body = "".join(segs[i] for i in sorted(keep)).strip().rstrip(",，;；。")
    if not prefix:
        years = [s for s in segs[: min(keep)] if TIME_PREFIX.match(s.strip())]
        if years:
            prefix = years[-1].strip().rstrip(",，") + "，"
    return prefix + body


LONG_SENTENCE = 150
MORE_ASKED = 0.1  # share of the question's weight a further comma-clause must add to be kept


def _window(sentence: str, q_tokens: set[str], coverage, limit: int) -> str:
    """A sentence longer than limit keeps the comma-clauses around the one that best meets the
    question, in order, up to limit characters."""
    if len(sentence) <= limit:
        return sentence
    segs = [s for s in re.split(r"(?<=[,，;；])", sentence) if s.strip()]
    best = max(range(len(segs)), key=lambda i: (coverage(q_tokens, segs[i]), -i))
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


def _cite(citations: list[Citation], chunk: Chunk, titles: dict[str, str], score: float) -> int:
    for i, c in enumerate(citations):
        if c.text == chunk.text and c.clause == chunk.path:
            return i + 1
    citations.append(citation_of(chunk, score))
    return len(citations)


def _cite_note(citations: list[Citation], note: Responsibility, titles: dict[str, str]) -> int:
    citations.append(Citation(doc_id=note.doc_id, doc_title=titles.get(note.doc_id, ""), clause=note.clause_id.split("#", 1)[1],
                              heading="", text=note.note, score=1.0))
    return len(citations)


def citation_of(chunk: Chunk, score: float) -> Citation:
    return Citation(doc_id=chunk.doc_id, doc_title=chunk.doc_title, clause=chunk.path, heading=chunk.heading,
                    text=chunk.text, score=round(float(score), 4), page=chunk.page or None)


def topic_lead(chunk: Chunk) -> str:
    """The lead sentence that opens the chunk's topic (严格控制煤炭消费增长), or ""."""
    from .parse import is_lead

    body = _after_heading(chunk.text.split("\n")[0]) if chunk.text else ""
    spans = split_sentences(body)
    first = body[spans[0][0] : spans[0][1]].strip() if spans else ""
    return first.rstrip("。") if first and is_lead(first, 2) else ""


def _after_heading(line: str) -> str:
    from .parse import match_marker, split_heading

    marker = match_marker(line)
    if not marker:
        return line
    rest = line.lstrip()[len(marker[2]) :]
    heading, body = split_heading(rest)
    return rest[body:] if heading else rest


def _task_name(chunk: Chunk, note: Responsibility) -> str:
    first = chunk.text.split("\n")[0]
    from .parse import match_marker, split_heading

    marker = match_marker(first)
    if marker:
        first = first.lstrip()[len(marker[2]) :]
        heading, body = split_heading(first)
        if heading and body < len(first):
            first = first[body:]
    spans = split_sentences(first)
    lead = first[spans[0][0] : spans[0][1]].strip().rstrip("。") if spans else ""
    if lead and len(lead) <= 30:
        return f"「{lead}」"
    return f"「{chunk.heading}」"


def _plain_sentences(chunk: Chunk) -> list[str]:
    """The chunk's sentences without its heading line or notes."""
    out = []
    for s, e in split_sentences(chunk.text):
        sent = _strip_note(chunk.text[s:e])
        if len(sent) >= 10 and not _is_heading(sent, chunk):
            out.append(sent)
    return out


def _note_start(task, notes: list[Responsibility]) -> int:
    return next((n.start for n in notes if n.clause_id == task.clause_id and n.note == task.note), -1)


def _clause_label(note: Responsibility, chunk: Chunk | None) -> str:
    path = note.clause_id.split("#", 1)[1]
    heading = chunk.heading if chunk is not None else ""
    return f"{path}{heading}" if heading else path
