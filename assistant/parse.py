"""Builds a document's clause tree from the numbering of Chinese official documents.

Numbering ranks, outermost first: 第X章 > 第X节 > 第X条 > 一、 > （一） > 1. = 专栏N > （1） > ① > ——
(a dash-led item); 附表/附件 start a top-level appendix. An article's path is its own number (第十五条),
as regulations cite it, whatever chapter holds it. Lines before the first number form the preamble;
short unpunctuated lines after the last clause (issuer, date, 此件公开发布) form the closing. Each
clause owns the text from its first line to the next clause's first line, so the clause texts of a
document concatenate back to its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from .schema import Clause, ClauseKind, Document, Topic
from .text import split_sentences

CN_DIGITS = "一二三四五六七八九十百零〇"
_ORDINAL = rf"[{CN_DIGITS}0-9]{{1,6}}"
_PATTERNS = [  # (kind, rank, regex of the marker at the start of a line)
    ("appendix", 1, re.compile(r"^附\s*(?:表|件)\s*[0-9一二三四五六七八九十]*(?=$|[\s:：、.．]|[\u4e00-\u9fff])")),
    ("chapter", 1, re.compile(rf"^第\s*{_ORDINAL}\s*章")),
    ("chapter", 2, re.compile(rf"^第\s*{_ORDINAL}\s*节")),
    ("article", 3, re.compile(rf"^第\s*{_ORDINAL}\s*条")),
    ("section", 4, re.compile(rf"^[{CN_DIGITS}]{{1,3}}、")),
    ("section", 5, re.compile(rf"^[（(][{CN_DIGITS}]{{1,4}}[）)]")),
    ("box", 6, re.compile(r"^专栏\s*[0-9一二三四五六七八九十]+")),
    ("item", 6, re.compile(r"^[0-9]{1,3}\s*[.．、](?![0-9])")),
    ("item", 7, re.compile(r"^[（(][0-9]{1,3}[）)]")),
    ("item", 8, re.compile(r"^[①-⑳]")),
    ("bullet", 9, re.compile(r"^(?:——|－－|--)(?=[^\s—－-])")),
]
_SOURCE_NOTE = re.compile(r"^[（(]?(资料)?来源[:：]|^https?://")  # where a copy was taken from: closing matter
_ARTICLE_HEADING = re.compile(r"^\s*[（(]([^（）()]{1,20})[）)]")
HEADING_MAX = 40
LEAD_MAX = 30
_LEAD_BAD = re.compile(r"[，,；;：:（(]")
_LABEL_FOLD = str.maketrans({"（": "(", "）": ")", "．": ".", "、": "、"})


@dataclass
class _Line:
    start: int
    end: int  # without the newline
    text: str


def _lines(text: str) -> list[_Line]:
    out, pos = [], 0
    for raw in text.split("\n"):
        out.append(_Line(pos, pos + len(raw), raw))
        pos += len(raw) + 1
    return out


def match_marker(line: str) -> tuple[str, int, str] | None:
    """(kind, rank, marker) when the line opens a numbered clause."""
    stripped = line.lstrip(" \u3000\t")
    for kind, rank, pattern in _PATTERNS:
        m = pattern.match(stripped)
        if m:
            return kind, rank, m.group(0).strip()
    return None


def normalise_label(marker: str, kind: str) -> str:
    label = re.sub(r"\s+", "", marker).translate(_LABEL_FOLD)
    if kind == "item" and label[-1] in ".、":
        return label[:-1] + "."
    if kind == "bullet":
        return "——"
    return label


def split_heading(rest: str) -> tuple[str, int]:
    """The heading after a marker and where the body starts (relative to `rest`).

    A heading stands alone on its line ((一)指导思想) or opens it as a short first sentence
    ((一)指导思想。以习近平…).
    """
    stripped = rest.strip()
    if not stripped:
        return "", len(rest)
    first = re.search(r"[。！？]", rest)
    if first is None:
        if len(stripped) <= HEADING_MAX:  # a heading line of its own may hold a comma
            return stripped.strip(":： "), len(rest)
        return "", 0
    head = rest[: first.start()].strip(" :：\u3000")
    if 0 < len(head) <= HEADING_MAX and not re.search(r"[，,；;]", head):
        return head, first.end()
    return "", 0


def marker_heading(kind: str, rest: str) -> str:
    """The heading after a clause's marker: an appendix's or chapter's whole line (附件1 重点项目表,
    第一章 总则), an article's bracketed name (第一条（扶持对象）), else a short first sentence."""
    if kind in ("appendix", "chapter"):
        return rest.strip(" :：\u3000")
    if kind == "article":
        m = _ARTICLE_HEADING.match(rest)
        return m.group(1).strip() if m else ""
    return split_heading(rest)[0]


def is_lead(sentence: str, shortest: int = 4) -> bool:
    """A short, comma-free sentence that opens a topic: 严格控制煤炭消费增长。"""
    s = sentence.strip()
    if not s.endswith("。"):
        return False
    body = s[:-1].lstrip("—- ")
    return shortest <= len(body) <= LEAD_MAX and not _LEAD_BAD.search(body)


def parse_document(doc: Document) -> list[Clause]:
    """All clauses of the document in reading order."""
    builder = _TreeBuilder(doc)
    for line in _lines(doc.text):
        builder.feed(line)
    return builder.finish()


class _TreeBuilder:
    def __init__(self, doc: Document):
        self.doc = doc
        self.clauses: list[Clause] = []
        self.stack: list[tuple[int, Clause]] = []  # (rank, clause)
        self.paths: set[str] = set()
        self.pending_closing: list[_Line] = []
        self.bullets: dict[str, int] = {}
        self.contents: list[str] | None = None  # the entries of a 目录 being read, while it is read
        self.leads: dict[str, str] = {}  # clause id -> what it says before its first item (_lead_in)

    def _in_contents(self, text: str) -> bool:
        """A table of contents (目录 then short numbered heading lines) is text of the clause before it,
        not clauses; it ends where its first entry comes round again as the real heading."""
        bare = re.sub(r"\s+", "", text)
        if bare in ("目录", "目次"):
            self.contents = []
            return True
        if self.contents is None:
            return False
        if (
            bare in self.contents[:1]
            or not bare
            or len(bare) > HEADING_MAX
            or "。" in bare
            or match_marker(bare) is None
        ):
            self.contents = None
            return False
        self.contents.append(bare)
        return True

    def feed(self, line: _Line) -> None:
        marker = None if self._in_contents(line.text) else match_marker(line.text)
        if marker is None:
            if not self.clauses and line.text.strip():
                self._open("preamble", 0, "前言", "", line, heading="")
            return
        kind, rank, raw = marker
        while self.stack and self.stack[-1][0] >= rank:
            self.stack.pop()
        if self.stack and self.stack[-1][1].kind == "preamble":
            self.stack.pop()
        offset = len(line.text) - len(line.text.lstrip(" \u3000\t")) + len(raw)
        rest = line.text[offset:]
        self._open(kind, rank, normalise_label(raw, kind), raw, line, marker_heading(kind, rest))

    def _open(self, kind: str, rank: int, label: str, raw: str, line: _Line, heading: str) -> None:
        parent = self.stack[-1][1] if self.stack else None
        if kind == "bullet":  # dash items are counted within their parent: 一、(二)—1, —2
            key = parent.clause_id if parent is not None else ""
            self.bullets[key] = self.bullets.get(key, 0) + 1
            label = f"—{self.bullets[key]}"
        within = (
            parent is not None
            and parent.kind not in ("preamble",)
            and not (kind == "article" and parent.kind == "chapter")
        )
        path = (parent.path if within and parent is not None else "") + label
        if path in self.paths:  # numbering that repeats: keep ids unique and stable
            n = 2
            while f"{path}~{n}" in self.paths:
                n += 1
            path = f"{path}~{n}"
        self.paths.add(path)
        clause = Clause(
            clause_id=f"{self.doc.doc_id}#{path}",
            doc_id=self.doc.doc_id,
            kind=cast(ClauseKind, kind),
            depth=len(self.stack),
            label=raw or label,
            path=path,
            heading=heading,
            ancestors=[c.heading or self._lead_in(c, line.start) or c.label for _, c in self.stack],
            parent_id=parent.clause_id if parent is not None else None,
            start=line.start,
            end=line.start,
            text="",
        )
        if parent is not None:
            parent.children.append(clause.clause_id)
        self.clauses.append(clause)
        self.stack.append((rank, clause))

    def _lead_in(self, clause: Clause, end: int) -> str:
        """What a clause without a heading says before its first item, when that introduces them: 第八条
        …符合下列条件的，应当列入…名录： names what its (一)(二) are about, as a heading would. Read when
        its first item opens (`end`, that item's start)."""
        if clause.clause_id not in self.leads:
            said = self.doc.text[clause.start : end].strip()
            lead = re.split(r"[。！？\n]", said[:-1])[-1].removeprefix(clause.label).strip()
            self.leads[clause.clause_id] = lead if said.endswith(("：", ":")) else ""
        return self.leads[clause.clause_id]

    def finish(self) -> list[Clause]:
        text = self.doc.text
        if not self.clauses:
            return []
        # blank lines before the first clause (text not from ingest, which drops them) belong to it:
        # every character of the text is in exactly one clause
        self.clauses[0].start = 0
        for clause, nxt in zip(self.clauses, self.clauses[1:] + [None]):
            clause.end = nxt.start if nxt is not None else len(text)
        self._split_closing()
        for clause in self.clauses:
            clause.text = text[clause.start : clause.end]
            clause.topics = find_topics(clause)
            if clause.kind == "appendix" and not clause.heading:
                clause.heading = _second_line_title(clause.text)
        return self.clauses

    def _split_closing(self) -> None:
        """Signature lines after the last clause (江苏省人民政府 / 2022年1月24日) become the closing."""
        last = self.clauses[-1]
        if last.kind in ("appendix", "preamble"):
            return
        lines = _lines(self.doc.text[last.start : last.end])
        tail = 0
        for ln in reversed(lines[1:]):
            s = ln.text.strip()
            if s and not _SOURCE_NOTE.match(s) and (len(s) > 30 or "。" in s or match_marker(s)):
                break
            tail += 1
        closing_lines = [ln for ln in lines[len(lines) - tail :] if ln.text.strip()]
        if not closing_lines:
            return
        start = last.start + closing_lines[0].start
        closing = Clause(
            clause_id=f"{self.doc.doc_id}#落款",
            doc_id=self.doc.doc_id,
            kind="closing",
            depth=0,
            label="落款",
            path="落款",
            heading="",
            start=start,
            end=last.end,
            text="",
        )
        last.end = start
        self.clauses.append(closing)


def _second_line_title(text: str) -> str:
    """附表 on its own line is followed by the table's title."""
    lines = [ln.strip() for ln in text.split("\n")[1:] if ln.strip()]
    return lines[0] if lines and len(lines[0]) <= HEADING_MAX and "。" not in lines[0] else ""


def find_topics(clause: Clause) -> list[Topic]:
    """Runs of the clause's text, each opened by a paragraph, a ——dash item or a lead sentence."""
    starts: list[tuple[int, str]] = []
    body_from = body_offset(clause)
    para_start = 0
    for para in clause.text.split("\n"):
        if para.strip():
            first = True
            for s, e in split_sentences(para):
                pos = para_start + s
                if pos < body_from:
                    continue
                sentence = para[s:e].strip()
                if first or (is_lead(sentence) and e < len(para.rstrip())):
                    lead = sentence if is_lead(sentence, 2 if first else 4) else ""
                    starts.append((pos, lead.lstrip("—- ").rstrip("。")))
                first = False
        para_start += len(para) + 1
    if not starts or starts[0][0] > 0:
        starts.insert(0, (0, ""))
    topics = []
    for (s, lead), nxt in zip(starts, starts[1:] + [(len(clause.text), "")]):
        topics.append(Topic(start=clause.start + s, end=clause.start + nxt[0], lead=lead))
    return [t for t in topics if clause_text_slice(clause, t).strip()]


def line_parts(line: str) -> tuple[int, int]:
    """Where a clause line's heading and its own words begin: (after the numbering, after the heading).
    (0, 0) for a line without numbering; both the same when it has no heading. The one place the
    numbering and heading of a line are told from its body."""
    marker = match_marker(line)
    if marker is None:
        return 0, 0
    label_end = len(line) - len(line.lstrip(" \u3000\t")) + len(marker[2])
    heading, body = split_heading(line[label_end:])
    return label_end, label_end + body if heading else label_end


def body_offset(clause: Clause) -> int:
    """Where the clause's own words begin within clause.text: after its numbering and heading."""
    if clause.kind in ("preamble", "closing"):
        return 0
    first_line = clause.text.split("\n", 1)[0]
    marker = match_marker(first_line)
    if marker is None:
        return 0
    if marker[0] in ("appendix", "chapter"):
        return min(len(clause.text), len(first_line) + 1)
    label_end, body = line_parts(first_line)
    if marker[0] == "article":
        m = _ARTICLE_HEADING.match(first_line[label_end:])
        return label_end + (m.end() if m else 0)
    return body


def clause_text_slice(clause: Clause, topic: Topic) -> str:
    return clause.text[topic.start - clause.start : topic.end - clause.start]


def clause_by_id(clauses: list[Clause]) -> dict[str, Clause]:
    return {c.clause_id: c for c in clauses}
