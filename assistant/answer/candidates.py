"""The sentences that could answer a question, each with the features the calibrated decision reads.

A candidate is a sentence of one of the best passages. Its features say how well it meets the question
(dense similarity of question and sentence, the share of the question's content it covers, what its
heading says), how well its passage ranked, whether it carries what the intent wants (a figure, a date,
the asked year, unit, or a responsibility note), and whether it is about the place the question names.
Each feature is computed the same way for every question; their weights are fitted (decision.py).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..knowledge import find_notes
from ..parse import is_lead, line_parts
from ..schema import Chunk, Hit
from ..text import DOCUMENT_PLAN, TITLED, fold, split_sentences, years

if TYPE_CHECKING:
    from ..question import Question

CANDIDATE_HITS = 8  # passages whose sentences are considered
MIN_SENTENCE = 6
FIGURE = re.compile(
    # an approximate amount says 余 or 多 before its unit or its order (500余家, 300多万千瓦, 1万余吨)
    r"\d+(?:\.\d+)?\s*[余多]?(%|％|‰|[万亿千百]?[余多]?(?:千瓦时|千瓦|兆瓦|吨|元|立方米|平方米|公顷|公里|米|亩|辆|个|家|座|项|户|人|倍|小时|天|年)"
    r"|个百分点|[万亿](?![\d])|(?i:[kmg]w|mw|gw)\b)"
    # amounts written in Chinese numerals (处二万元以上的罚款, 至少保存五年, 三十日内, 建成五个示范区)
    # (a lone 一 is a word, not an amount: 上一年度, 统一)
    r"|(?:[二两三四五六七八九十][一二两三四五六七八九十百千]*|一[十百千][一二三四五六七八九十百千]*)"
    r"[余多]?[万亿]?[余多]?(?:千瓦|兆瓦|元|吨|个工作日|个|家|项|座|批|日|天|年|倍|成|个百分点)"
    r"|百分之[一二两三四五六七八九十百零点]+"
    # a ratio or a decimal needs no unit (铁钢比下降至0.75以下, 按1:1匹配)
    r"|(?<![\d.])\d+\.\d+(?![\d.])|(?<![\d.])\d+\s*[:：]\s*\d+(?![\d.])"
    # an order of magnitude (千亿级产业园, 百万千瓦级基地)
    r"|[十百千万亿]+(?:千瓦|吨|元)?级"
)
DATE = re.compile(r"20\d\d\s*年|\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}\s*月底|十[四五]五")
# an amount: digits, or Chinese numerals other than a lone 一 (上一年度, 统一 are words)
AMOUNT = r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千〇]{2,}|(?<![一二两三四五六七八九十百千〇])[二两三四五六七八九十百千])"

FEATURES = (
    "dense",
    "dense_gap",
    "coverage",
    "coverage_gap",
    "context",
    "passage",
    "hit",
    "first_hit",
    "rare_missing",
    "figure_wanted",
    "time_wanted",
    "day_wanted",
    "year_match",
    "year_other",
    "year_absent",
    "unit_match",
    "unit_absent",
    "attribute_absent",
    "claim_match",
    "quoted_match",
    "place_match",
    "place_other",
    "foreign_place",
    "home",
    "title_match",
    "note",
    "headline",
    "headline_dept",
    "meta_line",
    "first_sentence",
    "length",
    "english_dense",
)
DAY = re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}\s*月(底|末|中旬|上旬|下旬)")
Weights = tuple[tuple[tuple[str, float], ...], float]  # asked tokens with their idf, and the idf total


class Sentence(NamedTuple):
    """What a sentence is, whatever the question: computed once per sentence for the index's life."""

    text: str  # verbatim, without a responsibility note
    folded: str  # folded, lower case
    years: list[str]  # the years it names, outside document titles
    figure: bool  # it carries a figure (outside document titles)
    date: bool
    day: bool
    headline: bool  # no clause punctuation: a heading-like line
    meta_line: bool  # a table row or header line (｜)
    length: float


@dataclass
class Candidate:
    rank: int  # of its passage among the hits
    hit: Hit
    text: str  # the sentence, verbatim, without a responsibility note
    row: int  # its row in the index's sentence vectors
    span: tuple[int, int] = (0, 0)  # where the sentence (note included) is in its chunk's text
    features: dict[str, float] = field(default_factory=dict)
    p: float = 0.0  # the decision's probability that it answers

    @property
    def chunk(self) -> Chunk:
        return self.hit.chunk


class Scorer:
    """Computes candidates and their features against one index."""

    def __init__(self, data, tokenizer, home_place: str):
        self.tokenizer = tokenizer
        self.df = data.df
        self.n = max(1, len(data.chunks))
        self.sentence_vectors = data.sentence_vectors
        self.home_place = home_place
        self.doc_place = {d.doc_id: d.meta.place for d in data.documents}
        self._fold_cache: dict[str, tuple[str, str]] = {}  # a dict's single writes are atomic: threads may share it
        self._idf: dict[str, float] = {}  # likewise
        self._sentence_cache: dict[int, Sentence | None] = {}  # likewise
        self._years_cache: dict[str, frozenset[str]] = {}  # likewise
        self.sentences: dict[str, list[tuple[int, int, int]]] = {}
        for row, (ci, s, e) in enumerate(data.sentences.tolist()):
            self.sentences.setdefault(data.chunks[ci].chunk_id, []).append((row, s, e))
        notes_of: dict[str, list[int]] = {}
        for n in data.notes:
            notes_of.setdefault(n.clause_id, []).append(n.start)
        self.noted = {
            c.chunk_id for c in data.chunks if any(c.start <= s < c.end + 2 for s in notes_of.get(c.clause_id, ()))
        }
        # an outline's passages: the text of its clause and of the clause's items, each its own passage
        children = {c.clause_id: [c.clause_id, *c.children] for c in data.clauses}  # in the document's order
        texts_of: dict[str, list[Chunk]] = {}
        for c in data.chunks:
            if c.kind == "text":
                texts_of.setdefault(c.clause_id, []).append(c)
        self.items: dict[str, list[Chunk]] = {
            c.chunk_id: [t for k in children.get(c.clause_id, ()) for t in texts_of.get(k, [])]
            for c in data.chunks
            if c.kind == "outline"
        }

    def _folded(self, chunk: Chunk) -> tuple[str, str]:
        """(context, context + text) of a chunk, folded once for the index's life: what a passage says
        of itself (title, heading path, topic lead) and all of it."""
        found = self._fold_cache.get(chunk.chunk_id)
        if found is None:
            context = fold(" ".join([chunk.doc_title, *chunk.heading_path, topic_lead(chunk)])).lower()
            found = (context, f"{context} {fold(chunk.text).lower()}")
            self._fold_cache[chunk.chunk_id] = found
        return found

    def _years(self, chunk: Chunk) -> frozenset[str]:
        """The years a passage names (text.years: 十四五末 names 2025), read once for the index's life."""
        found = self._years_cache.get(chunk.chunk_id)
        if found is None:
            found = self._years_cache[chunk.chunk_id] = frozenset(years(chunk.text))
        return found

    def _sentence(self, row: int, chunk: Chunk, start: int, end: int) -> Sentence | None:
        """The sentence at `row` (chunk.text[start:end]), or None when it is too short or is the clause's
        numbering and heading or the document's title."""
        if row in self._sentence_cache:
            return self._sentence_cache[row]
        text = strip_notes(chunk.text[start:end])
        found = None
        if len(text) >= MIN_SENTENCE and not is_heading(text, chunk):
            # 《2030年前碳达峰行动方案》 names a document: not a date or a figure; so does “十四五”规划
            plain = DOCUMENT_PLAN.sub(" ", TITLED.sub(" ", text))
            found = Sentence(
                text=text,
                folded=fold(text).lower(),
                years=list(dict.fromkeys(years(plain) + in_force(chunk.text, start))),
                figure=bool(FIGURE.search(plain)),
                date=bool(DATE.search(plain)),
                day=bool(DAY.search(plain)),
                headline=not re.search(r"[，,。；;：:]", text.rstrip("。")),
                meta_line="｜" in text or "|" in text,
                length=math.log(1 + len(text)) / 6.0,
            )
        self._sentence_cache[row] = found
        return found

    # ---- lexical --------------------------------------------------------------------------------

    def idf(self, token: str) -> float:
        found = self._idf.get(token)
        if found is None:
            df = self.df.get(token, 0)
            found = math.log(1 + (self.n - df + 0.5) / (df + 0.5))
            if df:  # the index's own words only, so the memo stays as small as its vocabulary
                self._idf[token] = found
        return found

    def weights(self, tokens: list[str] | set[str]) -> Weights:
        """The tokens with their idf, in sorted order (a set's order follows the hash seed: float sums
        must not), and their total: computed once per question, shared by every candidate."""
        pairs = tuple((t, self.idf(t)) for t in sorted(set(tokens)))
        return pairs, sum(w for _, w in pairs)

    def coverage(self, tokens: list[str] | set[str], text: str, folded: bool = False) -> float:
        """The idf-weighted share of the tokens the text (already folded, when `folded`) contains."""
        return _share(self.weights(tokens), text if folded else fold(text).lower())

    def rarity(self, tokens: list[str]) -> tuple[tuple[str, float], ...]:
        """The asked words of two characters or more, each with how rare it is (0-1): a word the corpus
        never uses counts as rare as the rarest it does. Once per question."""
        top = math.log(1 + self.n)
        return tuple((t, min(self.idf(t), top) / top) for t in sorted(set(tokens)) if len(t) >= 2)

    @staticmethod
    def rare_missing(rarity: tuple[tuple[str, float], ...], folded: str) -> float:
        """How rare the rarest asked word is that neither the sentence nor its passage (`folded`)
        contains (0 when all are there): a question about a detail the passage never mentions."""
        return max((r for t, r in rarity if t not in folded), default=0.0)

    # ---- candidates -----------------------------------------------------------------------------

    def candidates(
        self, question: Question, hits: list[Hit], query: np.ndarray, preferred: set[str] | frozenset[str] = frozenset()
    ) -> list[Candidate]:
        if not hits:
            return []
        top = max(h.score for h in hits[:CANDIDATE_HITS]) or 1.0
        out: list[Candidate] = []
        asked = self.weights(question.content), self.rarity(question.content)
        for rank, hit in self._passages(hits[:CANDIDATE_HITS]):
            spans = self.sentences.get(hit.chunk.chunk_id, [])
            passage: dict[str, float] | None = None
            for index, (row, s, e) in enumerate(spans):
                sentence = self._sentence(row, hit.chunk, s, e)
                if sentence is None:
                    continue
                if passage is None:
                    passage = self._passage_features(question, asked, hit, rank, hit.score / top, preferred)
                cand = Candidate(rank, hit, sentence.text, row, (s, e))
                cand.features = self._features(question, asked[0], cand, sentence, index, query, passage)
                out.append(cand)
        _relative(out, "dense", "dense_gap")
        _relative(out, "coverage", "coverage_gap")
        return out

    def _passages(self, hits: list[Hit]) -> list[tuple[int, Hit]]:
        """The text passages of the hits, each with its hit's rank: an outline found (第八条 …符合下列条件的：
        (一)… (二)…) stands for its items' passages, at its own rank and score, where they were not found
        themselves."""
        found = {h.chunk.chunk_id for h in hits if h.chunk.kind == "text"}
        out: list[tuple[int, Hit]] = []
        for rank, hit in enumerate(hits):
            if hit.chunk.kind == "text":
                out.append((rank, hit))
                continue
            for item in self.items.get(hit.chunk.chunk_id, []):
                if item.chunk_id not in found:
                    found.add(item.chunk_id)
                    out.append((rank, hit.model_copy(update={"chunk": item})))
        return out

    def _passage_features(
        self,
        q: Question,
        asked: tuple[Weights, tuple[tuple[str, float], ...]],
        hit: Hit,
        rank: int,
        score: float,
        preferred: set[str] | frozenset[str],
    ) -> dict[str, float]:
        """The features a candidate has from its passage: the same for each of the passage's sentences."""
        chunk = hit.chunk
        weights, rarity = asked
        context, passage = self._folded(chunk)
        intent = q.intent
        place = self.doc_place.get(chunk.doc_id, "")
        named = set(q.places)
        return {
            "context": _share(weights, context),
            "passage": _share(weights, passage),
            "hit": score,
            "first_hit": float(rank == 0),
            "rare_missing": self.rare_missing(rarity, passage),
            "year_absent": float(bool(q.years) and not any(y in self._years(chunk) for y in q.years)),
            "unit_absent": float(bool(intent.unit) and not _has_unit(chunk.text, intent.unit)),
            "attribute_absent": float(bool(q.attribute) and not _attribute_in(q.attribute, passage)),
            "place_match": float(bool(named) and place in named),
            "place_other": float(bool(named or q.levels) and chunk.doc_id not in preferred),
            "home": float(not (q.places or q.title_docs) and bool(place) and place == self.home_place),
            "title_match": float(chunk.doc_id in q.title_docs),
            "note": float(intent.kind == "dept" and chunk.chunk_id in self.noted),
        }

    def _features(
        self,
        q: Question,
        weights: Weights,
        cand: Candidate,
        sentence: Sentence,
        index: int,
        query: np.ndarray,
        passage: dict[str, float],
    ) -> dict[str, float]:
        """A candidate's features: its passage's (_passage_features) and its sentence's own."""
        text, years = cand.text, sentence.years
        dense = float(self.sentence_vectors[cand.row] @ query.reshape(-1))
        intent = q.intent
        return {
            **passage,
            "dense": dense,
            "coverage": _share(weights, sentence.folded),
            "figure_wanted": float(intent.kind == "target") * (1.0 if sentence.figure else -1.0),
            "time_wanted": float(intent.asks_time) * (1.0 if sentence.date else -1.0),
            "day_wanted": float(intent.asks_day) * (1.0 if sentence.day else -1.0),
            "year_match": float(bool(q.years) and any(y in years for y in q.years)),
            "year_other": float(bool(q.years) and bool(years) and not any(y in years for y in q.years)),
            "unit_match": float(bool(intent.unit) and _has_unit(text, intent.unit)),
            "claim_match": float(
                bool(intent.claims)
                and any(re.search(rf"(?<![\d.]){re.escape(c)}(?![\d.])", text) for c in intent.claims)
            ),
            "quoted_match": float(any(t in text for t in q.quoted)),
            "foreign_place": float(bool(q.foreign_places) and not any(p in text for p in q.foreign_places)),
            "headline": float(sentence.headline),
            "headline_dept": float(intent.kind == "dept" and sentence.headline),
            "meta_line": float(sentence.meta_line),
            "first_sentence": float(index == 0),
            "length": sentence.length,
            "english_dense": dense * float(q.english),
        }


def _share(weights: Weights, plain: str) -> float:
    """The idf-weighted share of the weighted tokens a folded text contains."""
    pairs, total = weights
    return sum(w for t, w in pairs if t in plain) / total if total else 0.0


def _relative(cands: list[Candidate], name: str, gap: str) -> None:
    """Each candidate's feature against the best of its question's candidates (0 for the best)."""
    if not cands:
        return
    best = max(c.features[name] for c in cands)
    for c in cands:
        c.features[gap] = c.features[name] - best


# words that ask for a share of a whole (多大比例, 占比多少): a sentence names the share by its figure,
# under whichever of them it uses (非化石能源消费比重达到24%), so any stated percentage carries one
SHARE_WORDS = ("比例", "比重", "占比", "份额", "百分比", "比率")
SHARE = re.compile(r"\d\s*[%％]|百分之")


SIZE_WORDS = ("规模", "体量", "量级", "大小", "数量")  # how big or how many: any amount states it
# how much a thing changes (碳排放强度降幅, 产值增幅): a change stated with its amount (下降9.5%, 提高到…) states it
CHANGE_WORDS = ("降幅", "增幅", "涨幅", "幅度", "降低率", "下降率", "增长率", "增速")
CHANGE = re.compile(r"(?:下降|降低|减少|压减|削减|提高|提升|增长|增加)[^，,。；;]{0,12}?\d")
YEAR_DATE = re.compile(r"(?<!\d)20\d\d\s*年")  # a year is a date, not an amount


def _attribute_in(attribute: str, passage: str) -> bool:
    """Whether a passage carries the attribute a value question asks of its subject: the word itself,
    or, for a share, a stated share, for a change (降幅, 增幅), a change stated with its amount (下降9.5%),
    and for a size (规模, 体量), a stated amount (千亿级, 3000万千瓦)."""
    if attribute in passage:
        return True
    if attribute.endswith(SHARE_WORDS):
        return bool(SHARE.search(passage))
    if attribute.endswith(CHANGE_WORDS):
        return bool(CHANGE.search(YEAR_DATE.sub(" ", passage)))
    return attribute.endswith(SIZE_WORDS) and bool(FIGURE.search(YEAR_DATE.sub(" ", passage)))


# a deadline that opens a ；-part (到2025年，A达到x；B提高到y。): in force for the parts after it
_OPENING_DEADLINE = re.compile(r"(?:^|(?<=[。；;\n]))\s*(?:力争)?(?:到|至)\s*(20\d\d)\s*年[底末]?(?:前)?\s*[，,]")


def in_force(text: str, start: int) -> list[str]:
    """The year of the last deadline that opens a ；-part of the sentence (up to 。 or a line end) before
    the part at `start` of `text`: 到2025年，A达到x；B提高到y。 holds for B too."""
    head = max(text.rfind("。", 0, start), text.rfind("\n", 0, start)) + 1
    found = [m.group(1) for m in _OPENING_DEADLINE.finditer(text, head, start)]
    return found[-1:]


def _unquoted(text: str) -> str:
    """A title as the words it is made of: without 《》, quotes or spaces."""
    return re.sub(r"[《》〈〉“”\s]", "", text)


def is_transmittal(sentence: str, title: str) -> bool:
    """The notice's sentence that only hands the document on (现将《…》印发给你们，请认真贯彻执行): it names the
    document and issues it, with no date or amount of its own (…于2021年9月27日通过，现予公布 has one)."""
    plain, title = _unquoted(sentence), _unquoted(title)
    if len(title) < 4 or title not in plain or "印发给" not in plain:
        return False
    rest = plain.replace(title, " ")
    return not (DATE.search(rest) or FIGURE.search(rest))


# the issuing notice's title line (it may name what it attaches: …的通知（附：“十四五”节能减排综合工作方案）)
WRAPPER = re.compile(
    r"^[^，,。；;]{0,30}?关于(?:印发|发布|公布|颁布|转发).+的(?:通知|公告|决定|函)(?:[（(][^）)]*[）)])?$"
)


def _has_unit(text: str, unit: str) -> bool:
    return bool(re.search(rf"\d\s*[万亿千百]?\s*{re.escape(unit)}", text))


def strip_notes(text: str) -> str:
    for s, e in reversed(find_notes(text)):
        text = text[:s] + text[e:]
    return text.strip()


def strip_label(line: str) -> str:
    label_end, _ = line_parts(line)
    return line[label_end:].strip() if label_end else line.strip().lstrip("—- ")


def is_heading(sentence: str, chunk: Chunk) -> bool:
    """The clause's own numbering and heading (1.实施节能和能效提升计划。), or the document's title. An
    item that is all its clause says ((二)年度…达到2.6万吨二氧化碳当量。) heads nothing: it is what it says."""
    bare = strip_label(sentence).rstrip("。")
    if bare == chunk.heading and sentence.strip() == chunk.text.strip():
        return False
    return (
        bare in {chunk.heading, chunk.doc_title} - {""}
        or is_wrapper(sentence.strip(), chunk.doc_title)
        or is_transmittal(sentence, chunk.doc_title)
    )


def is_wrapper(line: str, title: str) -> bool:
    """The notice a document is issued in (国务院关于印发2030年前碳达峰行动方案的通知, 关于印发《…》的通知), a
    title line of its own (no sentence's full stop, no clause before it): not something the document says."""
    plain, title = _unquoted(line), _unquoted(title)
    return len(title) >= 4 and title in plain and bool(WRAPPER.search(plain))


def topic_lead(chunk: Chunk) -> str:
    """The lead sentence that opens the chunk's topic (严格控制煤炭消费增长), or ""."""
    body = after_heading(chunk.text.split("\n")[0]) if chunk.text else ""
    spans = split_sentences(body)
    first = body[spans[0][0] : spans[0][1]].strip() if spans else ""
    return first.rstrip("。") if first and is_lead(first, 2) else ""


def after_heading(line: str) -> str:
    return line[line_parts(line)[1] :]
