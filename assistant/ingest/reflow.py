"""Lines as a file lays them out -> paragraphs as the writer wrote them.

- Page furniture goes: page numbers (— 1 —, 第2页 共5页) and lines that repeat at the top or bottom
  of several pages (running heads, footers, a collector's watermark).
- A title that wraps over two or three lines at the start becomes one line.
- Lines the page width broke are joined back into their sentence; a break stays before a clause
  marker (一、 （一） 1. (1) ① 第X条 附件 ——), a date line, and wherever the layout says a paragraph
  ends (a line short of the right edge, an indented next line, a blank line).
- Spaces that extraction puts inside Chinese text, and between Chinese and a number or unit, go;
  spaces inside Latin text (CO2 捕集, MW 级) stay.

Where a format gives no geometry (plain text, Word paragraphs), a file whose lines mostly stop at one
width is read as hard-wrapped: its full-width lines are wraps, the rest paragraph ends.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass

from ..parse import match_marker
from .base import DOC_KINDS, Line

TITLE_SIZE = 1.12  # a line set this much larger than the body's is set as a title
TITLE_MAX = 100  # characters of a title joined from wrapped lines
REPEAT_SHARE = 0.3  # pages a line must repeat on (at least 2) to be a running head or watermark
WRAPPED_SHARE = 0.35
ORPHAN = 2  # characters
LINE_PITCH = 1.3  # a gap above a line wider than this many usual line pitches parts two blocks
NEARLY_FULL = 0.85  # share of the text block's width a ragged line runs to when the page width ended it  # lines of a plain file at its common width: the file is hard-wrapped

_PAGE_NUMBER = re.compile(
    r"^[-－—–~·\s]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/／]\s*\d{1,4}|\s*共\s*\d{1,4}\s*页)?[-－—–~·\s]*$"
)
_DECORATED = re.compile(r"[-－—–~]|页")
_DATE_LINE = re.compile(
    r"^\s*(\d{4}|[〇零一二三四五六七八九○]{4})\s*年\s*[\d一二三四五六七八九十]{1,3}\s*月"
    r"\s*[\d一二三四五六七八九十]{1,3}\s*日\s*$"
)
# a date or a 文号 stands on a line of its own (signature blocks, headers)
_OWN_LINE = re.compile(
    _DATE_LINE.pattern + r"|^\s*[（(]?[\u4e00-\u9fff]{1,12}\s*[〔\[［]\s*\d{4}\s*[〕\]］]\s*\d{1,4}\s*号[）)]?\s*$"
)
_TAG_REMNANT = re.compile(r"(?<=[A-Za-z)])(sub|sup)([0-9A-Za-z+\-]{1,4})/(sub|sup)")
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u2060\ufeff]")
_SENTENCE_END = "。！？；：:;!?"
# a title's end: a kind of document, and perhaps its status in brackets (…行动计划（试行）)
_TITLE_END = re.compile(f"(?:{DOC_KINDS})(?:[（(][^（()）]{{1,8}}[)）]|[)）])?$")
_CLOSERS = tuple(_SENTENCE_END + "）)」』”’】〕>")


@dataclass
class Paragraph:
    text: str
    page: int = 0


def reflow(lines: list[Line]) -> list[Paragraph]:
    lines = [Line(**{**vars(ln), "text": _clean_line(ln.text)}) for ln in lines]
    lines = drop_furniture(lines)
    _infer_wraps(lines)
    paragraphs: list[Paragraph] = []
    pending: Line | None = None
    for line in join_title(lines):
        if not line.text:
            pending = None  # a blank line ends the paragraph
            continue
        if pending is not None and paragraphs and continues(pending, line):
            paragraphs[-1].text = _join(paragraphs[-1].text, line.text)
        else:
            paragraphs.append(Paragraph(line.text, line.page))
        pending = line
    for p in paragraphs:
        p.text = squeeze_spaces(p.text)
    return [p for p in paragraphs if p.text]


def _clean_line(text: str) -> str:
    text = _INVISIBLE.sub("", text)
    text = _TAG_REMNANT.sub(r"\2", text)  # CO<sub>2</sub> exported as COsub2/sub
    return text.strip(" \t\u3000\u00a0\r")


# --------------------------------------------------------------------------- furniture


def drop_furniture(lines: list[Line]) -> list[Line]:
    """Page numbers, and lines repeated at the top or bottom of several pages."""
    pages = {ln.page for ln in lines if ln.page}
    repeated = _repeated_edges(lines, len(pages))
    return [ln for ln in lines if not (_is_page_number(ln, lines) or (ln.edge and _key(ln.text) in repeated))]


def _is_page_number(line: Line, lines: list[Line]) -> bool:
    if not line.text or not _PAGE_NUMBER.match(line.text):
        return False
    if _DECORATED.search(line.text) or line.edge:
        return True
    # a bare number with no geometry: only the first or last line of its page (a table cell elsewhere)
    same = [ln for ln in lines if ln.page == line.page and ln.text]
    return bool(line.page) and bool(same) and (line is same[0] or line is same[-1])


def _key(text: str) -> str:
    """A line with its numbers and spaces dropped: page 3's footer matches page 4's."""
    return re.sub(r"[\s\d]+", "", text)


def _repeated_edges(lines: list[Line], pages: int) -> set[str]:
    if pages < 2:
        return set()
    on_pages: dict[str, set[int]] = {}
    for ln in lines:
        if ln.edge and (k := _key(ln.text)):
            on_pages.setdefault(k, set()).add(ln.page)
    need = max(2, round(REPEAT_SHARE * pages))
    return {k for k, where in on_pages.items() if len(where) >= need}


# --------------------------------------------------------------------------- title


def join_title(lines: list[Line]) -> list[Line]:
    """The document's first lines, when they are a title set larger or centred and wrapped over two
    or three lines, as one line (a 文号 or issuer line in another size stays apart)."""
    sized = [ln.size for ln in lines if ln.size]
    if not sized or not lines:
        return lines
    body = statistics.median(sized)
    first = next((i for i, ln in enumerate(lines) if ln.text), None)
    if first is None or not _title_like(lines[first], body):
        return lines
    wrapped = lines[first].wraps or (lines[first].fill or 0.0) >= NEARLY_FULL
    if not (wrapped or lines[first].size >= TITLE_SIZE * body):
        return lines  # a short first line set like the body is a whole title (or no title): nothing wrapped
    end = first + 1
    text = lines[first].text
    while (
        end < len(lines)
        and end - first < 3
        and lines[end].text
        and _title_like(lines[end], body)
        and abs(lines[end].size - lines[first].size) <= 0.08 * lines[first].size
        and not text.endswith(tuple(_SENTENCE_END))
        and len(text) + len(lines[end].text) <= TITLE_MAX
        and match_marker(lines[end].text) is None
        and not _OWN_LINE.match(lines[end].text)
    ):
        text = _join(text, lines[end].text)
        end += 1
    if not wrapped and (end == first + 1 or not _TITLE_END.search(text)):
        # a title set larger may be broken short on purpose, into lines of about equal length: they are one
        # title when together they end as a title does; a red header's 中共某某委员会 / 某某人民政府 is none
        return lines
    head = Line(**{**vars(lines[first]), "text": text, "wraps": False, "indent": True, "fill": 0.0})  # a title ends
    return [*lines[:first], head, *lines[end:]]


def _title_like(line: Line, body: float) -> bool:
    """Set larger than the body text, or centred (in from both edges)."""
    return line.size >= TITLE_SIZE * body or (line.indent is True and line.wraps is False and "。" not in line.text)


# --------------------------------------------------------------------------- joining


def continues(prev: Line, line: Line) -> bool:
    """Whether `line` carries on the paragraph `prev` ended."""
    if match_marker(line.text) is not None or any(_OWN_LINE.match(t) for t in (line.text, prev.text)):
        return False
    if prev.soft:  # a typed line break (Word's Shift+Enter, HTML's <br>): mid-sentence, a wrap
        return not prev.text.endswith(_CLOSERS)
    if (
        prev.size
        and line.size
        and ORPHAN >= min(len(prev.text), len(line.text))
        and match_marker(prev.text) is None
        and not prev.text.endswith(_CLOSERS)
    ):
        return True  # on a laid-out page, one or two characters alone on a row mid-sentence: glyphs set out of line
    if line.indent or " | " in prev.text or " | " in line.text:
        return False  # an indented line opens a paragraph, even after a full one; table rows stay apart
    if prev.wraps:
        return True
    # Nearly at the edge, mid-sentence, with the next line flush left: a ragged right edge (text
    # exported from a scan ends its lines unevenly). A short line without a full stop is a heading.
    if line.indent is not False or prev.text.endswith(_CLOSERS):
        return False
    if (prev.fill or 0.0) >= NEARLY_FULL:
        return True
    # both flush left, at the usual line pitch, the first neither a heading nor finished: a line the
    # layout broke early (text exported from a scan sets a line's last glyphs on a row of their own)
    return prev.indent is False and match_marker(prev.text) is None and line.gap is not None and line.gap <= LINE_PITCH


def _infer_wraps(lines: list[Line]) -> None:
    """Lines without geometry: in a hard-wrapped file, those at its common width are wraps."""
    unknown = [ln for ln in lines if ln.wraps is None and ln.text]
    if not unknown:
        return
    widths = [display_width(ln.text) for ln in unknown]
    long = Counter(w for w in widths if w >= 20)
    common = long.most_common(1)[0][0] if long else 0
    near = sum(abs(w - common) <= 2 for w in widths) if common else 0
    hard_wrapped = bool(common) and near >= 3 and near >= WRAPPED_SHARE * len(unknown)
    for ln, width in zip(unknown, widths):
        ln.wraps = hard_wrapped and width >= common - 2 and not ln.text.endswith(tuple(_SENTENCE_END))


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _join(left: str, right: str) -> str:
    if left[-1:].isascii() and left[-1:].isalpha() and right[:1].isascii() and right[:1].isalpha():
        return f"{left} {right}"  # a Latin word wrapped at a space
    return left + right


# --------------------------------------------------------------------------- spaces

_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’—…·"
_CJK_RE = re.compile(f"[{_CJK}]")
_SPACE_RUN = re.compile(r"[ \t\u00a0\u3000]+")


def squeeze_spaces(text: str) -> str:
    """Spaces dropped beside Chinese characters and punctuation, and between a number and Chinese;
    kept between Latin words and after a Latin token that ends in a digit (CO2 捕集)."""
    out = []
    pos = 0
    for m in _SPACE_RUN.finditer(text):
        out.append(text[pos : m.start()])
        before, after = text[: m.start()], text[m.end() :]
        out.append("" if _drop_space(before, after) else " ")
        pos = m.end()
    out.append(text[pos:])
    return "".join(out).strip()


def _drop_space(before: str, after: str) -> bool:
    if not before or not after:
        return True
    left, right = before[-1], after[0]
    if "|" in (left, right):
        return False  # the " | " between a table row's cells
    if _CJK_RE.match(left) and _CJK_RE.match(right):
        return True
    if _CJK_RE.match(left):
        return not right.isascii() or not right.isalpha()  # 到 2025 -> 到2025; keep 的 MW
    if _CJK_RE.match(right):
        token = re.search(r"[A-Za-z0-9.+\-%]*$", before).group(0)  # type: ignore[union-attr]
        return not re.search(r"[A-Za-z]", token)  # 2025 年 -> 2025年; keep CO2 捕集, MW 级
    if left.isdigit() and right in "%％‰":
        return True
    return False
