"""The pydantic models that pass between the pipeline stages.

files -> Document -> Clause tree (+ Responsibility) -> Chunk -> index
question -> Hit -> Answer (with Citation)
"""

from __future__ import annotations

import bisect
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .text import scrub

Level = Literal["区县", "市", "省", "国家", ""]
ClauseKind = Literal["preamble", "chapter", "article", "section", "item", "box", "bullet", "appendix", "closing"]


class DocMeta(BaseModel):
    """What a document is: read from a `<name>.meta.json` sidecar, else from its own header."""

    model_config = ConfigDict(extra="ignore")

    title: str = ""
    issuer: str = ""
    doc_number: str = ""
    date: str = ""
    level: Level = ""
    place: str = ""  # 江阴 / 江苏 / 全国 ...: lets a question that names a place prefer its document
    status: str = ""
    source: str = ""


class Document(BaseModel):
    doc_id: str  # the file's stem: stable, readable, unique within a corpus
    path: str
    meta: DocMeta
    text: str  # the whole text as read, newlines normalised to \n; clause offsets point into it
    content_hash: str
    meta_source: str = "inferred"  # "sidecar" when a <file>.meta.json gave fields
    page_starts: list[int] = Field(default_factory=list)  # offset in text of each page's start, page 1 first
    ocr_pages: list[int] = Field(default_factory=list)  # pages read by OCR
    warnings: list[str] = Field(default_factory=list)  # what could not be read (pages without text)

    def page_at(self, offset: int) -> int:
        """The page (1-based) the text at offset is on; 0 for a document without pages."""
        return bisect.bisect_right(self.page_starts, offset) if self.page_starts else 0


class Topic(BaseModel):
    """A run of a clause's text opened by a lead sentence (严格控制煤炭消费增长。) or a paragraph."""

    start: int
    end: int
    lead: str = ""


class Clause(BaseModel):
    clause_id: str  # f"{doc_id}#{path}": stable while the numbering stays
    doc_id: str
    kind: ClauseKind
    depth: int  # 0 for top-level clauses
    label: str  # the numbering as written: 三、 （三） 2． 专栏1 附表 前言
    path: str  # normalised path label: 三、(三)2.
    heading: str
    ancestors: list[str] = Field(default_factory=list)  # headings from the top down, own excluded
    parent_id: str | None = None
    children: list[str] = Field(default_factory=list)
    start: int  # offsets of the clause's own text (children excluded) in Document.text
    end: int
    text: str  # verbatim Document.text[start:end]
    topics: list[Topic] = Field(default_factory=list)

    @property
    def heading_path(self) -> list[str]:
        return [*self.ancestors, self.heading] if self.heading else list(self.ancestors)


class Responsibility(BaseModel):
    """A note such as (发改委、工信局等部门按职责分工负责), attached to the text it closes."""

    doc_id: str
    clause_id: str
    note: str  # verbatim
    start: int  # offsets of the note in Document.text
    end: int
    span_start: int  # the text the note closes: from the previous note or the clause start
    departments: list[str]  # as written, in order, lead first
    lead: str  # the one marked 牵头, else the first listed
    lead_marked: bool = True  # False: the note names no lead, `lead` is only listed first
    deadline: str = ""  # 完成期限：12月底


class Task(BaseModel):
    """A task a department shares: the clause whose responsibility note names it."""

    doc_id: str
    doc_title: str
    clause_id: str
    path: str
    heading: str
    role: Literal["牵头", "列首位", "参与"]  # marked 牵头 in the note; listed first of a note naming no lead; other
    note: str


class Department(BaseModel):
    name: str  # one name within its place: 发改委 for 发展和改革委员会
    place: str  # 江阴 / 江苏 / 全国: a department is never merged across places
    level: Level = ""
    names: list[str] = Field(default_factory=list)  # as written in the corpus
    tasks: list[Task] = Field(default_factory=list)


class Target(BaseModel):
    """One quantified target: 到2030年,太阳能发电装机容量达到1400兆瓦 -> deadline 2030年, indicator
    太阳能发电装机容量, value 1400, unit 兆瓦."""

    doc_id: str
    clause_id: str
    path: str = ""
    sentence: str  # verbatim
    segment: str = ""  # the comma-clause that states this target, verbatim
    deadline: str = ""
    indicator: str = ""
    value: str = ""
    unit: str = ""
    qualifier: str = ""
    baseline: str = ""
    scope: str = ""


class Chunk(BaseModel):
    chunk_id: str
    doc_id: str
    doc_title: str
    clause_id: str
    path: str
    heading: str
    heading_path: list[str]
    kind: Literal["text", "outline"] = "text"
    text: str  # verbatim passage (an outline joins verbatim heading lines)
    items: list[str] = Field(default_factory=list)  # an outline's entries: its children's headings
    start: int
    end: int
    level: Level = ""
    page: int = 0  # the page of a paginated file the passage starts on; 0 when the file has no pages
    doc_status: str = ""  # 征求意见稿 / 试行: the document's status, shown beside its title

    def context(self) -> str:
        """What retrieval sees: title and heading path before the passage."""
        return " ".join([self.doc_title, self.path, *self.heading_path, self.text])


class Scope(BaseModel):
    """Limits a search to some documents or levels (市/省/国家/区县); empty means everything."""

    doc_ids: set[str] = Field(default_factory=set)
    levels: set[str] = Field(default_factory=set)

    def admits(self, chunk: Chunk) -> bool:
        return (not self.doc_ids or chunk.doc_id in self.doc_ids) and (not self.levels or chunk.level in self.levels)

    @property
    def label(self) -> str:
        """How an answer says where it looked: 省级文件, 2份文件, 市级文件中的1份."""
        levels = "、".join(f"{lv}级" if lv != "国家" else "国家级" for lv in sorted(self.levels))
        docs = f"{len(self.doc_ids)}份文件" if self.doc_ids else ""
        return (f"{levels}文件" if levels and not docs else f"{levels}{'中的' if levels else ''}{docs}") or "全部文件"


class Hit(BaseModel):
    chunk: Chunk
    score: float
    dense: float = 0.0
    bm25: float = 0.0


class Citation(BaseModel):
    doc_id: str
    doc_title: str
    clause: str
    heading: str
    text: str
    score: float
    page: int | None = None  # the page the passage starts on, for a paginated file
    doc_status: str = ""  # 征求意见稿 / 试行, when the document says so


class Answer(BaseModel):
    id: str | None = None
    question: str
    found: bool
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    retrieved: list[Citation] = Field(default_factory=list)
    latency_ms: float = 0.0
    strategy: str = ""  # the strategy that answered (sentence, department, …) or not_found:<rule>
    scope: str = ""  # where it looked, when a scope was chosen: 检索范围：省级文件

    @field_validator("id", "question")
    @classmethod
    def _encodable(cls, value: str | None) -> str | None:
        # the question is echoed back as given, and may hold lone surrogates that no JSON could encode
        return scrub(value) if value is not None else None


class QuestionRecord(BaseModel):
    """One line of a question set (JSONL): `question` is all that asking needs; the rest is what eval
    scores an answer against (eval/score.py's contract). Other fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    id: str = ""
    persona: str = ""
    type: str = ""
    question: str
    evidence: list[str] = []
    evidence_all: bool = False
    answer_all: list[str] = []
    answer_any: list[str] = []
    departments: list[str] = []
    abstain: bool = False

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: object) -> str:
        return "" if value is None else str(value)


def read_questions(paths: list) -> list[QuestionRecord]:
    """Every record of the JSONL files, in order; a line without a `question` string is a ValueError
    naming its file and line. A record without an id gets its line number."""
    from pathlib import Path

    out: list[QuestionRecord] = []
    for path in paths:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read {path}: {exc}") from exc
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                if isinstance(raw, dict) and isinstance(raw.get("question"), str):
                    raw["question"] = scrub(raw["question"])  # "\ud800" cannot be encoded
                record = QuestionRecord.model_validate(raw)
            except ValueError as exc:
                raise ValueError(
                    f"{path}:{n}: expected a JSON object with a 'question' field ({exc.__class__.__name__})"
                ) from exc
            out.append(record if record.id else record.model_copy(update={"id": str(n)}))
    return out
