"""What kind of answer a question wants, from its question words.

The cues are the interrogatives of Chinese (谁, 哪个部门, 多少, 几, 什么时候, 哪些, 吗 …) and their English
counterparts: a closed class of words every question is built from, not phrasings of particular questions.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from ..text import YEAR

WHO = re.compile(
    r"(?i)谁|哪(个|些|家|几个)?[^，,。？?]{0,4}?(部门|单位|机构|局|委|厅)|什么[^，,。？?]{0,4}?(部门|单位|机构)|\bwho\b"
    r"|\bwhich (department|agenc|bureau|body)"
)
DUTY = re.compile(r"(?i)负责|牵头|主管|分管|归口|归.{0,8}管|责任(?:单位|部门)|\bresponsib|\bin charge\b|\blead")
WHAT_WORK = re.compile(
    r"(?i)(哪|什么)[^，,。？?]{0,3}(工作|任务|事|职责)|(做|干|管|承担|负责)(些)?(什么|哪)|职责"
    r"|\bwhat (does|do|will)\b"
)
LIST = re.compile(
    r"(?i)有哪些|有哪几|是哪些|哪些|包括哪|包括什么|都有什么|分别是|哪[几一二三四五六七八九十\d]+(条|项|个|种|方面|大|类|点)"
    r"|几大|列举|\bwhat are\b|\blist\b"
)
QUANTITY = re.compile(
    r"(?i)多少|多大|多高|多长|几(个|成|年|万|亿|倍|项|家|座|批|公里|兆瓦|%)|比例|比重|占比|百分之|目标值"
    r"|\bhow (much|many)\b|\bwhat (share|percentage|proportion|level)\b"
)
DAY = re.compile(r"哪一?天|几号|几月几|哪个月|几月底|\bwhat date\b|\bwhich day\b", re.I)
WHEN = re.compile(
    r"(?i)(?:什么|啥)时(?:候|间)|何时|何年|哪一?年|哪一?天|几月|几号|截止|截至|期限|多久|\bwhen\b|\bwhat year\b|\bby when\b"
)
YES_NO = re.compile(r"吗|对不对|是不是|是否|对吧|没错|\bis it\b|\bdoes\b")
ASKING = re.compile(r"什么|怎么|怎样|如何|哪|呢|[?？]$|\bwhat\b|\bhow\b")
CLAIM = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?!年|\d)(?=%|％|兆瓦|万千瓦|千瓦|亿|万|个|公里|亩|㎡|吨|立方)")
UNIT_ASKED = re.compile(
    r"多少\s*(万吨|亿吨|吨|万元|亿元|元|钱|块|千瓦时|度电|度|兆瓦|万千瓦|千瓦|公里|亩|平方米|人|辆|家|个|项)"
)
# how many of a counted unit (补几年, 保存多少年, 几个工作日): the unit the answer's figure must carry, not a
# time (哪一年); 近几年, 这几天 ask nothing
COUNT_ASKED = re.compile(r"(?<![近这前后头哪第月去])(?:几|多少)\s*(个工作日|个月|年|天|日|小时|倍|次)(?![然度级])")
# a unit as people ask it -> as documents write it
UNIT_WRITTEN = {"钱": "元", "块": "元", "度": "千瓦时", "度电": "千瓦时"}

# the most asked for (最多能补多少, 上限是多少, 封顶多少): an amount's upper bound; not a cap word describing a
# noun (能效最高的企业)
CAP_WORDS = re.compile(r"最多|最高|上限|封顶|顶多|至多")
CAP_ASKED = re.compile(rf"(?:{CAP_WORDS.pattern})(?!的)[^，,。；;？?]{{0,6}}?(?:多少|几)")
# units of time: how long at most (最多能补几年) asks a duration, not an amount's bound
_TIME_UNITS = {"年", "个月", "月", "天", "日", "小时", "工作日", "次"}

Kind = Literal["dept", "dept_tasks", "list", "target", "general"]


class Intent(BaseModel):
    kind: Kind = "general"
    asks_time: bool = False  # 什么时候 / 何时 / 哪一年: the answer must carry a date
    asks_day: bool = False  # 哪天 / 几号 / 几月几日: a date to the day
    yes_no: bool = False
    claims: list[str] = Field(default_factory=list)  # figures a yes/no question asserts: 是400兆瓦吗
    department: str = ""  # the department a question about a department's tasks names
    unit: str = ""  # 多少万吨 -> 万吨: the unit a figure in the answer must carry
    units: list[str] = Field(default_factory=list)  # every unit asked (每度电补多少钱，补几年 -> 元, 年)
    asks_amount: bool = (
        False  # 多少 / 多大 / 几个 / 比例: the answer must carry a figure (哪几个 asks which, not how many)
    )
    asks_cap: bool = False  # 最多 / 上限 / 封顶 with a figure asked: the amount's upper bound


def classify(text: str, departments: list[str]) -> Intent:
    """The intent of a (normalised) question; `departments` are the names the corpus's notes use,
    longest first."""
    department = next((d for d in departments if d in text), "")
    yes_no = bool(YES_NO.search(text))
    claims = [m.group(1) for m in CLAIM.finditer(text)] if yes_no else []
    in_unit = list(UNIT_ASKED.finditer(text))
    unit = UNIT_WRITTEN.get(in_unit[0].group(1), in_unit[0].group(1)) if in_unit else ""
    counted = [(m.start(), m.end(), m.group(1).removeprefix("个")) for m in COUNT_ASKED.finditer(text)]
    asked = [(m.start(), m.group(1)) for m in in_unit if not any(s < m.end() and m.start() < e for s, e, _ in counted)]
    asked += [(s, u) for s, _, u in counted]
    units = list(dict.fromkeys(UNIT_WRITTEN.get(u, u) for _, u in sorted(asked)))
    asks_time = bool(WHEN.search(text))
    who = WHO.search(text)
    if department and WHAT_WORK.search(text) and not who:
        return Intent(kind="dept_tasks", department=department)
    if who or (DUTY.search(text) and re.search(r"(?i)部门|单位|机构|\bdepartment", text)):
        return Intent(kind="dept", asks_time=asks_time, asks_day=bool(DAY.search(text)))  # 哪天前报给哪个部门
    if LIST.search(text) and not QUANTITY.search(text.replace("哪几", "")):  # 哪几个 asks which, not how many
        return Intent(kind="list", asks_time=asks_time)
    if QUANTITY.search(text) or asks_time or claims or (yes_no and YEAR.search(text)):
        return Intent(
            kind="target",
            asks_time=asks_time,
            asks_day=bool(DAY.search(text)),
            yes_no=yes_no,
            claims=claims,
            unit=unit,
            units=units,
            asks_amount=bool(QUANTITY.search(text.replace("哪几", ""))),
            asks_cap=bool(CAP_ASKED.search(text)) and not asks_time and not _TIME_UNITS & set(units),
        )
    return Intent(kind="general", yes_no=yes_no, unit=unit, units=units)


def asks_something(part: str) -> bool:
    """Whether a piece of text asks a question (a sub-question of a longer one)."""
    return any(p.search(part) for p in (WHO, LIST, QUANTITY, WHEN, YES_NO, ASKING))


# which ones of a set (哪几个园区, 分别是哪些企业, 具体是什么项目): the members, by name
CLASSIFIER = r"[个家项座所批种类条位处]"
# 哪些, 哪个, 哪几家, and a number between (哪15家, 哪三个): 哪 with a numeral and a classifier
WHICH = re.compile(
    rf"(分别|具体)?[是为有]?哪(些|(?:[一几两三四五六七八九十百]+|\d+)?{CLASSIFIER})|(分别|具体)[是为有]?什么"
)
# a count and what it counts, up to the next mark or number: 首批打造10个左右零碳示范工程
COUNTED = re.compile(rf"(?:\d+|[一二两三四五六七八九十百千]+)\s*{CLASSIFIER}(?:左右)?([^，,。；;、：:（(\d]{{1,16}})")
_NOUN_TAGS = ("n", "nz", "vn", "j", "nt", "ng", "nr", "ns")


def which_of(question: str) -> set[str]:
    """What a which-question asks to be named: the noun that ends the phrase before the question word
    (重点企业分别是哪家 -> 企业) or after it (哪几个试点园区入选 -> 园区), and what a count it quotes
    counts (100个试点城市和园区，名单有哪些 -> 园区), by jieba's tags."""
    from ..text import tag

    heads = set()
    for m in WHICH.finditer(question):
        before = tag(question[: m.start()])
        while before and before[-1][0] in ("的", "是", "为", "有", "分别", "具体"):
            before.pop()
        if before and before[-1][1] in _NOUN_TAGS and len(before[-1][0]) >= 2:
            heads.add(before[-1][0])
        after = []
        for word, flag in tag(question[m.end() :]):
            if flag not in _NOUN_TAGS:
                break
            after.append(word)
        if after and len(after[-1]) >= 2:
            heads.add(after[-1])
    if WHICH.search(question):
        # a count the question quotes (那100个试点城市和园区，名单有哪些): what it counts is asked for
        for m in COUNTED.finditer(question):
            nouns = [w for w, f in tag(m.group(1)) if f in _NOUN_TAGS and len(w) >= 2]
            heads.update(nouns[-1:])
    return heads
