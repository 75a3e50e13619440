"""Which of the things a question asked about is the higher (…光伏和风电的装机目标各是多少？哪个更高？): read
from the figures the answer to the part before quoted, never from outside the documents.

A part that asks only this (哪个更高, 谁更多, 哪一项较大) names no subject of its own: it asks about the things
the part before it named, each. It is answered when the quoted sentences give each of those things a figure
in one unit (3500万千瓦 and 2800万千瓦; 万 and 亿 are read as numbers), and left to the search otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..text import TITLED, fold

# the question word, a few characters, then the comparison: 哪个更高, 哪一项目标较大, 谁最多
_ASKS = re.compile(
    r"(?:哪个|哪一个|哪项|哪一项|哪种|哪一种|哪类|谁)[^，,。；;？?]{0,6}?(?:更|最|比较|较)?([高多大低少小])(?:一些|一点|些)?"
)
_REST = re.compile(
    r"[\s，,。；;？?！!呢啊呀吗的目标数字指标]"
)  # what may stand around it: particles and the asked kind
_HIGHER = frozenset("高多大")
_FIGURE = re.compile(
    r"(\d+(?:\.\d+)?)\s*(亿|万)?\s*(%|％|[\u4e00-\u9fff/㎡]{1,6}?)(?=以上|以下|左右|以内|[，,。；;、（(]|$)"
)
_SCALE = {"亿": 1e8, "万": 1e4, None: 1.0}
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3})")  # 1,400兆瓦
_YEAR = re.compile(r"(?:19|20)\d\d\s*年")  # a year and a title (TITLED) are no figure: blanked, so places stay


def asks_which_more(part: str) -> str:
    """The comparison a part asks and nothing else (高, 多, 大, 低, 少, 小), or ""."""
    m = _ASKS.search(part)
    if not m or _REST.sub("", part[: m.start()] + part[m.end() :]):
        return ""
    return m.group(1)


def head_of(words: list[str]) -> list[str]:
    """A thing's words with its head last: those that are no year (装机 of 风电装机), or all of them."""
    return [w for w in words if not re.fullmatch(r"\d{4}", w)] or words


def figure_after(
    sentence: str, words: list[str], others: Sequence[list[str]] = ()
) -> tuple[float, str, str, int] | None:
    """The first figure the sentence gives after it names a thing, read from where it first writes the
    thing's head (the last of its `words` that is no year: 装机 of 风电装机, 覆盖率 of 2030年森林覆盖率) up to
    where it next names another thing (`others`, by the first of their words that is no year: 能耗持续下降，
    二氧化碳排放下降65% gives 能耗 no figure; 风电、太阳能发电总装机12亿千瓦 gives 风电 none):
    (its value, its unit, as written, where it stands). A document's title and a year are no figure."""
    named = TITLED.sub(lambda m: " " * len(m.group()), _THOUSANDS.sub("", fold(sentence)))
    text = _YEAR.sub(lambda m: " " * len(m.group()), named)  # where figures are read; `named`, where things
    heads = head_of(words)
    head = next((w for w in reversed(heads) if w in named), "")
    if not head:
        return None
    start = named.find(head) + len(head)
    ends = [named.find(h[0], start) for h in map(head_of, others) if h]
    end = min((e for e in ends if e >= 0), default=len(text))
    m = _FIGURE.search(text[:end], start)
    if not m:
        return None
    return float(m.group(1)) * _SCALE[m.group(2)], m.group(3).replace("％", "%"), m.group(0), m.start()


def which_more(figures: list[tuple[str, tuple[float, str, str, int]]], asked: str) -> str:
    """The sentence that says which thing's figure is the higher (or lower, as asked), or that they are the
    same, when all the figures are in one unit; "" otherwise (two alike among three)."""
    if len(figures) < 2 or len({unit for _, (_, unit, _, _) in figures}) != 1:
        return ""
    values = [v for _, (v, _, _, _) in figures]
    if len(set(values)) == 1:
        return f"按上列数字，{'与'.join(n for n, _ in figures)}相同（{figures[0][1][2]}）。"
    if len(set(values)) != len(values):
        return ""
    pick = max if asked in _HIGHER else min
    name, (_, _, written, _) = pick(figures, key=lambda f: f[1][0])
    others = "，".join(f"{n}为{w}" for n, (_, _, w, _) in figures if n != name)
    return f"按上列数字，较{asked}的是{name}（{written}），{others}。"
