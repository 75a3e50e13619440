"""Word .docx: paragraphs and tables in document order; a table row is one line, its cells apart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .base import Extracted, IngestError, Line


def read_docx(path: Path) -> Extracted:
    import docx
    from docx.table import Table

    document = parse_or_raise(docx.Document, path, "Word .docx")
    lines: list[Line] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines += [Line(row) for row in table_rows(block)]
        else:
            # python-docx gives a typed line break (Shift+Enter, <w:br/>) as "\n": a soft break
            parts = block.text.split("\n")
            lines += [Line(p, soft=i < len(parts) - 1) for i, p in enumerate(parts)]
    return Extracted(lines=lines)


def table_rows(table) -> list[str]:
    """Each row's cell texts joined by " | "; a merged cell, which python-docx reports once per grid
    column it spans, counts once."""
    rows = []
    for row in table.rows:
        seen: set[int] = set()
        cells = []
        for cell in row.cells:
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(" ".join(cell.text.split()))
        rows.append(" | ".join(c for c in cells if c))
    return rows


def parse_or_raise(parse: Callable[[str], Any], path: Path, kind: str) -> Any:
    # Parsers of damaged files raise many unrelated types (zip, XML, KeyError...): report them as one.
    try:
        return parse(str(path))
    except Exception as err:  # noqa: BLE001
        raise IngestError(
            f"{path} is not a readable {kind} file ({type(err).__name__}: {err}); re-save it from its program and retry"
        ) from err
