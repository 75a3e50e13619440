"""PDF pages -> lines with their geometry, read with pypdfium2.

pypdfium2 was chosen by measuring the fifteen published PDFs of ../shared/realdocs: pypdf, pdfplumber and
pypdfium2 give the same characters (after white space, the five PDFs with a clean text twin match it
equally), and pypdfium2 reads them in 0.8 s where pypdf takes 4.5 s and pdfplumber 9.9 s. It also gives
each character's box, which tells a line the page width ended (it runs to the right edge) from the
last line of a paragraph, and an indented first line from a continuation.

A page with no text layer but an image on it is a scan: read by OCR when the `ocr` extra is installed,
else named in a warning.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .base import Extracted, IngestError, Line
from .ocr import OcrUnavailable, ocr_page_lines

EDGE_BAND = 0.12  # top and bottom share of a page where running heads, footers and page numbers sit
MIN_TEXT_CHARS = 10  # fewer characters than this on a page with a large image: the page is a scan
IMAGE_SHARE = 0.3  # share of the page an image must cover to make a text-less page a scan
PAGE_BLOCK_LINES = 6  # long lines a page needs for its own text block edges
BODY_SIZE = 0.15  # a line within this share of the usual character size is set in the body's size
ROW_GAP = 2.0  # characters of blank between two runs on one row: table cells, kept as one row


@dataclass
class _Run:
    """A line of text as pdfium lays it out, with its box (PDF points, y upwards)."""

    text: str
    x0: float
    x1: float
    bottom: float
    size: float


def read_pdf(path: Path) -> Extracted:
    import pypdfium2 as pdfium

    pdf = _open(path, pdfium)
    try:
        if len(pdf) == 0:
            raise IngestError(f"{path}: the PDF has zero pages")
        return _read_pages(path, pdf)
    finally:
        pdf.close()


def _open(path: Path, pdfium):
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as err:
        code = getattr(err, "err_code", None)
        if code in (4, 5):  # FPDF_ERR_PASSWORD, FPDF_ERR_SECURITY
            raise IngestError(f"{path} is an encrypted PDF; save an unprotected copy and retry") from err
        if _has_zero_pages(path):
            raise IngestError(f"{path}: the PDF has zero pages") from err
        raise IngestError(f"{path} is not a readable PDF file ({err}); re-save it and retry") from err


def _has_zero_pages(path: Path) -> bool:
    """pdfium refuses a PDF whose page tree is empty as malformed; pypdf tells the two apart."""
    try:
        from pypdf import PdfReader

        return len(PdfReader(str(path)).pages) == 0
    except Exception:  # noqa: BLE001 - any failure here means: not a well-formed empty PDF
        return False


def _read_pages(path: Path, pdf) -> Extracted:
    pages: dict[int, tuple[list[_Run], float]] = {}
    ocr: dict[int, list[Line]] = {}
    scanned: list[int] = []
    missing: list[int] = []
    for number in range(1, len(pdf) + 1):
        page = pdf[number - 1]
        runs, height = _page_runs(page)
        if _is_scan(page, runs):
            scanned.append(number)
            try:
                ocr[number] = ocr_page_lines(page, number)
            except OcrUnavailable:
                missing.append(number)
        else:
            pages[number] = (_rows(runs), height)
    whole = _text_block([r for runs, _ in pages.values() for r in runs])
    lines: list[Line] = []
    for number in range(1, len(pdf) + 1):
        if number in pages:
            lines += _lines_of_page(*pages[number], page=number, fallback=whole)
        lines += ocr.get(number, [])
    warnings = []
    if missing:
        warnings.append(
            f"{path}: page{'s' if len(missing) > 1 else ''} {_ranges(missing)} "
            f"{'have' if len(missing) > 1 else 'has'} no text layer (scanned images) and were not read; "
            "install the OCR extra to read them: pip install 'policyqa[ocr]'"
        )
    return Extracted(lines=lines, warnings=warnings, pages=len(pdf), ocr_pages=[p for p in scanned if p not in missing])


def _ranges(pages: list[int]) -> str:
    """1, 2, 3, 7 -> 1-3, 7."""
    out: list[str] = []
    start = prev = pages[0]
    for p in pages[1:] + [None]:
        if p is not None and p == prev + 1:
            prev = p
            continue
        out.append(f"{start}-{prev}" if prev > start else str(start))
        if p is not None:
            start = prev = p
    return ", ".join(out)


def _page_runs(page) -> tuple[list[_Run], float]:
    """The page's lines as pdfium orders them, each with the box of its first and last characters."""
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range(0, count) if count else ""
        runs = list(_runs(textpage, text)) if len(text) == count else _runs_without_boxes(text)
    finally:
        textpage.close()
    return runs, float(page.get_height())


def _runs(textpage, text: str) -> Iterator[_Run]:
    start = 0
    for end in [i for i, ch in enumerate(text) if ch == "\n"] + [len(text)]:
        raw = text[start:end]
        boxes = [_box(textpage, i) for i in range(start, end) if not text[i].isspace()]
        if boxes:  # every character's box: a glyph set out of line must not decide where the line ends
            heights = sorted(b[3] - b[1] for b in boxes)
            yield _Run(
                text=raw.strip(),
                x0=min(b[0] for b in boxes),
                x1=max(b[2] for b in boxes),
                bottom=statistics.median(b[1] for b in boxes),
                size=heights[(len(heights) * 3) // 4],  # CJK glyphs are the tallest; digits and marks smaller
            )
        start = end + 1


def _box(textpage, i: int) -> tuple[float, float, float, float]:
    """A character's box; for a font the file does not embed (STSong named, not shipped), pdfium knows
    no glyph outline and the tight box has no height, so the loose box (the font's em) stands in."""
    box = textpage.get_charbox(i)
    return box if box[3] - box[1] >= 1.0 else textpage.get_charbox(i, loose=True)


def _runs_without_boxes(text: str) -> list[_Run]:
    """Should pdfium's text and characters disagree, the lines alone (no geometry)."""
    return [_Run(t.strip(), 0.0, 0.0, 0.0, 0.0) for t in text.split("\n") if t.strip()]


def _is_scan(page, runs: list[_Run]) -> bool:
    if sum(len(r.text) for r in runs) >= MIN_TEXT_CHARS:
        return False
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    area = 0.0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        left, bottom, right, top = obj.get_bounds()
        area += max(0.0, right - left) * max(0.0, top - bottom)
    return area >= IMAGE_SHARE * width * height


def _lines_of_page(
    runs: list[_Run], height: float, page: int, fallback: tuple[float, float, float] | None
) -> list[Line]:
    """Lines of one page; its own text block when it has enough long lines to show it, else the
    document's (a last page of three lines does not show where the right edge is)."""
    if not runs or not any(r.size for r in runs) or fallback is None:
        return [Line(r.text, page=page) for r in runs]
    own = sum(len(r.text) >= 8 and r.size > 0 for r in runs) >= PAGE_BLOCK_LINES
    block = _text_block(runs) if own else fallback
    assert block is not None  # own: the page has lines with a size, so it has a block
    left, right, char = block
    steps = [a.bottom - b.bottom for a, b in zip(runs, runs[1:]) if 0.5 * char < a.bottom - b.bottom < 4 * char]
    pitch = statistics.median(steps) if steps else 0.0
    out = []
    for i, r in enumerate(runs):
        width = r.size or char
        out.append(
            Line(
                gap=(runs[i - 1].bottom - r.bottom) / pitch if i and pitch else None,
                text=r.text,
                page=page,
                wraps=r.x1 >= right - 1.5 * width,
                fill=(r.x1 - left) / (right - left) if right > left else None,
                indent=r.x0 >= left + 1.0 * width,
                size=r.size,
                edge=height > 0 and not (EDGE_BAND * height < r.bottom < (1 - EDGE_BAND) * height),
            )
        )
    return out


def _rows(runs: list[_Run]) -> list[_Run]:
    """Runs that share a baseline are one row (a table's cells, a split number): joined left to
    right, with " | " where a wide gap parts two cells."""
    out: list[_Run] = []
    for r in runs:
        prev = out[-1] if out else None
        size = max(r.size, prev.size) if prev else r.size
        if prev is not None and size and abs(prev.bottom - r.bottom) < 0.4 * size and r.x0 >= prev.x1 - 0.5 * size:
            gap = r.x0 - prev.x1
            joiner = " | " if gap > ROW_GAP * size else (" " if gap > 0.25 * size else "")
            out[-1] = _Run(prev.text + joiner + r.text, prev.x0, r.x1, min(prev.bottom, r.bottom), size)
        else:
            out.append(r)
    return out


def _text_block(runs: list[_Run]) -> tuple[float, float, float] | None:
    """Left and right edges of the text block, and its usual character size: taken over the longer
    lines set in the body's size, so a centred title, a heading set larger or a short last line does not
    move them."""
    sized = [r for r in runs if r.size > 0]
    if not sized:
        return None
    char = statistics.median(r.size for r in sized)
    longer = [r for r in sized if len(r.text) >= 8] or sized
    body = [r for r in longer if abs(r.size - char) <= BODY_SIZE * char] or longer
    lefts = sorted(r.x0 for r in body)
    rights = sorted(r.x1 for r in body)
    return lefts[len(lefts) // 10], rights[(len(rights) * 9) // 10], char
