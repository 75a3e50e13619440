"""What every tab shares: a clause shown in its document, and CSV files for download."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..pipeline import Assistant
from ..schema import Citation
from . import render

LEVEL_ORDER = {"市": 1, "省": 2, "国家": 3}


def row_of(picked, count: int) -> int | None:
    """The row a client picked, if it is one of `count`: a choice's value ("2") or a table cell's
    [row, column]. Anything else (a negative, a word, nothing) is no row, not an error."""
    if isinstance(picked, (list, tuple)):
        picked = picked[0] if picked else None
    try:
        row = int(picked)
    except (TypeError, ValueError):
        return None
    return row if 0 <= row < count else None


class ClauseViewer:
    def __init__(self, assistant: Assistant):
        self.assistant = assistant
        home = assistant.settings.home_place
        # the home documents first, then by level (市, 省, 国家): the order of every document list
        ordered = sorted(assistant.documents(), key=lambda d: (d.meta.place != home, LEVEL_ORDER.get(d.meta.level, 4)))
        self.docs = {d.doc_id: d for d in ordered}

    def has(self, doc_id) -> bool:
        """Whether a doc id from the client names an indexed document. Ids are only ever keys here:
        none is a path, so none can open a file (../../etc/passwd is simply no document)."""
        return isinstance(doc_id, str) and doc_id in self.docs

    def title(self, doc_id: str) -> str:
        doc = self.docs.get(doc_id)
        return (doc.meta.title or doc_id) if doc else doc_id

    def label(self, doc_id: str) -> str:
        """The title with the document's status beside it: 江阴市碳达峰实施方案（征求意见稿）."""
        status = self.status(doc_id)
        return self.title(doc_id) + (f"（{status}）" if status else "")

    def status(self, doc_id: str) -> str:
        """征求意见稿, 试行: what the document says of itself, shown beside its title."""
        doc = self.docs.get(doc_id)
        return doc.meta.status if doc else ""

    def complete(self, c: Citation) -> Citation:
        """A citation carrying its document's title and status, whatever the answer filled in."""
        if not self.has(c.doc_id):
            return c
        return c.model_copy(update={"doc_title": self.title(c.doc_id), "doc_status": self.status(c.doc_id)})

    def level(self, doc_id: str) -> str:
        doc = self.docs.get(doc_id)
        return (doc.meta.level if doc else "") or "其他"

    def show(self, doc_id: str, path: str, cited: str = "") -> str:
        """The clause at `path` highlighted in its document, with its heading path; `cited` (a
        passage of it) is marked on its own."""
        clause = self.assistant.clause(doc_id, path) if self.has(doc_id) else None
        if clause is None:
            return render.placeholder_html(f"找不到条款 {path}（{doc_id}）：索引可能已更新，请重新提问。")
        by_id = {c.clause_id: c for c in self.assistant.clauses(doc_id)}
        return render.clause_html(self.docs[doc_id], clause, render.clause_trail(clause, by_id), cited)


class Exports:
    """CSV files for the download buttons, each in its own folder under one temp folder (made on
    first use), so two people exporting at once never share a file."""

    def __init__(self):
        self.root: Path | None = None

    def write(self, name: str, text: str) -> str:
        if self.root is None:
            self.root = Path(tempfile.mkdtemp(prefix="policyqa-exports-"))
        path = Path(tempfile.mkdtemp(dir=self.root)) / f"{name}.csv"
        path.write_text(text, encoding="utf-8-sig")  # the BOM lets Excel read the Chinese
        return str(path)
