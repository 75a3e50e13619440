"""Quantified targets as rows: deadline, indicator, value and unit, qualifier, baseline, scope.

A sentence is read as comma-clauses: a deadline (到2025年, 2023年底前, “十四五”末) holds for the
clauses after it until another one appears; each clause with a figure and a target verb, or with an
end state such as 清零 / 达峰, is a row. A sentence with several targets yields several rows.
"""

from __future__ import annotations

import re

from .knowledge import find_notes
from .schema import Clause, Document, Responsibility, Target
from .text import CONDITION

UNITS = (
    "万千瓦时",
    "亿千瓦时",
    "千瓦时",
    "亿千瓦",
    "万千瓦",
    "千瓦",
    "兆瓦",
    "吉瓦",
    "克/千瓦时",
    "克标准煤/千瓦时",
    "亿立方米",
    "万立方米",
    "亿立方",
    "万立方",
    "立方米",
    "亿吨标准煤",
    "万吨标准煤",
    "吨标准煤",
    "亿吨",
    "万吨",
    "吨",
    "万平方米",
    "平方米",
    "万㎡",
    "㎡",
    "万亩",
    "亩",
    "公里",
    "千米",
    "万辆",
    "辆",
    "万个",
    "个",
    "家",
    "座",
    "项",
    "条",
    "亿元",
    "万元",
    "元",
    "%",
    "％",
    "个百分点",
    "倍",
    "小时",
)
_UNIT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
VALUE = re.compile(rf"(?<![\d.])(\d+(?:\.\d+)?)\s*({_UNIT})")
DEADLINE = re.compile(
    r"(力争)?(到|至|在)?\s*(?<![比较\d])(20\d\d)\s*年\s*(底前|年底前|前|以前|底|末)?"
    r"|(到|至)?\s*“?(十[四五]五)”?\s*(末|期间|时期)"
)
END_STATE = re.compile(r"(清零|达到峰值|达峰|全覆盖|全面推广|全面建成|基本建成|建成)(?![行工方目试])")
TARGET_VERB = re.compile(
    r"达到|达|提高|提升|下降|降低|降至|降到|减少|(?:控制|保持|稳定|维持)在|不低于|不超过|不少于|超过|力争|完成|打造|建成|建设|培育|新增|累计|覆盖|占比|比重|比例|替代率"
)
QUALIFIERS = (
    "以上",
    "以内",
    "以下",
    "左右",
    "力争",
    "不低于",
    "不超过",
    "不少于",
    "大于",
    "高于",
    "低于",
    "约",
    "原则上",
)
BASELINE = re.compile(r"比\s*(20\d\d)\s*年|在现有水平上|较\s*(20\d\d)\s*年")
SCOPES = ("全市", "全省", "全国", "全区", "市域", "省域")
DEFAULT_SCOPE = {"市": "全市", "省": "全省", "国家": "全国"}
COUNT_VERB = re.compile(r"(打造|建成|建设|培育|创建|新增|建立|实施|开展|引进|推广|选择)\s*$")
_ADVERBS = re.compile(r"^(率先|基本|全面|初步|力争|确保|要|将)+$")
_STRIP_HEAD = re.compile(r"^(并|且|同时|其中|分别|积极|力争|确保|实现|完成|推动|推进|加快|努力|使|让|将|把)+")
_STRIP_TAIL = re.compile(
    r"(要|需|应|将|力争|原则上|分别|大于|高于|低于|达到|达|提高至|提高到|提高|提升至|提升到|提升|增长|增加到|增加|下降至|下降到|下降|降低|降至|降到|减少|(?:控制|保持|稳定|维持)在|稳定|不低于|不超过|不少于|超过|占|为|约|实现|完成)+$"
)


_BEFORE_VALUE = ("力争", "约", "不低于", "不超过", "不少于", "大于", "高于", "低于")  # in the order they read
_AFTER_VALUE = ("以上", "以内", "以下", "左右")
_HEDGES = ("原则上",)  # a hedge on the whole target: said after it, in brackets


def value_text(t: Target) -> str:
    """A target's value as a sentence says it: 力争40兆瓦以上, 不低于30%（原则上）, 达到峰值.
    The qualifier is stored in the order the words were found (原则上不低于, 力争以上)."""
    words = _qualifier_words(t.qualifier)
    before = "".join(q for q in _BEFORE_VALUE if q in words)
    after = "".join(q for q in _AFTER_VALUE if q in words)
    hedge = "".join(f"（{q}）" for q in _HEDGES if q in words)
    return f"{before}{t.value}{t.unit}{after}{hedge}" if t.value else f"{before}{after}{hedge}"


def _qualifier_words(qualifier: str) -> set[str]:
    """原则上不低于 -> {原则上, 不低于}: the longest words first, so 低于 inside 不低于 is not read too."""
    words, rest = set(), qualifier
    for q in sorted(QUALIFIERS, key=len, reverse=True):
        if q in rest:
            words.add(q)
            rest = rest.replace(q, " ")
    return words


def extract_targets(doc: Document, clauses: list[Clause]) -> list[Target]:
    rows: list[Target] = []
    for clause in clauses:
        if clause.kind in ("preamble", "closing"):
            continue
        text = _without_notes(clause.text)
        deadline = ""
        for s, e in _full_sentences(text):
            if s > 0 and text[s - 1] == "\n":
                deadline = ""  # a deadline holds within its paragraph
            found, deadline = sentence_targets(doc, clause, text[s:e].strip(), deadline)
            rows += found
            if found:
                deadline = ""  # 到2025年，…。单位…下降13.5%: a deadline reaches the next sentence only when its own stated no figure
    return rows


def deadline_targets(notes: list[Responsibility], clauses: dict[str, Clause]) -> list[Target]:
    """A note's 完成期限 (（责任部门：自然处，完成期限：12月底）) is a target too: the clause's task, due then."""
    rows = []
    for note in notes:
        clause = clauses.get(note.clause_id)
        if not note.deadline or clause is None:
            continue
        rows.append(
            Target(
                doc_id=note.doc_id,
                clause_id=note.clause_id,
                path=clause.path,
                sentence=note.note,
                segment=note.note,
                deadline=note.deadline,
                indicator=clause.heading or clause.path,
                value="完成",
                qualifier="",
                scope="",
            )
        )
    return rows


def _full_sentences(text: str) -> list[tuple[int, int]]:
    """Sentences ended by 。！？ or a line end: a ；-separated list of targets is one sentence."""
    return [(m.start(), m.end()) for m in re.finditer(r"[^。！？\n]+[。！？]?", text) if m.group(0).strip()]


def _without_notes(text: str) -> str:
    for s, e in reversed(find_notes(text)):
        text = text[:s] + " " * (e - s) + text[e:]  # keep offsets: notes are not targets
    return text


def sentence_targets(doc: Document, clause: Clause, sentence: str, deadline: str = "") -> tuple[list[Target], str]:
    """The targets of one sentence, and the deadline in force at its end (到2025年，…。单位…下降13.5%)."""
    rows: list[Target] = []
    default_scope = DEFAULT_SCOPE.get(doc.meta.level, "")
    last_indicator = ""
    for seg in _segments(sentence):
        found = DEADLINE.search(seg)
        if found:
            deadline = _deadline_text(found)
            seg_body = seg[found.end() :]
        else:
            seg_body = seg
        for row in _segment_targets(seg_body, seg):
            row["indicator"] = row["indicator"] or last_indicator  # 到2025年…达到4.5亿吨，到2030年达到5.1亿吨
            last_indicator = row["indicator"]
            rows.append(
                Target(
                    doc_id=doc.doc_id,
                    clause_id=clause.clause_id,
                    path=clause.path,
                    sentence=sentence,
                    segment=seg.strip(" ,，;；。"),
                    deadline=deadline,
                    scope=_scope(seg) or _scope(sentence) or default_scope,
                    **row,
                )
            )
    return rows, deadline


def _segments(sentence: str) -> list[str]:
    """Comma-clauses; a clause that only names a deadline (到2025年,) joins the next one, and so does a
    condition (对…且自发自用的,): its figures qualify what it leads to."""
    parts = [p for p in re.split(r"(?<=[,，;；])", sentence) if p.strip()]
    out: list[str] = []
    for part in parts:
        if out and (DEADLINE.fullmatch(out[-1].strip(" ,，;；")) or CONDITION.search(out[-1])):
            out[-1] += part
        else:
            out.append(part)
    return out


def _deadline_text(m: re.Match) -> str:
    if m.group(3):
        return f"{m.group(3)}年{m.group(4) or ''}".replace("年年", "年")
    return f"“{m.group(6)}”{m.group(7)}"


def _segment_targets(body: str, seg: str) -> list[dict]:
    values = [m for m in VALUE.finditer(body) if not _is_year(body, m)]
    if not values:
        state = END_STATE.search(body)
        if state and DEADLINE.search(seg):
            indicator = _indicator(body[: state.start()]) or _indicator_after(body[state.end() :])
            return [dict(indicator=indicator, value=state.group(0), unit="", qualifier="", baseline="")]
        return []
    if not TARGET_VERB.search(body):
        return []
    rows: list[dict[str, str]] = []
    prev_end = 0
    for m in values:
        before = body[prev_end : m.start()]
        if rows and not re.sub(r"[、和及与,，\s]|以上|左右|以内|以下", "", before):
            # 分别下降8%、8%、10%以上: a list of figures for the indicators named before the first
            rows.append(
                dict(rows[-1], value=m.group(1), unit=m.group(2).replace("％", "%"), qualifier=_qualifier(body, m))
            )
            prev_end = m.end()
            continue
        counted = COUNT_VERB.search(before)  # 首批打造10个左右零碳示范工程: the thing follows the figure
        indicator = _indicator_after(body[m.end() :]) if counted else _indicator(before)
        indicator = indicator or _indicator_after(body[m.end() :])
        indicator = indicator or (rows[-1]["indicator"] if rows else "")  # A、B比重分别达到45%、50%
        rows.append(
            dict(
                indicator=indicator,
                value=m.group(1),
                unit=m.group(2).replace("％", "%"),
                qualifier=_qualifier(body, m),
                baseline=_baseline(before),
            )
        )
        prev_end = m.end()
    return rows


def _is_year(body: str, m: re.Match) -> bool:
    return m.group(2) in ("", "年") or (len(m.group(1)) == 4 and body[m.end(1) : m.end(1) + 1] == "年")


def _indicator(before: str) -> str:
    text = BASELINE.sub("", before)
    text = re.sub(r"(全市|全省|全国|全区)", "", text)
    text = re.split(r"[,，;；]", text)[-1]
    text = text.strip(' ,，;；。“”"')
    text = _STRIP_TAIL.sub("", text).strip()
    text = _STRIP_HEAD.sub("", text).strip()
    return text if len(text) >= 2 and not _ADVERBS.match(text) else ""


def _indicator_after(after: str) -> str:
    """首批打造10个左右零碳示范工程: the counted thing follows the figure."""
    rest = re.sub(r"^(左右|以上|以内)", "", after).strip()
    return re.split(r"[,，;；。]", rest)[0][:30]


def _qualifier(body: str, m: re.Match) -> str:
    after = body[m.end() : m.end() + 3]
    before = body[max(0, m.start() - 8) : m.start()]
    found = sorted((before.find(q), q) for q in QUALIFIERS if q in before)
    found = [(i, q) for i, q in found if not any(q != o and q in o for _, o in found)]  # 低于 inside 不低于
    found += [(99, q) for q in ("以上", "以内", "以下", "左右") if after.startswith(q)]
    return "".join(dict.fromkeys(q for _, q in found))


def _baseline(before: str) -> str:
    m = BASELINE.search(before)
    if not m:
        return ""
    return "现有水平" if "现有" in m.group(0) else f"{m.group(1) or m.group(2)}年"


def _scope(text: str) -> str:
    return next((s for s in SCOPES if s in text), "")
