"""Scanned pages read by OCR: rapidocr-onnxruntime (the `ocr` extra), whose wheel carries the
PP-OCRv4 Chinese detection and recognition models, so nothing is downloaded.

The page is rendered at OCR_DPI, the recogniser's text boxes are ordered into rows top to bottom,
and each row becomes a Line with the same geometry a text layer gives (does it reach the right edge,
is it indented), so reflow treats a scanned page like any other.
"""

from __future__ import annotations

import functools
import statistics
import threading

from .base import Line

OCR_DPI = 200
MIN_SCORE = 0.5  # recognitions the model itself doubts are left out
_LOCK = threading.Lock()


class OcrUnavailable(Exception):
    """The OCR extra is not installed."""


@functools.lru_cache(maxsize=1)
def _engine():
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as err:
        raise OcrUnavailable("pip install 'policyqa[ocr]'") from err
    return RapidOCR()


def available() -> bool:
    try:
        _engine()
    except OcrUnavailable:
        return False
    return True


def ocr_page_lines(page, number: int) -> list[Line]:
    """The lines of a rendered PDF page, in reading order."""
    engine = _engine()
    image = page.render(scale=OCR_DPI / 72).to_numpy()
    with _LOCK:  # one page at a time: the models are large, and onnxruntime already uses every core
        found, _ = engine(image)
    boxes = [(_box(points), text) for points, text, score in found or [] if float(score) >= MIN_SCORE and text.strip()]
    return _lines(boxes, number, image.shape[0])


def _box(points) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)  # pixels, y downwards


def _lines(boxes: list[tuple[tuple[float, float, float, float], str]], page: int, height: float) -> list[Line]:
    if not boxes:
        return []
    rows: list[list[tuple[tuple[float, float, float, float], str]]] = []
    for box, text in sorted(boxes, key=lambda b: (b[0][1] + b[0][3]) / 2):
        middle = (box[1] + box[3]) / 2
        if rows and abs(middle - statistics.mean((b[1] + b[3]) / 2 for b, _ in rows[-1])) < 0.5 * (box[3] - box[1]):
            rows[-1].append((box, text))
        else:
            rows.append([(box, text)])
    merged = []
    for row in rows:
        row.sort(key=lambda b: b[0][0])
        text = " | ".join(t.strip() for _, t in row) if _spread(row) else "".join(t.strip() for _, t in row)
        x0, x1 = row[0][0][0], max(b[2] for b, _ in row)
        top, bottom = min(b[1] for b, _ in row), max(b[3] for b, _ in row)
        merged.append((text, x0, x1, top, bottom))
    size = statistics.median(b - t for _, _, _, t, b in merged)
    lefts = sorted(x0 for _, x0, _, _, _ in merged)
    rights = sorted(x1 for _, _, x1, _, _ in merged)
    left, right = lefts[len(lefts) // 10], rights[(len(rights) * 9) // 10]
    return [
        Line(
            text=text,
            page=page,
            wraps=x1 >= right - 1.5 * size,
            indent=x0 >= left + 1.0 * size,
            size=size,
            fill=(x1 - left) / (right - left) if right > left else None,
            edge=not (0.12 * height < (top + bottom) / 2 < 0.88 * height),
        )
        for text, x0, x1, top, bottom in merged
    ]


def _spread(row: list[tuple[tuple[float, float, float, float], str]]) -> bool:
    """Boxes of one row with wide gaps between them: table cells, kept apart."""
    height = statistics.median(b[3] - b[1] for b, _ in row)
    return any(nxt[0][0] - cur[0][2] > 2 * height for cur, nxt in zip(row, row[1:]))
