"""HTML pages: the text of each block element on a line of its own, <br> a soft break, scripts,
styles and page chrome dropped; a data table's row is one line."""

from __future__ import annotations

import re
from pathlib import Path

from .base import Extracted, Line
from .plain import decode

_DROPPED_TAGS = ("script", "style", "nav", "header", "footer", "noscript", "template", "head")
_BLOCK_TAGS = frozenset(
    "p h1 h2 h3 h4 h5 h6 li td th div section article main aside blockquote pre table tr "
    "ul ol dl dt dd figure figcaption caption address body html".split()
)
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")  # HTML collapses ASCII white space only (not &nbsp;)
_DECLARED_CHARSET = re.compile(rb"""<(?:meta|\?xml)[^>]+?(?:charset|encoding)\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)


def read_html(path: Path) -> Extracted:
    data = path.read_bytes()
    declared = _DECLARED_CHARSET.search(data[:4096])
    return Extracted(lines=html_lines(decode(data, path, declared.group(1).decode("ascii") if declared else None)))


def html_lines(markup: str) -> list[Line]:
    """One line per block element's own text, so nested blocks never merge with their parent."""
    from bs4 import BeautifulSoup, NavigableString, Tag

    soup = BeautifulSoup(markup, "lxml")
    for tag in soup.find_all(_DROPPED_TAGS):
        tag.decompose()
    for row in soup.find_all("tr"):
        _flatten_data_row(row, soup)
    lines: list[Line] = []
    buffer: list[str] = []
    block = None
    for node in soup.descendants:
        if isinstance(node, Tag):
            if node.name == "br":
                lines.append(Line("".join(buffer), soft=True))
                buffer = []
            continue
        if type(node) is not NavigableString:  # comments, doctype, CDATA
            continue
        owner = next((p for p in node.parents if p.name in _BLOCK_TAGS), None)
        if owner is not block:
            lines.append(Line("".join(buffer)))
            buffer, block = [], owner
        buffer.append(_HTML_SPACE.sub(" ", str(node)))
    lines.append(Line("".join(buffer)))
    return lines


def _flatten_data_row(row, soup) -> None:
    """A row of two or more cells that hold only text is a data row: its cells become one line. A
    layout table (cells holding paragraphs, lists or other tables) is read block by block."""
    cells = row.find_all(["td", "th"], recursive=False)
    if len(cells) < 2 or any(c.find(list(_BLOCK_TAGS - {"td", "th"}) + ["br"]) for c in cells):
        return
    texts = [" ".join(c.get_text(" ").split()) for c in cells]
    row.clear()
    row.append(soup.new_string(" | ".join(t for t in texts if t)))
