"""Clause-aligned chunks. A chunk never crosses a numbered clause; a long clause splits at its topics
(lead sentences, paragraphs, responsibility notes) and, past the size budget, at sentence ends.
A clause with two or more numbered children also gets an outline chunk: its heading line (and lead) and
its children's heading lines, which is what a question such as 十大行动有哪些 asks for.
"""

from __future__ import annotations

from typing import Literal

from .knowledge import find_notes
from .parse import line_parts
from .schema import Chunk, Clause, Document
from .text import split_sentences

OUTLINE_LEAD_MAX = 200
OUTLINE_MAX = 600
HEADING_LINE = 40


def chunk_document(doc: Document, clauses: list[Clause], max_chars: int = 360, min_chars: int = 80) -> list[Chunk]:
    by_id = {c.clause_id: c for c in clauses}
    chunks: list[Chunk] = []
    for clause in clauses:
        outline, items = outline_lines(doc.text, clause, by_id)
        spans = _clause_spans(doc.text, clause, max_chars, min_chars)
        if clause.children and not _has_body(clause):
            spans = []  # a bare heading line: the outline stands for it
        for n, (s, e) in enumerate(spans):
            chunks.append(_make(doc, clause, f"{clause.clause_id}@{n}", "text", doc.text[s:e], s, e))
        if len(items) >= 2:
            text = "\n".join(line for _, _, line in outline)[:OUTLINE_MAX]
            chunk = _make(doc, clause, f"{clause.clause_id}@outline", "outline", text, clause.start, outline[-1][1])
            chunk.items = items
            chunks.append(chunk)
    return chunks


def _make(
    doc: Document, clause: Clause, chunk_id: str, kind: Literal["text", "outline"], text: str, s: int, e: int
) -> Chunk:
    return Chunk(
        chunk_id=chunk_id,
        doc_id=doc.doc_id,
        doc_title=doc.meta.title,
        clause_id=clause.clause_id,
        path=clause.path,
        heading=clause.heading,
        heading_path=clause.heading_path,
        kind=kind,
        text=text,
        start=s,
        end=e,
        level=doc.meta.level,
        page=doc.page_at(s),
        doc_status=doc.meta.status,
    )


def _has_body(clause: Clause) -> bool:
    lines = [ln for ln in clause.text.split("\n") if ln.strip()]
    if len(lines) > 1:
        return True
    return bool(lines) and bool(lines[0][line_parts(lines[0])[1] :].strip())


def _clause_spans(text: str, clause: Clause, max_chars: int, min_chars: int) -> list[tuple[int, int]]:
    starts = {t.start for t in clause.topics}
    starts |= {clause.start + e for _, e in find_notes(clause.text)}
    cuts = sorted(c for c in starts if clause.start <= c < clause.end) or [clause.start]
    segments = [_trim(text, s, e) for s, e in zip(cuts, cuts[1:] + [clause.end])]
    segments = [(s, e) for s, e in segments if e > s]
    pieces: list[tuple[int, int]] = []
    for s, e in segments:
        if pieces and (pieces[-1][1] - pieces[-1][0] < min_chars):
            pieces[-1] = (pieces[-1][0], e)  # a heading or a short topic joins what follows
        else:
            pieces.append((s, e))
    if len(pieces) > 1 and pieces[-1][1] - pieces[-1][0] < min_chars:
        last = pieces.pop()
        pieces[-1] = (pieces[-1][0], last[1])
    return [p for s, e in pieces for p in _split_long(text, s, e, max_chars, min_chars)]


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _split_long(text: str, s: int, e: int, max_chars: int, min_chars: int) -> list[tuple[int, int]]:
    """Pack whole sentences into pieces of at most max_chars; a longer sentence is a piece alone,
    cut at commas only past twice the budget."""
    if e - s <= max_chars:
        return [(s, e)]
    units = _sentence_units(text, s, e)
    cuts = [s]
    for a, b in units:
        if b - cuts[-1] > max_chars and a - cuts[-1] >= min_chars:
            cuts.append(a)
    # A short tail takes sentences from the piece before it rather than standing alone.
    while len(cuts) > 1 and e - cuts[-1] < min_chars:
        earlier = [a for a, _ in units if cuts[-2] + min_chars <= a < cuts[-1]]
        if not earlier or e - earlier[-1] > max_chars:
            break
        cuts[-1] = earlier[-1]
    pieces = [_trim(text, a, b) for a, b in zip(cuts, cuts[1:] + [e])]
    return [q for p in pieces for q in _cut_commas(text, *p, max_chars * 2)]


def _sentence_units(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Sentence spans, a responsibility note kept with the sentence it closes."""
    units: list[tuple[int, int]] = []
    for a, b in split_sentences(text[s:e]):
        a, b = s + a, s + b
        note = text[a:b].strip()
        if units and find_notes(note) == [(0, len(note))]:
            units[-1] = (units[-1][0], b)
        else:
            units.append((a, b))
    return units


def _cut_commas(text: str, s: int, e: int, hard_max: int) -> list[tuple[int, int]]:
    if e - s <= hard_max:
        return [(s, e)]
    out, start = [], s
    for i in range(s, e):
        if text[i] in "，,；;" and i + 1 - start >= hard_max // 2:
            out.append((start, i + 1))
            start = i + 1
    out.append((start, e))
    return [(a, b) for a, b in out if b > a]


def outline_lines(text: str, clause: Clause, by_id: dict[str, Clause]) -> tuple[list[tuple[int, int, str]], list[str]]:
    """(start, end, verbatim line) of the clause's heading line (and lead paragraph), then each
    child's heading line, or each lead paragraph's lead when the clause has no numbered children;
    and the entries those lines name."""
    own = [ln for ln in clause.text.split("\n") if ln.strip()]
    first = own[0].rstrip() if own else ""
    lines = [(clause.start, clause.start + len(first), _cut_sentence(first, OUTLINE_LEAD_MAX))]
    if clause.children and len(own) > 1 and len(first) <= HEADING_LINE:  # 三、重点任务 + its lead paragraph
        lead_at = clause.text.index(own[1])
        lead = _cut_sentence(own[1].rstrip(), OUTLINE_LEAD_MAX)
        lines.append((clause.start + lead_at, clause.start + lead_at + len(lead), lead))
    if clause.children:
        items = []
        for cid in clause.children:
            child = by_id[cid]
            head = _heading_line(child)
            lines.append((child.start, child.start + len(head), head))
            items.append(child.heading or head)
        return lines, items
    items = []
    for topic in clause.topics:
        at_line_start = topic.start == clause.start or text[topic.start - 1] == "\n"
        if topic.lead and at_line_start:
            raw = text[topic.start : topic.end]
            lead_end = raw.find("。") + 1 or len(raw)
            lines.append((topic.start, topic.start + lead_end, raw[:lead_end].strip()))
            items.append(topic.lead)
    return lines, items


def _heading_line(clause: Clause) -> str:
    first = clause.text.split("\n", 1)[0].rstrip()
    label_end, body = line_parts(first)
    if not label_end or clause.kind in ("preamble", "closing") or body == label_end:
        return _cut_sentence(first, 60)
    return first[:body].strip()


def _cut_sentence(line: str, limit: int) -> str:
    if len(line) <= limit:
        return line
    ends = [b for _, b in split_sentences(line) if b <= limit]
    return line[: ends[-1]] if ends else line[:limit]
