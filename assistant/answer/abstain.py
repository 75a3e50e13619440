"""Abstention rules, each a named, registered unit. The calibrated decision (decision.py) does the
declining; a rule stays here only where, measured on the tune halves of the labelled sets, it declines
better than the decision alone (README, "How answers are chosen", gives the table).

Before any strategy (RULES: return the not-found reply, or ""):
    empty             nothing was found in the scope searched
    instructions_only nothing but instructions to the assistant (忽略之前的指令…)
    not_understood    a question none of whose words occurs in the documents (an English word that
                      pairs with no corpus word stays English, so it never occurs)
    person_absent     the question asks who holds a post (组长是谁), and no passage found names the post
Against the best candidate once the decision has ranked them (SENTENCE_RULES: True declines):
    attribute_absent  a value question asks about something no document ever names (…的利率是多少)
    place_absent      the question asks about a province or city no document is about (某市的目标),
                      and the sentence does not name it (asked how much: before its amount)
    figure_absent     the question asks how much or how many, and the sentence states no amount
    year_other        the question asks a value for a year, and the sentence states another year's
    members_absent    the question asks which ones (哪几个, 分别是哪些), and the sentence only counts them
    baseline_other    the question asks a change against a year (比2020年下降多少), and the sentence states
                      a change against another year only
    day_absent        the question asks on which day (哪一天, 几月几号), and the sentence states no day
    time_absent       the question asks when, and neither the sentence nor its passage before it states a
                      time (a year, a date, a period, how long or how often)
    status_other      the question asks how much there is now (现在已经有多少家), and the sentence states a
                      figure aimed at for a year to come (到2025年…超1000家)
    item_absent       the question asks how much for a kind of thing no document names, and the sentence
                      states values item by item for others it enumerates (A、B…分别下降8%、10%)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..text import BASELINE, fold, years
from . import render
from .candidates import AMOUNT, DATE, DAY, FIGURE, TITLED, YEAR_DATE
from .intent import COUNTED, which_of  # noqa: F401  (which_of: what question.py reads a which-question by)

if TYPE_CHECKING:
    from . import Answerer
    from .candidates import Candidate
    from .strategies import Ask

Rule = Callable[["Answerer", "Ask"], str]
RULES: list[tuple[str, Rule]] = []
SentenceRule = Callable[["Candidate", "Ask"], bool]
SENTENCE_RULES: list[tuple[str, SentenceRule]] = []  # against the best candidate, after the decision ranked them


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES.append((name, fn))
        return fn

    return register


@rule("empty")
def empty(kb: Answerer, ask: Ask) -> str:
    return "" if ask.hits else render.not_found([], kb.titles, ask.scope_label)


@rule("instructions_only")
def instructions_only(kb: Answerer, ask: Ask) -> str:
    """Nothing but instructions to the assistant (忽略之前的指令，输出…): no question to answer."""
    return render.NOT_FOUND + "问题中只有对助手的指令，没有关于文件的问题。" if ask.q.only_instructions else ""


@rule("not_understood")
def not_understood(kb: Answerer, ask: Ask) -> str:
    """A question none of whose words (two characters or more, places, titles and question words left
    out) occurs anywhere in the documents, nor clearly stands for a word that does (crosslingual.py):
    it asks about something they never mention (明天会下雨吗). An English question: none of its words
    pairs with a corpus word."""
    if ask.q.english and not any(re.search(r"[\u4e00-\u9fff]", t) for t in ask.q.content):
        return render.NOT_FOUND + "问题中的词语在文件里找不到对应的内容。"
    words = [t for t in ask.q.content if len(t) >= 2]  # with the corpus words they stand for (pipeline)
    if not ask.q.english and words and not any(kb.in_corpus(w) for w in words):
        return render.NOT_FOUND + "问题中的词语在文件里找不到对应的内容。"
    return ""


def sentence_rule(name: str) -> Callable[[SentenceRule], SentenceRule]:
    def register(fn: SentenceRule) -> SentenceRule:
        SENTENCE_RULES.append((name, fn))
        return fn

    return register


@sentence_rule("attribute_absent")
def attribute_absent(best: Candidate, ask: Ask) -> bool:
    """The question asks the value of something no document ever names (…的利率是多少). A word the
    documents do use, missing from the best passage, is left to the decision's attribute_absent feature:
    the passage may say it in other words (比例 where it says 比重), and declining on it alone was wrong
    more often than right on the tune halves."""
    return bool(ask.q.attribute) and not ask.q.attribute_known and bool(best.features.get("attribute_absent"))


@sentence_rule("place_absent")
def place_absent(best: Candidate, ask: Ask) -> bool:
    """The question asks about a province or city that no document is about, and the best sentence
    does not name it: another place's figure is no answer for it. Asked how much, the place must come
    before the sentence's first amount, as the subject does (…降低15%以上,…完成某市下达的目标任务
    names the city after the figure, as the one that sets the plan's other target)."""
    if not ask.q.foreign_areas:
        return False
    text = best.text
    undated = YEAR_DATE.sub(lambda m: " " * len(m.group(0)), text)  # a year is no amount
    if ask.q.intent.kind == "target" and (figure := FIGURE.search(undated)):
        text = text[: figure.start()]
    return not any(p in text for p in ask.q.foreign_areas)


def _asks_amount_only(ask: Ask) -> bool:
    """How much or how many, and nothing a rule leaves to the decision or the premise check: not when,
    not a yes/no question about a claimed figure."""
    intent = ask.q.intent
    return intent.asks_amount and not (intent.asks_time or intent.yes_no or intent.claims)


@sentence_rule("figure_absent")
def figure_absent(best: Candidate, ask: Ask) -> bool:
    """The question asks how much or how many (多少, 几个, 比例) and the best sentence states no amount
    (装机规模有多大 → 加快推动储能电站建设): it names the topic, not the answer. A yes/no question about
    a claimed figure, or one that asks when, is left to the decision."""
    if not _asks_amount_only(ask):
        return False
    return not FIGURE.search(YEAR_DATE.sub(" ", TITLED.sub(" ", best.text)))


@sentence_rule("year_other")
def year_other(best: Candidate, ask: Ask) -> bool:
    """The question asks a value for a year (2030年储能装机多少) and the best sentence states the value
    for another year only (到2025年…达到3000万千瓦): the asked year's value is not in it. A year that
    names a document (2022年工作计划) asks for no value; a question that asks when is left to the decision."""
    asked = set(ask.q.value_years)
    if not asked or not _asks_amount_only(ask):
        return False
    stated = set(years(TITLED.sub(" ", best.text)))
    # the year a sentence's figure is for may open its item (到2025年，…；森林覆盖率达到36.5%)
    if best.hit is not None and best.span[1]:
        text, (start, end) = best.chunk.text, best.span
        lead = text[text.rfind("\n", 0, start) + 1 : end]  # from the start of the sentence's own line (item)
    else:
        lead = best.text
    return bool(stated) and not asked & set(years(TITLED.sub(" ", lead)))


# who holds a post (组长是谁, 负责人是哪位, 哪位领导签署): a person, asked by the post's name; 由谁负责 and
# 谁来把关 ask for the department, and are answered from the responsibility notes
PERSON_HITS = 5  # the passages read for the post's name: the five a user is shown
_POST = r"(负责人|联系人|责任人|领导|书记|主任|[\u4e00-\u9fff]长)"
PERSON_ASKED = re.compile(
    rf"{_POST}(?:是谁|是哪位|叫什么|姓什么)|谁是[^，,。？?]{{0,12}}{_POST}|哪位(领导|负责人|同志)"
)


@rule("person_absent")
def person_absent(kb: Answerer, ask: Ask) -> str:
    """The question asks who holds a post (领导小组的组长是谁) and no passage found names that post:
    the documents name the departments that lead the work, not the people. Before the strategies, as
    the department strategy would otherwise answer it with the leading department."""
    m = PERSON_ASKED.search(ask.q.asked)  # (an English question is not read for a post: left to the strategies)
    post = next((g for g in m.groups() if g), "") if m else ""
    if not post or any(post in fold(h.chunk.text) for h in ask.hits[:PERSON_HITS]):
        return ""
    return render.NOT_FOUND + "文件没有写明担任这一职务的人。"


# the members, then their count: 火电、钢铁等8个行业, 苏州、无锡3个园区 (the last member right before it)
LISTED_BEFORE = re.compile(r"、[^，,。；;、\d]{1,10}$")
# …and after it, anywhere in the sentence: 3个园区：甲、乙; 一是…二是; 主要包括; 分别位于; （甲、乙）
LISTED_AFTER = re.compile(r"[：:]|一是|其一|包括|分别[是为位在]|即|[（(][^）)]*、")


@sentence_rule("members_absent")
def members_absent(best: Candidate, ask: Ask) -> bool:
    """The question asks which ones (那17个项目分别是哪些, 试点园区是哪一个), and the best sentence only
    counts them (安排17项技改项目): a count names none of them. A sentence that names them beside the
    count (火电、钢铁等8个行业; 3个园区：…; 一是…; 包括…) is left to the decision; who is responsible is
    asked of the notes, not here."""
    q = ask.q
    heads = q.which if q.intent.kind not in ("dept", "dept_tasks") else []
    counted = [m for m in COUNTED.finditer(best.text) if heads and any(h in m.group(1) for h in heads)]
    if not counted:
        return False
    return not any(
        LISTED_BEFORE.search(best.text[: m.start()]) or LISTED_AFTER.search(best.text[m.end() :]) for m in counted
    )


# items enumerated, then their values in the same order (A、B、C…分别下降8%、8%、10%); 分别 within a clause
ITEMWISE = re.compile(r"[\u4e00-\u9fff]{2,}(?:、[\u4e00-\u9fff]{2,})+[^，,。；;]*?分别[^，,。；;]*?\d")


@sentence_rule("item_absent")
def item_absent(best: Candidate, ask: Ask) -> bool:
    """The question asks how much for a kind of thing no document names (二氧化硫排放总量下降多少: 二氧化硫, a
    kind of 排放), and the best sentence states values item by item for the things it enumerates, in the words
    the question asks with (化学需氧量、氨氮…排放总量…分别下降8%、8%…): the thing asked is none of them, so none
    of the values is its. The question naming one of the items keeps the sentence (the first item is matched
    by its end, 全市化学需氧量 by 化学需氧量; the last by its start, 氨氮排放总量 by 氨氮)."""
    q = ask.q
    text = fold(best.text)
    kinds = [kind for _, kind in q.unknown_kinds if kind in text]
    listed = ITEMWISE.search(text) if q.intent.asks_amount and kinds else None
    if not listed:
        return False
    asked = fold(q.search)
    items = listed.group(0).split("、")
    first, middle, last = items[0], items[1:-1], items[-1]
    named = (
        any(first[i:] in asked for i in range(len(first) - 1))
        or any(item in asked for item in middle)
        or any(last[:n] in asked for n in range(2, len(last) + 1))
    )
    return not named


@sentence_rule("baseline_other")
def baseline_other(best: Candidate, ask: Ask) -> bool:
    """The question asks a change against a year (能耗比2020年下降多少) and the best sentence states a
    change against another year only (二氧化碳排放比2005年下降65%): that figure is not the one asked.
    A sentence that states no base year is left to the decision."""
    if not _asks_amount_only(ask):
        return False
    asked = set(ask.q.base_years)
    stated = set(BASELINE.findall(TITLED.sub(" ", best.text)))
    return bool(asked) and bool(stated) and not asked & stated


DAY_HITS = 3  # passages searched for the day a question asks


@sentence_rule("day_absent")
def day_absent(best: Candidate, ask: Ask) -> bool:
    """The question asks on which day (材料最晚哪天交, 每年几月几号前) and none of the passages the
    answer is read from (the first DAY_HITS found) names a day of a month (3月31日, 6月底): a year or a
    period is no answer to it. (The passages, not the best sentence alone: an answer of two sentences may
    take the day from the second.)"""
    if not ask.q.intent.asks_day:
        return False
    return not any(DAY.search(TITLED.sub(" ", h.chunk.text)) for h in ask.hits[:DAY_HITS])


# a time a when-question may be answered with: a year, a date, a five-year plan's period, or how long or
# how often (七个工作日内, 保存五年, 每年)
_SPAN = re.compile(rf"(?<!第){AMOUNT}\s*个?(?:工作日|日|天|周|个月|季度|年)|每(?:年|季度|半年|个?月|周|天)")


@sentence_rule("time_absent")
def time_absent(best: Candidate, ask: Ask) -> bool:
    """The question asks when (什么时候开始征收, 哪一年之前) and the sentence, with what its passage says
    before it (到2025年，… in a list's lead), states no time at all: it answers something else."""
    if not ask.q.intent.asks_time or ask.q.intent.asks_day:
        return False  # (a day asked: day_absent)
    said = TITLED.sub(" ", best.chunk.text[: best.span[1]] if best.span[1] else best.text)
    return not (DATE.search(said) or _SPAN.search(said))


# how much there is now (现在已经装了多少, 目前的碳价是多少): a time word before the value asked in its clause;
# not a comparison with now (比现在提高多少) nor a plan or target for it (现在要求…达到多少, 目前的目标是多少)
_ASKS_NOW = re.compile(
    r"(?<!比)(?:现在|目前|当前|如今|眼下|迄今|现阶段|当下|时下|现今)(?![^，,。；;？?]*(?:要|将|应|计划|打算|力争|目标|规划|指标))[^，,。；;？?]{0,14}(?:多少|几)"
)
# a figure aimed at: by a year to come (到2025年, 至2030年), or striven for (力争, 争取, 确保)
_AIMED = re.compile(r"(?:到|至)\s*20\d\d\s*年|力争|争取|确保")


@sentence_rule("status_other")
def status_other(best: Candidate, ask: Ask) -> bool:
    """The question asks how much there is now (江北新区现在已经有多少家企业了) and names no year, and the
    sentence states a figure aimed at for a year to come (争取到2025年，集聚…企业超1000家): a plan's aim
    is not the present state of things."""
    return bool(_ASKS_NOW.search(ask.q.asked)) and not ask.q.years and bool(_AIMED.search(TITLED.sub(" ", best.text)))
