"""A clean text set as a government office publishes it, for tests: a PDF written with reportlab's
built-in CID font (named, not embedded, as older office tools write it), the title set larger and broken
into lines of about equal length, the 文号 under it, the body wrapped at the page width mid-sentence with
two-character first-line indents, digits and Latin set off by spaces ("到 2025 年"), "— N —" page numbers,
and optionally a running header and justified lines."""

from __future__ import annotations

import re
from pathlib import Path

LATIN = re.compile(r"[A-Za-z0-9.%/+\-]+")
WIDTH, HEIGHT, MARGIN, SIZE = 595, 842, 80, 15.5


def publish(source: Path, out: Path, header: str = "", justify: bool = False) -> Path:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    font = "STSong-Light"

    def tokens(text: str) -> list[str]:  # a Latin run, set off by spaces, or one character
        return [f" {t} " if LATIN.fullmatch(t) else t for t in re.findall(LATIN.pattern + r"|\S", text)]

    lines = source.read_text(encoding="utf-8").splitlines()
    title, body = lines[0], lines[1:]
    number = ""
    if body and "｜" in body[0]:  # the clean text's provenance line: its 文号 goes under the title
        found = re.search(r"[\u4e00-\u9fa5]+〔\d{4}〕\d+号", body[0])
        number, body = (found.group(0) if found else ""), body[1:]
    if len(title) > 40:  # a news lead, not a title: a paragraph of the body
        title, body = "", [title, *body]

    pdf = canvas.Canvas(str(out), pagesize=(WIDTH, HEIGHT))
    state = {"page": 1, "y": HEIGHT - 90.0}

    def new_page() -> None:
        pdf.setFont(font, 10)
        pdf.drawCentredString(WIDTH / 2, 50, f"— {state['page']} —")
        if header:
            pdf.setFont(font, 9)
            pdf.drawCentredString(WIDTH / 2, HEIGHT - 45, header)
        pdf.showPage()
        state["page"] += 1
        state["y"] = HEIGHT - 90.0

    def put(row: list[str], x: float, spread: bool) -> None:
        text = "".join(row)
        room = WIDTH - MARGIN - x - pdfmetrics.stringWidth(text, font, SIZE)
        line = pdf.beginText(x, state["y"])
        line.setFont(font, SIZE)
        line.setCharSpace(room / max(1, len(text) - 1) if spread else 0)
        line.textOut(text)  # one string a line: pdfium reads no text from a CID string of one character
        pdf.drawText(line)
        state["y"] -= SIZE * 1.75
        if state["y"] < 90:
            new_page()

    half = max(1, -(-len(title) // 2))
    for start in range(0, len(title), half):
        pdf.setFont(font, 21)
        pdf.drawCentredString(WIDTH / 2, state["y"], title[start : start + half])
        state["y"] -= 34
    if number:
        pdf.setFont(font, SIZE)
        pdf.drawCentredString(WIDTH / 2, state["y"], number)
        state["y"] -= 34
    for paragraph in filter(None, (p.strip() for p in body)):
        rows: list[list[str]] = [[]]
        used, room = 2 * SIZE, WIDTH - 2 * MARGIN
        for token in tokens(paragraph):
            width = pdfmetrics.stringWidth(token, font, SIZE)
            if rows[-1] and used + width > room:
                rows.append([])
                used = 0.0
            rows[-1].append(token)
            used += width
        for i, row in enumerate(rows):
            put(row, MARGIN + (2 * SIZE if i == 0 else 0), justify and i < len(rows) - 1)
    new_page()
    pdf.save()
    return out
