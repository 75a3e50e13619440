"""Plain-text tables for terminals and the README: one renderer (tabulate, with wcwidth so that Chinese
characters count two columns)."""

from __future__ import annotations

from collections.abc import Sequence


def render(rows: Sequence[Sequence[object]], headers: Sequence[str], left: Sequence[int] = (0,)) -> str:
    """Columns in `left` flush left (labels), the rest flush right (figures); a dashed rule under the headers."""
    import tabulate

    tabulate.WIDE_CHARS_MODE = True  # Chinese text takes two columns per character
    align = ["left" if i in left else "right" for i in range(len(headers))]
    return tabulate.tabulate(
        [list(r) for r in rows], headers=list(headers), colalign=align, tablefmt="simple", disable_numparse=True
    )
