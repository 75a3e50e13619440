"""Reads corpus files (txt, md, docx, pdf, html) into Documents with their metadata.

Every format comes out the same way: one paragraph per line, lines stripped at both ends, no blank
lines. Nothing inside a line is changed (full-width punctuation stays), because clause offsets and
citations point into this text verbatim.
"""
from __future__ import annotations

import codecs
import hashlib
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import ValidationError
from tqdm import tqdm

from .schema import Document, DocMeta, Level

SUPPORTED = (".txt", ".md", ".docx", ".pdf", ".html", ".htm")

# Provenance notes that sit beside the documents but are not documents themselves.
_NOT_DOCUMENTS = frozenset({"SOURCES.md", "README.md"})
_SIDECAR_SUFFIX = ".meta.json"


class IngestError(Exception):
    """A corpus file or folder cannot be read; the message says which and what to do about it."""


# --------------------------------------------------------------------------- text


def read_text(path: Path) -> str:
    """The document's plain text: one paragraph per line, lines stripped, no blank lines."""
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise IngestError(
            f"{path}: unsupported file type {path.suffix or '(none)'!r}; "
            f"convert it to one of {', '.join(SUPPORTED)}"
        )
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    try:
        return _tidy(reader(path))
    except OSError as err:
        raise IngestError(f"cannot read {path}: {err}") from err


def _tidy(lines: Iterable[str]) -> str:
    # str.strip() also removes U+3000 and U+00A0, the usual paragraph indents in Chinese files.
    stripped = (line.strip() for chunk in lines for line in chunk.splitlines())
    return "\n".join(line for line in stripped if line)


def _read_txt(path: Path) -> list[str]:
    return [_decode(path.read_bytes(), path)]


def _decode(data: bytes, path: Path, declared: str | None = None) -> str:
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


# --------------------------------------------------------------------------- markdown


def _read_md(path: Path) -> list[str]:
    return _md_lines(_decode(path.read_bytes(), path))


def _md_lines(source: str) -> list[str]:
    """Text of headings, paragraphs, list items, table cells and code; markup dropped."""
    from markdown_it import MarkdownIt

    lines: list[str] = []
    number = ""
    for token in MarkdownIt("commonmark").enable("table").parse(source):
        if token.type == "list_item_open" and token.info:
            # An ordered list's "1." is the clause numbering: keep it on the item's first line.
            number = f"{token.info}{token.markup} "
        elif token.type == "inline":
            lines.append(number + _md_inline(token.children or []))
            number = ""
        elif token.type in ("fence", "code_block"):
            lines.append(token.content)
        elif token.type == "html_block":
            lines.extend(_html_lines(token.content))
    return lines


def _md_inline(children: list) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            # Chinese files often put one clause per line with no blank line between: keep the break.
            parts.append("\n")
    return "".join(parts)


# --------------------------------------------------------------------------- docx


def _read_docx(path: Path) -> list[str]:
    import docx
    from docx.table import Table

    document = _parse_or_raise(docx.Document, path, "Word .docx")
    lines: list[str] = []
    for block in document.iter_inner_content():
        lines.extend(_table_cells(block) if isinstance(block, Table) else [block.text])
    return lines


def _table_cells(table) -> list[str]:
    """Cell texts row by row; a merged cell is reported by python-docx once per grid column."""
    cells: list[str] = []
    for row in table.rows:
        seen = set()
        for cell in row.cells:
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(cell.text)
    return cells


def _parse_or_raise(parse: Callable, path: Path, kind: str):
    # Parsers of damaged files raise many unrelated types (zip, XML, KeyError...): report them as one.
    try:
        return parse(str(path))
    except Exception as err:
        raise IngestError(f"{path} is not a readable {kind} file ({err}); re-save it and retry") from err


# --------------------------------------------------------------------------- pdf

_PAGE_NUMBER = re.compile(
    r"^[-－—–·\s]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/／]\s*\d{1,4}|\s*共\s*\d{1,4}\s*页)?[-－—–·\s]*$"
)


def _read_pdf(path: Path) -> list[str]:
    from pypdf import PasswordType, PdfReader

    reader = _parse_or_raise(PdfReader, path, "PDF")
    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        raise IngestError(f"{path} is an encrypted PDF; save an unprotected copy and retry")
    pages = [_pdf_page_lines(page, path) for page in reader.pages]
    if not any(pages):
        raise IngestError(f"{path}: the PDF has no text layer (a scan?); run OCR on it first")
    return [line for page in pages for line in page]


def _pdf_page_lines(page, path: Path) -> list[str]:
    try:
        text = page.extract_text() or ""
    except Exception as err:  # same reason as in _parse_or_raise
        raise IngestError(f"{path}: cannot extract text from a PDF page ({err})") from err
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # A bare number is only a page number in the header or footer; inside a page it may be a table cell.
    while lines and _PAGE_NUMBER.match(lines[-1]):
        lines.pop()
    if lines and _PAGE_NUMBER.match(lines[0]):
        lines.pop(0)
    return lines


# --------------------------------------------------------------------------- html

_DROPPED_TAGS = ("script", "style", "nav", "header", "footer", "noscript", "template", "head")
_BLOCK_TAGS = frozenset(
    "p h1 h2 h3 h4 h5 h6 li td th div section article main aside blockquote pre table tr "
    "ul ol dl dt dd figure figcaption caption address body html".split()
)
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")  # HTML collapses ASCII white space only (not &nbsp;)
_DECLARED_CHARSET = re.compile(
    rb"""<(?:meta|\?xml)[^>]+?(?:charset|encoding)\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I
)


def _read_html(path: Path) -> list[str]:
    data = path.read_bytes()
    declared = _DECLARED_CHARSET.search(data[:4096])
    return _html_lines(_decode(data, path, declared.group(1).decode("ascii") if declared else None))


def _html_lines(markup: str) -> list[str]:
    """One line per block element's own text, so nested blocks never merge with their parent."""
    from bs4 import BeautifulSoup, NavigableString, Tag

    soup = BeautifulSoup(markup, "lxml")
    for tag in soup.find_all(_DROPPED_TAGS):
        tag.decompose()
    lines, buffer, block = [], [], None
    for node in soup.descendants:
        if isinstance(node, Tag):
            if node.name == "br":
                lines.append("".join(buffer))
                buffer = []
            continue
        if type(node) is not NavigableString:  # comments, doctype, CDATA
            continue
        owner = next((p for p in node.parents if p.name in _BLOCK_TAGS), None)
        if owner is not block:
            lines.append("".join(buffer))
            buffer, block = [], owner
        buffer.append(_HTML_SPACE.sub(" ", str(node)))
    lines.append("".join(buffer))
    return lines


_READERS: dict[str, Callable[[Path], list[str]]] = {
    ".txt": _read_txt,
    ".md": _read_md,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
    ".html": _read_html,
    ".htm": _read_html,
}


# --------------------------------------------------------------------------- metadata

_HEADER_SEPARATOR = re.compile(r"[｜|]")
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}[〔［\[]\d{4}[〕］\]]\s*\d+\s*号")
_DATE = re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")
_NATIONAL = re.compile(r"国务院|中共中央|国家")
# 城市/都市/超市/市场, 地区/园区/自治区 and 县域 are not municipal bodies.
_MUNICIPAL = re.compile(
    r"(?<![城都超])市(?!场)|新区|(?<![地园社山景街治])区(?:委|人民政府|政府|管委会|管理委员会)"
    r"|县(?![域城级])"
)
_PROVINCIAL = re.compile(r"省|自治区")
# County-level cities first: 江苏省江阴市 names both, and the document is Jiangyin's.
PLACES = (
    "江阴", "宜兴", "张家港", "常熟", "太仓", "昆山", "无锡", "南京", "苏州", "常州", "南通",
    "扬州", "镇江", "泰州", "徐州", "盐城", "淮安", "连云港", "宿迁", "江苏",
)
_QUOTED_TITLE = re.compile(r"《[^》]*》")


def read_meta(path: Path, text: str) -> DocMeta:
    """The sidecar `<stem>.meta.json` if there is one, else what the document's header says."""
    sidecar = Path(path).with_name(Path(path).stem + _SIDECAR_SUFFIX)
    if sidecar.is_file():
        if not sidecar.resolve().is_relative_to(sidecar.parent.resolve()):
            raise IngestError(
                f"metadata sidecar {sidecar} links to {sidecar.resolve()}, outside the document's folder; "
                f"copy the file in instead of linking it"
            )
        return _load_sidecar(sidecar)
    return _infer_meta(text.splitlines())


def _load_sidecar(sidecar: Path) -> DocMeta:
    try:
        return DocMeta.model_validate(json.loads(sidecar.read_text(encoding="utf-8-sig")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError) as err:
        raise IngestError(
            f"metadata sidecar {sidecar} is malformed ({err}); fix the JSON or delete the file "
            f"to let the document's own header be used"
        ) from err


def _infer_meta(lines: list[str]) -> DocMeta:
    title = _title_of(lines)
    issuer, doc_number, date = _parse_header(lines[1] if len(lines) > 1 else "")
    return DocMeta(
        title=title,
        issuer=issuer,
        doc_number=doc_number,
        date=date,
        level=_level_of(issuer) or _level_of(title),
        place=_place_of(issuer) or _place_of(title),
        status=_status_of(lines[:3]),
    )


_TITLE_MAX = 80
_NUMBERED = re.compile(r"^\s*([一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.．、](?!\d))")


def _title_of(lines: list[str]) -> str:
    """The first heading line: short, not a sentence. A news item that opens with a lead and a
    notice about 《X》 (关于征求《X》意见的公告) has X itself on a line of its own: that is the title."""
    heads = []
    for line in lines:
        if _NUMBERED.match(line):
            break
        s = line.strip()
        if s and len(s) <= _TITLE_MAX and not re.search(r"[。！？；]|[，,].*[，,]", s):
            heads.append(s)
    cited = {name[1:-1] for h in heads for name in _QUOTED_TITLE.findall(h)}
    for h in heads:
        if h in cited:
            return h
    first = next((ln.strip() for ln in lines if ln.strip()), "")
    return heads[0] if heads and (len(first) > _TITLE_MAX or re.search(r"[。！？]", first)) else first


def _parse_header(line: str) -> tuple[str, str, str]:
    """Issuer, 文号 and date from a corpus header line `issuer｜文号｜date` (fields in any order)."""
    fields = [field.strip() for field in _HEADER_SEPARATOR.split(line)]
    if len(fields) < 2 or not fields[0] or len(fields[0]) > 60 or "。" in fields[0]:
        return "", "", ""
    doc_number = date = ""
    for field in fields[1:]:
        doc_number = doc_number or _first_match(_DOC_NUMBER, field)
        date = date or _first_match(_DATE, field)
    return fields[0], doc_number, date


def _first_match(pattern: re.Pattern, text: str) -> str:
    match = pattern.search(text)
    return match.group(0) if match else ""


def _level_of(text: str) -> Level:
    # Municipal before provincial: 江苏省江阴市人民政府 is a city body inside a province.
    if _NATIONAL.search(text):
        return "国家"
    if _MUNICIPAL.search(text):
        return "市"
    return "省" if _PROVINCIAL.search(text) else ""


def _place_of(text: str) -> str:
    if re.search(r"国务院|中共中央", text):
        return "全国"
    return next((place for place in PLACES if place in text), "")


def _status_of(lines: list[str]) -> str:
    # Leave out quoted titles: 根据《…（试行）》 says nothing about this document's own status.
    head = _QUOTED_TITLE.sub("", "\n".join(lines))
    if "征求意见稿" in head:
        return "征求意见稿"
    return "试行" if "试行" in head else ""


# --------------------------------------------------------------------------- documents


def read_document(path: Path, max_mb: float | None = None) -> Document:
    """The document at path; with max_mb, a larger file is refused before it is read."""
    path = Path(path)
    if max_mb is not None:
        _check_size(path, max_mb)
    text = read_text(path)
    if not text.strip():
        raise IngestError(f"{path} is empty: it has no text to index")
    return Document(
        doc_id=_doc_id(path.stem),
        path=str(path),
        meta=read_meta(path, text),
        text=text,
        content_hash=content_hash(text),
    )


def _check_size(path: Path, max_mb: float) -> None:
    try:
        size = path.stat().st_size / 2**20
    except OSError as err:  # gone since the folder was listed, or unreadable
        raise IngestError(f"cannot read {path}: {err}") from err
    if size > max_mb:
        raise IngestError(
            f"{path} is {size:.1f} MB, over the {max_mb:g} MB limit for a corpus file; split it, or raise "
            f"the limit (POLICYQA_MAX_FILE_MB={math.ceil(size)} policyqa index ...)"
        )


def content_hash(text: str) -> str:
    """sha256 of the text with white space normalised: equal content in .txt and .md hashes equal."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def _doc_id(stem: str) -> str:
    return re.sub(r"[^A-Za-z0-9_\-.\u4e00-\u9fff]", "_", stem) or "doc"


def iter_corpus_files(dirs: list[Path]) -> list[Path]:
    """Supported files under each dir, sorted within it; dirs keep their order (earlier wins)."""
    return list_corpus(dirs)[0]


def list_corpus(dirs: list[Path]) -> tuple[list[Path], list[str]]:
    """The files iter_corpus_files lists, and a warning for each link that leads outside its corpus
    folder: a corpus folder is all that indexing reads, whatever links it holds."""
    found: list[Path] = []
    warnings: list[str] = []
    seen: set[Path] = set()
    for directory in map(Path, dirs):
        paths = _files_in(directory)
        root = directory.resolve() if directory.is_dir() else None  # a file named itself is read as named
        for path in paths:
            real = path.resolve()
            if root is not None and not real.is_relative_to(root):
                warnings.append(f"skipped {path}: it links to {real}, outside the corpus folder {directory}; copy it in to index it")
            elif path.is_file() and real not in seen:
                seen.add(real)
                found.append(path)
    return found, warnings


def _files_in(directory: Path) -> list[Path]:
    """The corpus path itself when it names a file, else the candidates under it (links included)."""
    try:
        if not directory.exists():
            raise IngestError(f"corpus path {directory} does not exist; check the corpus setting")
        if directory.is_file():
            if directory.suffix.lower() not in SUPPORTED:
                raise IngestError(f"{directory}: unsupported file type; supported: {', '.join(SUPPORTED)}")
            return [directory]
        if not directory.is_dir() or not os.access(directory, os.R_OK | os.X_OK):
            raise IngestError(f"corpus path {directory} is not a readable directory")
        return sorted(p for p in directory.rglob("*") if _is_candidate(p, directory))
    except OSError as err:  # a folder we may not list (permissions, a network mount gone away)
        raise IngestError(f"cannot read corpus path {directory} ({err}); check that it exists and you may read it") from err


def _is_candidate(path: Path, root: Path) -> bool:
    """A file of a supported type, or a link to a folder (listing does not follow it; it may lead out)."""
    if any(part.startswith(".") for part in path.relative_to(root).parts):
        return False  # hidden files, and anything inside .git, .venv and the like
    if path.name in _NOT_DOCUMENTS or path.name.endswith(_SIDECAR_SUFFIX):
        return False
    return path.suffix.lower() in SUPPORTED or (path.is_symlink() and path.is_dir())


def load_corpus(dirs: list[Path], progress: bool = False, max_file_mb: float | None = None) -> tuple[list[Document], list[str]]:
    """Every readable document once, and warnings for the files skipped (a bad file stops nothing);
    files over max_file_mb are among them."""
    paths, warnings = list_corpus(dirs)
    if not paths:
        raise IngestError(
            f"no supported files in {', '.join(map(str, dirs))}; supported: {', '.join(SUPPORTED)}"
            + "".join(f"\n{w}" for w in warnings)
        )
    documents: list[Document] = []
    by_hash: dict[str, Document] = {}
    for path in tqdm(paths, desc="reading corpus", unit="file", disable=not progress, file=sys.stderr):
        _add_document(path, documents, by_hash, warnings, max_file_mb)
    if not documents:
        raise IngestError("no document could be read:\n" + "\n".join(warnings))
    return documents, warnings


def _add_document(path: Path, documents: list[Document], by_hash: dict, warnings: list[str], max_mb: float | None) -> None:
    try:
        document = read_document(path, max_mb)
    except IngestError as err:
        warnings.append(f"skipped {path}: {err}")
        return
    first = by_hash.get(document.content_hash)
    if first is not None:
        warnings.append(f"skipped {path}: same content as {first.path}")
        return
    document.doc_id = _unique_id(document.doc_id, {d.doc_id for d in documents})
    by_hash[document.content_hash] = document
    documents.append(document)


def _unique_id(doc_id: str, taken: set[str]) -> str:
    candidate, n = doc_id, 1
    while candidate in taken:
        n += 1
        candidate = f"{doc_id}-{n}"
    return candidate
