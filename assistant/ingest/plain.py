"""Plain text and Markdown: the bytes decoded (declared charset, UTF-8, GB18030, then a guess)."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from .base import SUPPORTED, Extracted, IngestError, Line


def read_txt(path: Path) -> Extracted:
    return Extracted(lines=[Line(t) for t in decode(path.read_bytes(), path).splitlines()])


def read_md(path: Path) -> Extracted:
    return Extracted(lines=md_lines(decode(path.read_bytes(), path)))


def decode(data: bytes, path: Path, declared: str | None = None) -> str:
    """Bytes to text: the declared charset, UTF-8, GB18030, then charset-normalizer's guess."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _check_decoded(_decode_as(data, "utf-16") or "", path)
    if b"\x00" in data:
        raise IngestError(
            f"{path} looks binary (it contains NUL bytes), not text; "
            f"save it as UTF-8 text or use one of {', '.join(SUPPORTED)}"
        )
    for encoding in (_superset(declared), "utf-8-sig", "gb18030"):
        text = _decode_as(data, encoding)
        if text is not None:
            return _check_decoded(text, path)
    guess = _charset_normalizer_guess(data)
    if guess is None:
        raise IngestError(f"{path}: cannot tell its text encoding; re-save it as UTF-8")
    return _check_decoded(guess, path)


def _decode_as(data: bytes, encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _superset(declared: str | None) -> str | None:
    """Decode a declared GB2312/GBK as GB18030: pages labelled GB2312 often hold GBK characters."""
    if not declared:
        return None
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        return None
    if name in {"gb2312", "gbk"}:
        return "gb18030"
    return "utf-8-sig" if name == "utf-8" else name


def _charset_normalizer_guess(data: bytes) -> str | None:
    from charset_normalizer import from_bytes  # imported late: only needed for odd encodings

    best = from_bytes(data).best()
    return None if best is None else str(best)


# C0/C1 control characters other than \t \n \v \f \r, and the replacement character.
_UNTEXTUAL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")


def _check_decoded(text: str, path: Path) -> str:
    """Reject text whose decoding 'worked' but produced mostly control characters or U+FFFD."""
    if not text:
        return text
    bad = len(_UNTEXTUAL.findall(text))
    if bad / len(text) > 0.05:
        raise IngestError(
            f"{path} looks binary ({bad} of {len(text)} characters are control or undecodable "
            f"characters); save it as UTF-8 text or use one of {', '.join(SUPPORTED)}"
        )
    return text


def md_lines(source: str) -> list[Line]:
    """Text of headings, paragraphs, list items, table rows and code; markup dropped. A soft break
    inside a paragraph is kept as a soft line end: reflow decides whether it ends a clause."""
    from markdown_it import MarkdownIt

    lines: list[Line] = []
    number = ""
    row: list[str] | None = None
    for token in MarkdownIt("commonmark").enable("table").parse(source):
        if token.type == "list_item_open" and token.info:
            # An ordered list's "1." is the clause numbering: keep it on the item's first line.
            number = f"{token.info}{token.markup} "
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            lines.append(Line(" | ".join(c for c in row if c)))
            row = None
        elif token.type == "inline" and row is not None:
            row.append(_md_inline(token.children or []).replace("\n", ""))
        elif token.type == "inline":
            parts = (number + _md_inline(token.children or [])).split("\n")
            lines += [Line(p, soft=i < len(parts) - 1) for i, p in enumerate(parts)]
            number = ""
        elif token.type in ("fence", "code_block"):
            lines += [Line(t) for t in token.content.splitlines()]
        elif token.type == "html_block":
            from .html import html_lines

            lines += html_lines(token.content)
    return lines


def _md_inline(children: list) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)
