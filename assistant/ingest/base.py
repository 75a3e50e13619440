"""What every reader returns: lines with what the page says about them, and warnings."""

from __future__ import annotations

from dataclasses import dataclass, field

SUPPORTED = (".txt", ".md", ".docx", ".pdf", ".html", ".htm")
# the kinds of document a title ends with (…实施方案, …指导意见, …条例)
DOC_KINDS = "方案|意见|办法|条例|规定|计划|规划|通知|措施|细则|纲要|决定|指南|公告|行动|准则|标准"


class IngestError(Exception):
    """A corpus file or folder cannot be read; the message says which and what to do about it."""


@dataclass
class Line:
    """One line as the file lays it out.

    `wraps` is True when the line runs to the right edge of the text block, so the page width, not
    the writer, ended it; False when it ends short of the edge; None when the format cannot tell
    (plain text). `indent` likewise says whether it starts in from the left edge. `soft` marks a
    break the writer typed inside a paragraph (Word's Shift+Enter, HTML's <br>).
    """

    text: str
    page: int = 0  # 1-based page of a paginated file; 0 when the format has no pages
    wraps: bool | None = None
    indent: bool | None = None
    soft: bool = False
    size: float = 0.0  # font size (line height) where the format gives it
    fill: float | None = None  # how far across the text block the line runs (1.0 = to the right edge)
    gap: float | None = None  # distance from the line above, in the page's usual line pitch (1.0 = the usual)
    edge: bool = False  # in the top or bottom band of its page, where running heads and page numbers sit


@dataclass
class Extracted:
    """A file's lines in reading order, and what could not be read (named pages, with why)."""

    lines: list[Line]
    warnings: list[str] = field(default_factory=list)
    pages: int = 0
    ocr_pages: list[int] = field(default_factory=list)  # pages read by OCR
